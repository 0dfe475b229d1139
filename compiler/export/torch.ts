// A checked model as one self-contained PyTorch file: an nn.Module whose parameters and buffers carry dlg's names (its
// state_dict is a dlg checkpoint), the model's loss, its optimizer with the same hyperparameters, and a script that
// predicts (`python3 model.py --weights W --data D -o OUT`) or trains, data-parallel under torchrun
// (`--train`). The forward pass is the IR's primitive ops one line each, for training mode (dropout, batch statistics
// and running-statistic updates) and for evaluation; dlg's channels-last convolutions are permuted around PyTorch's.
import type { Graph, IRNode, NodeId } from "../ir/graph.js";
import type { Dim } from "../ir/dims.js";
import { inputDimSources, outputAncestors } from "../ir/reachability.js";
import { ExportError } from "./onnx.js";

const pyString = (s: string) => JSON.stringify(s);

/** Python for the size `d` given the symbolic dims' sources (`image.shape[0]`). */
function dimExpression(d: Dim, symbols: ReadonlyMap<string, string>, what: string): string {
  const c = d.constValue();
  if (c !== undefined) return String(c);
  const affine = d.affine();
  const source = affine && symbols.get(affine.symbol);
  if (!affine || !source) throw new ExportError(`${what}: the size ${d} is not a multiple of one input dim plus a constant; bind its dims with --dim`);
  const scaled = affine.coef === 1 ? source : `${affine.coef} * ${source}`;
  return affine.rest === 0 ? scaled : `(${scaled} + ${affine.rest})`;
}

const TORCH_DTYPE: Record<string, string> = { f32: "torch.float32", i32: "torch.int32", f16: "torch.float16" };

