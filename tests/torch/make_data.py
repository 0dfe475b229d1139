"""Writes a small random dataset for one example model as safetensors, tensors named after the model's inputs.

usage: make_data.py MODEL TRAIN.safetensors TEST.safetensors SEED ROWS TEST_ROWS [HYPERPARAMS_JSON]

MODEL is mnist-mlp, lenet, residual-mlp, gpt, iris-mlp conv-extra, seq-extra or conv1d-extra (parity.py's extra models). Uses numpy only (no torch), seeded, so the same
arguments always give the same bytes. Rows are written in generation order; with a separate test file, dlg's
"first B training rows" are exactly the first B rows of TRAIN.
"""
import json
import sys

import numpy as np

import st

IMAGE_MODELS = ("mnist-mlp", "lenet", "residual-mlp", "conv-extra", "seq-extra", "conv1d-extra")


def make(model, rng, rows, hp):
    if model in IMAGE_MODELS:
        return {
            "image": rng.random((rows, 28, 28), dtype=np.float32),
            "label": rng.integers(0, 10, size=rows, dtype=np.int32),
        }
    if model == "iris-mlp":
        # Roughly iris-scaled measurements (cm), so tanh is neither saturated nor linear.
        centre = np.array([5.8, 3.0, 3.8, 1.2], dtype=np.float32)
        spread = np.array([0.8, 0.4, 1.8, 0.8], dtype=np.float32)
        feats = (centre + spread * rng.standard_normal((rows, 4))).astype(np.float32)
        return {"features": feats, "label": rng.integers(0, 3, size=rows, dtype=np.int32)}
    if model == "gpt":
        vocab = int(hp.get("vocab", 512))
        context = int(hp.get("context", 64))
        seq = rng.integers(0, vocab, size=(rows, context + 1), dtype=np.int32)
        return {"tokens": np.ascontiguousarray(seq[:, :-1]), "targets": np.ascontiguousarray(seq[:, 1:])}
    raise SystemExit(f"make_data.py: unknown model {model!r}")


def main(argv):
    if len(argv) not in (7, 8):
        raise SystemExit(__doc__)
    model, train_path, test_path, seed, rows, test_rows = argv[1], argv[2], argv[3], int(argv[4]), int(argv[5]), int(argv[6])
    hp = json.loads(argv[7]) if len(argv) == 8 else {}
    rng = np.random.default_rng(seed)
    st.write(train_path, make(model, rng, rows, hp), {"who": "make_data.py", "seed": seed})
    st.write(test_path, make(model, rng, test_rows, hp), {"who": "make_data.py", "seed": seed})


if __name__ == "__main__":
    main(sys.argv)
