"""Runs a few SGD training steps of a PyTorch model on fixed batches and writes what they leave behind.

usage: train_steps.py MODEL WEIGHTS.safetensors DATA.safetensors BATCH STEPS LR OUT.safetensors

MODEL is `batch-norm` (BatchNorm2d on channels-last maps, BatchNorm1d on features), `recurrent` (LSTM, GRU and an
Elman RNN) or `conv1d` (every padding, stride and dilation, both 1-D poolings). The weights are dlg's (`dlg init`: dlg names and layouts, running statistics included); the steps use the
rows of DATA in order, BATCH at a time, in training mode (batch statistics, running statistics updated by PyTorch's
rule). OUT holds, under dlg's names and layouts: every parameter and running statistic after the steps, `losses`
(the loss of each step, before its update), and `eval_logits` (the model in evaluation mode on the first BATCH rows,
after the steps). float64 throughout, so float32 differences are dlg's.
"""
import sys

import numpy as np
import torch
import torch.nn as nn

import st

DT = torch.float64


def t(a):
    return torch.from_numpy(np.asarray(a, dtype=np.float64))


class BatchNormModel(nn.Module):
    """dlg: BATCH_NORM_DLG in tests/autodiff/train-steps.test.ts."""

    def __init__(self):
        super().__init__()
        self.a = nn.BatchNorm2d(3)
        self.f = nn.Linear(3, 6)
        self.g = nn.BatchNorm1d(6)
        self.logits = nn.Linear(6, 2)

    def names(self):
        return {
            "a.gain": (self.a.weight, None), "a.bias": (self.a.bias, None),
            "a.running_mean": (self.a.running_mean, None), "a.running_var": (self.a.running_var, None),
            "a.num_batches_tracked": (self.a.num_batches_tracked, None),
            "f.weight": (self.f.weight, "T"), "f.bias": (self.f.bias, None),
            "g.gain": (self.g.weight, None), "g.bias": (self.g.bias, None),
            "g.running_mean": (self.g.running_mean, None), "g.running_var": (self.g.running_var, None),
            "g.num_batches_tracked": (self.g.num_batches_tracked, None),
            "logits.weight": (self.logits.weight, "T"), "logits.bias": (self.logits.bias, None),
        }

    def forward(self, x):
        a = torch.relu(self.a(x.permute(0, 3, 1, 2)))  # channels-last [N, H, W, C] -> NCHW
        f = self.f(a.mean(dim=(2, 3)))
        return self.logits(torch.tanh(self.g(f)))


class RecurrentModel(nn.Module):
    """dlg: RECURRENT_DLG in tests/autodiff/train-steps.test.ts."""

    def __init__(self):
        super().__init__()
        self.a = nn.LSTM(3, 4, batch_first=True)
        self.b = nn.GRU(4, 5, batch_first=True)
        self.c = nn.RNN(5, 3, nonlinearity="relu", batch_first=True)
        self.logits = nn.Linear(3, 2)

    def names(self):
        out = {}
        for name in "abc":
            m = getattr(self, name)
            for part in ("ih", "hh"):
                out[f"{name}.weight_{part}"] = (getattr(m, f"weight_{part}_l0"), "T")
            for part in ("ih", "hh"):
                out[f"{name}.bias_{part}"] = (getattr(m, f"bias_{part}_l0"), None)
        out["logits.weight"] = (self.logits.weight, "T")
        out["logits.bias"] = (self.logits.bias, None)
        return out

    def forward(self, x):
        a, _ = self.a(x.reshape(x.shape[0], x.shape[1], -1)[:, :, 0:3])
        b, _ = self.b(a)
        c, _ = self.c(b)
        return self.logits(c[:, -1])


class Conv1dModel(nn.Module):
    """dlg: CONV1D_DLG in tests/autodiff/train-steps.test.ts: every conv1d padding, stride, dilation, both poolings."""

    def __init__(self):
        super().__init__()
        self.a = nn.Conv1d(3, 4, 3, stride=2, dilation=2)
        self.b = nn.Conv1d(4, 5, 4, padding="same")
        self.c = nn.Conv1d(5, 3, 3, dilation=2)
        self.logits = nn.Linear(3, 2)

    def names(self):
        out = {}
        for name in "abc":
            conv = getattr(self, name)
            out[f"{name}.weight"] = (conv.weight, "KIO")
            out[f"{name}.bias"] = (conv.bias, None)
        out["logits.weight"] = (self.logits.weight, "T")
        out["logits.bias"] = (self.logits.bias, None)
        return out

    def forward(self, x):
        s = x.reshape(x.shape[0], 20, 3).permute(0, 2, 1)  # channels-last [N, 20, 3] as NCW
        a = torch.tanh(self.a(s))  # valid, stride 2, dilation 2: 20 -> 8
        b = torch.relu(self.b(a))  # same: 8
        c = self.c(nn.functional.pad(b, (4, 0)))  # causal, dilation 2: 8
        d = nn.functional.max_pool1d(c, 2)  # 4
        e = nn.functional.avg_pool1d(d, 2, stride=1)  # 3
        return self.logits(e.mean(dim=2))


MODELS = {"batch-norm": BatchNormModel, "recurrent": RecurrentModel, "conv1d": Conv1dModel}


def main(argv):
    if len(argv) != 8:
        raise SystemExit(__doc__)
    name, weights_path, data_path, batch, steps, lr, out_path = argv[1], argv[2], argv[3], int(argv[4]), int(argv[5]), float(argv[6]), argv[7]
    model = MODELS[name]().to(DT)
    weights, _ = st.read(weights_path)
    names = model.names()
    if set(weights) != set(names):
        raise SystemExit(f"weights {sorted(weights)} != model {sorted(names)}")
    with torch.no_grad():
        for key, (p, layout) in names.items():
            a = t(weights[key])
            p.copy_((a.T if layout == "T" else a.permute(2, 1, 0) if layout == "KIO" else a).to(p.dtype))
    data, _ = st.read(data_path)
    x, y = data["x"], data["label"]
    opt = torch.optim.SGD(model.parameters(), lr=lr)
    losses = []
    model.train()
    for s in range(steps):
        xb, yb = t(x[s * batch:(s + 1) * batch]), torch.from_numpy(y[s * batch:(s + 1) * batch].astype(np.int64))
        opt.zero_grad()
        loss = nn.functional.cross_entropy(model(xb), yb)
        loss.backward()
        opt.step()
        losses.append(float(loss))
    model.eval()
    with torch.no_grad():
        logits = model(t(x[:batch])).numpy()
    dlg_layout = {"T": lambda p: p.T, "KIO": lambda p: p.permute(2, 1, 0), None: lambda p: p}
    out = {key: dlg_layout[layout](p.detach()).numpy().astype(np.float32) for key, (p, layout) in names.items()}
    out["losses"] = np.array(losses, dtype=np.float32)
    out["eval_logits"] = logits.astype(np.float32)
    st.write(out_path, out, {"who": "train_steps.py"})


if __name__ == "__main__":
    main(sys.argv)