/** The body of one forward function: every node `keep` holds, in order, as `v<id> = ...`. */
function forwardBody(graph: Graph, keep: ReadonlySet<NodeId>, training: boolean, symbols: ReadonlyMap<string, string>): string[] {
  const lines: string[] = [];
  const v = (id: NodeId) => `v${id}`;
  for (const node of graph.nodes) {
    if (!keep.has(node.id)) continue;
    const x = node.inputs.map(v);
    const attrs = node.attrs as Record<string, unknown>;
    const what = `${node.op} %${node.id}${node.label ? ` (${node.label})` : ""}`;
    const dim = (d: Dim) => dimExpression(d, symbols, what);
    const shape = (n: IRNode) => `(${n.type.shape.map(dim).join(", ")}${n.type.shape.length === 1 ? "," : ""})`;
    const dtype = TORCH_DTYPE[node.type.dtype] ?? "torch.float32";
    let e: string;
    switch (node.op) {
      case "input": e = `inputs[${pyString(String(attrs["name"]))}]`; break;
      case "param": case "state": e = `self.tensor(${pyString(String(attrs["name"]))})`; break;
      case "constant": e = `torch.tensor(${Number(attrs["value"]) === Infinity ? "math.inf" : Number(attrs["value"]) === -Infinity ? "-math.inf" : String(attrs["value"])}, dtype=${dtype})`; break;
      case "dropout_mask": {
        const rate = Number(attrs["rate"]);
        e = `F.dropout(torch.ones(${shape(node)}), p=${rate}, training=True) if dropout else torch.ones(())`;
        if (!training) e = "torch.ones(())";
        break;
      }
      case "dim_size": e = `torch.tensor(float(${dim(attrs["dim"] as Dim)}), dtype=${dtype})`; break;
      case "causal_mask": {
        const t = dim(attrs["size"] as Dim);
        e = `torch.triu(torch.full((${t}, ${t}), -math.inf), diagonal=1)`;
        break;
      }
      case "add": e = `${x[0]} + ${x[1]}`; break;
      case "sub": e = `${x[0]} - ${x[1]}`; break;
      case "mul": e = `${x[0]} * ${x[1]}`; break;
      case "div": e = `${x[0]} / ${x[1]}`; break;
      case "pow": e = `torch.pow(${x[0]}, ${x[1]})`; break;
      case "maximum": e = `torch.maximum(${x[0]}, ${x[1]})`; break;
      case "minimum": e = `torch.minimum(${x[0]}, ${x[1]})`; break;
      case "greater": e = `(${x[0]} > ${x[1]}).to(${dtype})`; break;
      case "equal": e = `(${x[0]} == ${x[1]}).to(${dtype})`; break;
      case "neg": e = `-${x[0]}`; break;
      case "relu": e = `F.relu(${x[0]})`; break;
      case "leaky_relu": e = `F.leaky_relu(${x[0]}, ${Number(attrs["alpha"])})`; break;
      case "exp": case "log": case "sqrt": case "rsqrt": case "abs": case "tanh": case "sigmoid": case "erf":
        e = `torch.${node.op}(${x[0]})`;
        break;
      case "square": e = `${x[0]} * ${x[0]}`; break;
      case "cast": e = `${x[0]}.to(${dtype})`; break;
      case "stop_gradient": e = `${x[0]}.detach()`; break;
      case "matmul": {
        const used = (v: string, flag: unknown) => (flag === true ? `${v}.transpose(-1, -2)` : v);
        e = `torch.matmul(${used(x[0]!, attrs["transposeA"])}, ${used(x[1]!, attrs["transposeB"])})`;
        break;
      }
      case "transpose": e = `${x[0]}.permute(${(attrs["perm"] as number[]).join(", ")})`; break;
      case "reshape": e = `${x[0]}.reshape${shape(node)}`; break;
      case "broadcast_to": e = `torch.broadcast_to(${x[0]}, ${shape(node)})`; break;
      case "concat": e = `torch.cat([${x.join(", ")}], dim=${Number(attrs["axis"])})`; break;
      case "slice": {
        const axis = Number(attrs["axis"]);
        e = `${x[0]}[${[...new Array<string>(axis).fill(":"), `${dim(attrs["start"] as Dim)}:${dim(attrs["end"] as Dim)}`].join(", ")}]`;
        break;
      }
      case "pad_axis": {
        const axis = Number(attrs["axis"]);
        const rank = node.type.shape.length;
        const input = graph.nodes[node.inputs[0]!]!;
        const start = dim(attrs["start"] as Dim);
        const after = `${dim(attrs["size"] as Dim)} - ${start} - ${dim(input.type.shape[axis]!)}`;
        // F.pad lists (before, after) pairs from the last dim backwards.
        const pads = [...new Array<string>(2 * (rank - 1 - axis)).fill("0"), start, after];
        e = `F.pad(${x[0]}, (${pads.join(", ")}))`;
        break;
      }
      case "reduce_sum": case "reduce_mean": case "reduce_max": {
        const fn = node.op === "reduce_sum" ? "torch.sum" : node.op === "reduce_mean" ? "torch.mean" : "torch.amax";
        e = `${fn}(${x[0]}, dim=(${(attrs["axes"] as number[]).join(", ")},), keepdim=${attrs["keepdims"] ? "True" : "False"})`;
        break;
      }
      case "gather": e = `F.embedding(${x[1]}.long(), ${x[0]})`; break;
      case "pick": e = `torch.gather(${x[0]}, -1, ${x[1]}.long().unsqueeze(-1)).squeeze(-1)`; break;
      case "conv2d": {
        const input = graph.nodes[node.inputs[0]!]!.type.shape.map((d) => d.constValue());
        const kernel = graph.nodes[node.inputs[1]!]!.type.shape.map((d) => d.constValue()!);
        const stride = Number(attrs["stride"]);
        let padded = `${x[0]}.permute(0, 3, 1, 2)`;
        if (attrs["padding"] === "same") {
          // TensorFlow's split of "same" padding, which dlg follows: the extra pixel goes bottom/right.
          const split = (size: number | undefined, k: number) => {
            if (size === undefined) throw new ExportError(`${what}: "same" padding needs fixed spatial sizes`);
            const total = Math.max((Math.ceil(size / stride) - 1) * stride + k - size, 0);
            return [Math.floor(total / 2), total - Math.floor(total / 2)];
          };
          const [top, bottom] = split(input[1], kernel[0]!);
          const [left, right] = split(input[2], kernel[1]!);
          padded = `F.pad(${padded}, (${left}, ${right}, ${top}, ${bottom}))`;
        }
        e = `F.conv2d(${padded}, ${x[1]}.permute(3, 2, 0, 1), stride=${stride}).permute(0, 2, 3, 1)`;
        break;
      }
      case "max_pool2d": case "avg_pool2d": {
        const fn = node.op === "max_pool2d" ? "F.max_pool2d" : "F.avg_pool2d";
        e = `${fn}(${x[0]}.permute(0, 3, 1, 2), ${Number(attrs["size"])}, ${Number(attrs["stride"])}).permute(0, 2, 3, 1)`;
        break;
      }
      case "recurrence":
        throw new ExportError(`${what}: the recurrence's length is symbolic; give it with --dim (e.g. --dim T=28)`);
      default:
        throw new ExportError(`${what}: op ${node.op} belongs to gradients or training steps, not to a model's forward pass`);
    }
    lines.push(`${v(node.id)} = ${e}`);
  }
  return lines;
}

