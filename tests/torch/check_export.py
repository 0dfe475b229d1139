"""Checks files written by `dlg export --format torch` against dlg's own results, in PyTorch (float32).

Input: a JSON list of cases {"name", "module", "weights", "data", "outputs", "grads"} (argv[1]). For each: the exported
module loads dlg's checkpoint; in evaluation mode its outputs must equal dlg run's; in training mode without dropout its
loss and every parameter's gradient must equal dlg grad's. Prints one JSON object per case with the worst errors.
"""
import importlib.util
import json
import sys

import torch


def load(path, name):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def err(a, b):
    """Largest difference, relative to the reference's scale (at least 1)."""
    a, b = a.double(), b.double()
    return ((a - b).abs().max() / max(1.0, b.abs().max().item())).item() if b.numel() else 0.0


for case in json.load(open(sys.argv[1])):
    m = load(case["module"], case["name"].replace("-", "_").replace(".", "_"))
    cls = [v for k, v in vars(m).items() if isinstance(v, type) and issubclass(v, torch.nn.Module) and v.__module__ == m.__name__][0]
    model = cls()
    m.load_checkpoint(model, case["weights"])
    data = m.read_safetensors(case["data"])
    inputs = m._inputs(data)
    result = {"name": case["name"], "outputs": {}, "grads": {}}
    model.eval()
    with torch.no_grad():
        outputs, _ = model(**{k: v for k, v in inputs.items() if k not in m.TARGETS})
    want = m.read_safetensors(case["outputs"])
    for name in m.OUTPUTS:
        result["outputs"][name] = err(outputs[name], want[name])
    model.train()
    _, loss = model(dropout=False, **inputs)
    loss.backward()
    grads = m.read_safetensors(case["grads"])
    result["loss"] = err(loss.detach(), grads["loss"])
    for name, p in model.named_parameters():
        result["grads"][name] = err(p.grad, grads[name]) if p.grad is not None else None
    result["missing"] = [k for k in grads if k != "loss" and k not in result["grads"]]
    print(json.dumps(result), flush=True)