/** Python for each symbolic input dim: where its size is read (`inputs["image"].shape[0]`). */
function symbolSources(graph: Graph): Map<string, string> {
  return new Map([...inputDimSources(graph)].map(([symbol, { input, axis }]) => [symbol, `inputs[${pyString(input)}].shape[${axis}]`]));
}

/** One mode's forward function: outputs always, the loss (and running-statistic updates) when its inputs are given. */
function modeFunction(graph: Graph, name: string, training: boolean): string[] {
  const symbols = symbolSources(graph);
  const outputNodes = outputAncestors(graph);
  const all = new Set(graph.nodes.map((n) => n.id));
  const lossNodes = new Set([...all].filter((id) => !outputNodes.has(id)));
  const lossInputs = graph.inputs.filter((i) => lossNodes.has(i.node)).map((i) => i.name);
  const body = [
    `def ${name}(self, inputs, dropout):`,
    ...forwardBody(graph, outputNodes, training, symbols).map((l) => `    ${l}`),
    `    outputs = {${graph.outputs.map((o) => `${pyString(o.name)}: v${o.node}`).join(", ")}}`,
  ];
  if (graph.loss === undefined) return [...body, "    return outputs, None"];
  body.push(`    if ${lossInputs.length > 0 ? lossInputs.map((n) => `inputs.get(${pyString(n)}) is None`).join(" or ") : "False"}:`, "        return outputs, None");
  body.push(...forwardBody(graph, lossNodes, training, symbols).map((l) => `    ${l}`));
  const updates = training ? (graph.buffers ?? []).filter((b) => b.update !== undefined) : [];
  if (updates.length > 0) {
    body.push("    with torch.no_grad():");
    for (const b of updates) body.push(`        self.tensor(${pyString(b.name)}).copy_(v${b.update})`);
  }
  body.push(`    return outputs, v${graph.loss}`);
  return body;
}

function optimizerLines(graph: Graph): string[] {
  const o = graph.optimizer;
  if (!o) return ["def make_optimizer(model):", `    raise SystemExit("${graph.loss === undefined ? "the model has no loss" : "the model has no optimizer"}")`];
  const a = o.args;
  if (o.name === "sgd") return ["def make_optimizer(model):", `    return torch.optim.SGD(model.parameters(), lr=${a["lr"]}, momentum=${a["momentum"] ?? 0})`];
  const wd = a["weight_decay"] ?? 0;
  return [
    "def make_optimizer(model):",
    // dlg's adam with a weight decay is decoupled (AdamW); without one it is Adam.
    `    return torch.optim.${wd !== 0 ? "AdamW" : "Adam"}(model.parameters(), lr=${a["lr"]}, betas=(${a["beta1"]}, ${a["beta2"]}), eps=${a["eps"]}, weight_decay=${wd})`,
  ];
}

export function exportTorch(graph: Graph, model: string, sourceName: string): string {
  const className = /^[A-Za-z_][A-Za-z0-9_]*$/.test(model) ? model : "Model";
  const training = graph.training ?? graph;
  const params = graph.params.map((p) => `    (${pyString(p.name)}, [${p.type.shape.map((d) => d.constValue()!).join(", ")}]),`);
  const buffers = (graph.buffers ?? []).map((b) => `    (${pyString(b.name)}, [${b.type.shape.map((d) => d.constValue()!).join(", ")}], ${b.init}),`);
  const inputs = graph.inputs.map((i) => `    (${pyString(i.name)}, ${pyString(i.type.dtype === "i32" ? "int32" : "float32")}),`);
  const lossOnly = graph.inputs.filter((i) => !outputAncestors(graph).has(i.node)).map((i) => pyString(i.name));
  const evalLines = modeFunction(graph, "_forward_eval", false);
  const trainLines = modeFunction(training, "_forward_train", true);
  return `#!/usr/bin/env python3
"""${className}, exported by dlg from ${sourceName}: a self-contained PyTorch model.

The module's state_dict uses dlg's parameter names, so dlg's safetensors checkpoints load into it
(load_checkpoint) and its weights save back into one (save_checkpoint) that dlg run, dlg train --resume
and dlg compile --web --weights read. The forward pass follows dlg's numerics: its primitive ops in order.

  python3 model.py --weights W.safetensors --data D.safetensors -o OUT.safetensors
      the outputs (evaluation mode) for every row of D, named like dlg's outputs
  torchrun --nproc_per_node=2 model.py --train --weights W.safetensors --data D.safetensors \\
      --steps 100 --batch 64 --save OUT.safetensors
      trains with DistributedDataParallel (gloo on CPUs, nccl on GPUs); --batch is per process
"""
import argparse
import json
import math
import os
import struct

import torch
import torch.nn as nn
import torch.nn.functional as F

PARAMS = [
${params.join("\n")}
]
BUFFERS = [
${buffers.join("\n")}
]
INPUTS = [
${inputs.join("\n")}
]
OUTPUTS = [${graph.outputs.map((o) => pyString(o.name)).join(", ")}]
# Inputs only the loss reads: data for prediction may leave them out.
TARGETS = [${lossOnly.join(", ")}]


class ${className}(nn.Module):
    def __init__(self):
        super().__init__()
        for name, shape in PARAMS:
            owner, leaf = self._owner(name)
            owner.register_parameter(leaf, nn.Parameter(torch.zeros(shape)))
        for name, shape, init in BUFFERS:
            owner, leaf = self._owner(name)
            owner.register_buffer(leaf, torch.full(shape, float(init)))

    def _owner(self, name):
        # dlg's dotted names become nested modules, so state_dict keys equal dlg's names.
        *path, leaf = name.split(".")
        module = self
        for part in path:
            if not hasattr(module, part):
                module.add_module(part, nn.Module())
            module = getattr(module, part)
        return module, leaf

    def tensor(self, name):
        module, leaf = self._owner(name)
        return getattr(module, leaf)

    def forward(self, dropout=None, **inputs):
        """(outputs by name, loss or None). Training mode draws dropout (unless dropout=False), uses the batch's
        statistics and updates running ones; evaluation mode uses neither. The loss needs ${lossOnly.length > 0 ? lossOnly.join(", ") : "no extra input"}."""
        if self.training:
            return self._forward_train(inputs, self.training if dropout is None else dropout)
        return self._forward_eval(inputs, False)

${[...evalLines, "", ...trainLines].map((l) => (l ? `    ${l}` : "")).join("\n")}


${optimizerLines(graph).join("\n")}


# ---- safetensors, on torch alone -------------------------------------------------------------------------------

_FILE_DTYPES = {"F32": torch.float32, "F64": torch.float64, "F16": torch.float16, "BF16": torch.bfloat16,
                "I64": torch.int64, "I32": torch.int32, "I16": torch.int16, "I8": torch.int8, "U8": torch.uint8}
_DTYPE_NAMES = {v: k for k, v in _FILE_DTYPES.items()}


def read_safetensors(path):
    with open(path, "rb") as f:
        data = f.read()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + n])
    header.pop("__metadata__", None)
    tensors = {}
    for name, spec in header.items():
        begin, end = spec["data_offsets"]
        raw = bytearray(data[8 + n + begin:8 + n + end])
        t = torch.frombuffer(raw, dtype=_FILE_DTYPES[spec["dtype"]]) if raw else torch.zeros(0, dtype=_FILE_DTYPES[spec["dtype"]])
        tensors[name] = t.reshape(spec["shape"])
    return tensors


def write_safetensors(path, tensors, metadata=None):
    header, blobs, at = {}, [], 0
    if metadata:
        header["__metadata__"] = {str(k): str(v) for k, v in metadata.items()}
    for name, t in tensors.items():
        raw = t.detach().contiguous().cpu().numpy().tobytes()
        header[name] = {"dtype": _DTYPE_NAMES[t.dtype], "shape": list(t.shape), "data_offsets": [at, at + len(raw)]}
        blobs.append(raw)
        at += len(raw)
    text = json.dumps(header).encode()
    text += b" " * (-len(text) % 8)
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + b"".join(blobs))
    os.replace(tmp, path)


def load_checkpoint(model, path):
    """Loads a dlg checkpoint's parameters and running statistics (its optimizer state is not used)."""
    tensors = read_safetensors(path)
    state = model.state_dict()
    missing = [k for k in state if k not in tensors]
    if missing:
        raise SystemExit(f"{path} does not fit ${className}: missing {', '.join(missing[:5])}")
    for k, v in state.items():
        if tuple(tensors[k].shape) != tuple(v.shape):
            raise SystemExit(f"{path}: {k} has shape {list(tensors[k].shape)}, the model expects {list(v.shape)}")
    model.load_state_dict({k: tensors[k].to(v.dtype) for k, v in state.items()})


def save_checkpoint(model, path):
    write_safetensors(path, {k: v.float() for k, v in model.state_dict().items()}, {"format": "dlg", "model": "${className}"})


# ---- the script --------------------------------------------------------------------------------------------------

def _inputs(data, rows=None, targets=True):
    out = {}
    for name, dtype in INPUTS:
        if name not in data:
            if name in TARGETS and not targets:
                continue
            raise SystemExit(f"the data has no tensor {name}")
        t = data[name] if rows is None else data[name][rows]
        out[name] = t.to(torch.int32 if dtype == "int32" else torch.float32)
    return out


def predict(args):
    model = ${className}()
    load_checkpoint(model, args.weights)
    model.eval()
    data = read_safetensors(args.data)
    rows = next(iter(data.values())).shape[0]
    parts = {name: [] for name in OUTPUTS}
    with torch.no_grad():
        for start in range(0, rows, args.batch):
            batch = {k: v for k, v in _inputs(data, slice(start, start + args.batch), targets=False).items() if k not in TARGETS}
            outputs, _ = model(**batch)
            for name in OUTPUTS:
                parts[name].append(outputs[name])
    write_safetensors(args.output, {name: torch.cat(parts[name]).float() for name in OUTPUTS}, {"format": "dlg-predictions", "rows": rows})
    print(f"wrote the outputs of {rows} rows to {args.output}")


def train(args):
    distributed = int(os.environ.get("WORLD_SIZE", "1")) > 1
    if distributed:
        torch.distributed.init_process_group("nccl" if torch.cuda.is_available() else "gloo")
    rank = torch.distributed.get_rank() if distributed else 0
    world = torch.distributed.get_world_size() if distributed else 1
    torch.manual_seed(args.seed + rank)
    model = ${className}()
    load_checkpoint(model, args.weights)
    model.train()
    net = nn.parallel.DistributedDataParallel(model) if distributed else model
    optimizer = make_optimizer(model)
    data = read_safetensors(args.data)
    rows = next(iter(data.values())).shape[0]
    generator = torch.Generator().manual_seed(args.seed)
    order = torch.randperm(rows, generator=generator)
    at = 0
    for step in range(args.steps):
        # Each step takes world * batch rows of one shuffled order; process r trains on its own slice of them.
        if at + world * args.batch > rows:
            order, at = torch.randperm(rows, generator=generator), 0
        mine = order[at + rank * args.batch:at + (rank + 1) * args.batch]
        at += world * args.batch
        _, loss = net(**_inputs(data, mine))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        if rank == 0 and (step % 10 == 0 or step == args.steps - 1):
            print(f"step {step + 1}/{args.steps}  loss {loss.item():.4f}", flush=True)
    if rank == 0 and args.save:
        save_checkpoint(model, args.save)
        print(f"saved the weights to {args.save}")
    if distributed:
        torch.distributed.destroy_process_group()


def main():
    parser = argparse.ArgumentParser(description="${className}, exported by dlg")
    parser.add_argument("--weights", required=True, help="a dlg checkpoint (safetensors)")
    parser.add_argument("--data", required=True, help="a safetensors file with a tensor per model input")
    parser.add_argument("-o", "--output", help="where to write the outputs (prediction)")
    parser.add_argument("--batch", type=int, default=256)
    parser.add_argument("--train", action="store_true", help="train instead of predicting (data-parallel under torchrun)")
    parser.add_argument("--steps", type=int, default=100)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--save", help="where to save the trained weights (a dlg checkpoint)")
    args = parser.parse_args()
    if args.train:
        train(args)
    elif args.output:
        predict(args)
    else:
        parser.error("give -o OUT.safetensors, or --train")


if __name__ == "__main__":
    main()
`;
}
