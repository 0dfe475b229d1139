// A checked model's inference graph (forward, evaluation mode) as an ONNX model (opset 17): each primitive op becomes
// one or a few ONNX operators, parameters and running statistics become initializers, and the batch dim stays
// symbolic (sizes that depend on it are computed from the input's shape in the graph). dlg's channels-last
// convolutions and pools are wrapped in transposes to ONNX's channels-first ones.
import onnxProto from "onnx-proto";
import type { Graph, IRNode, NodeId } from "../ir/graph.js";
import type { Dim } from "../ir/dims.js";
import type { DType } from "../ir/types.js";
import { inputDimSources, outputAncestors } from "../ir/reachability.js";

const { onnx } = onnxProto;

export const ONNX_OPSET = 17;

/** A tensor the exporter stores as an initializer (a checkpoint's parameter or running statistic). */
export interface ExportTensor {
  dtype: "f32" | "i32";
  shape: readonly number[];
  data: Float32Array | Int32Array;
}

/** The model cannot be expressed in ONNX as exported: one line saying what and why. */
export class ExportError extends Error {}

const FLOAT = 1;
const INT32 = 6;
const INT64 = 7;

function elemType(dtype: DType): number {
  if (dtype === "i32") return INT32;
  return FLOAT;
}

type Attribute = { name: string; type: number; i?: number; f?: number; s?: Uint8Array; ints?: number[] };
const A = {
  int: (name: string, i: number): Attribute => ({ name, type: 2, i }),
  float: (name: string, f: number): Attribute => ({ name, type: 1, f }),
  string: (name: string, s: string): Attribute => ({ name, type: 3, s: new TextEncoder().encode(s) }),
  ints: (name: string, ints: readonly number[]): Attribute => ({ name, type: 7, ints: [...ints] }),
};

class OnnxBuilder {
  readonly nodes: onnxProto.onnx.INodeProto[] = [];
  readonly initializers: onnxProto.onnx.ITensorProto[] = [];
  private counter = 0;
  private readonly int64Cache = new Map<string, string>();

  fresh(hint: string): string {
    return `${hint}_${this.counter++}`;
  }

  node(op: string, inputs: readonly string[], attributes: readonly Attribute[] = [], output?: string): string {
    const out = output ?? this.fresh(op.toLowerCase());
    this.nodes.push({ opType: op, input: [...inputs], output: [out], name: out, attribute: attributes.map((a) => ({ ...a })) });
    return out;
  }

  tensor(name: string, dataType: number, dims: readonly number[], raw: Uint8Array): string {
    this.initializers.push({ name, dataType, dims: [...dims], rawData: raw });
    return name;
  }

  /** A constant int64 vector (shapes, axes, pads), shared between uses. */
  int64s(values: readonly number[]): string {
    const key = values.join(",");
    let name = this.int64Cache.get(key);
    if (!name) {
      name = this.tensor(this.fresh("i64"), INT64, [values.length], new Uint8Array(BigInt64Array.from(values.map(BigInt)).buffer));
      this.int64Cache.set(key, name);
    }
    return name;
  }

  scalar(value: number, dtype: DType): string {
    const name = this.fresh("const");
    const bytes = dtype === "i32" ? new Uint8Array(Int32Array.of(value).buffer) : new Uint8Array(Float32Array.of(value).buffer);
    return this.tensor(name, elemType(dtype), [], bytes);
  }
}

export function exportOnnx(graph: Graph, model: string, weights: ReadonlyMap<string, ExportTensor>): Uint8Array {
  const needed = outputAncestors(graph);
  const b = new OnnxBuilder();
  const names = new Map<NodeId, string>();
  const symbols = inputDimSources(graph, graph.inputs.filter((i) => needed.has(i.node)));
  const symbolTensors = new Map<string, string>();

  /** A dim as an int64 [1] tensor: a constant, or `coef * S + rest` read from an input's shape. */
  const dimTensor = (d: Dim, what: string): string => {
    const c = d.constValue();
    if (c !== undefined) return b.int64s([c]);
    const affine = d.affine();
    const source = affine && symbols.get(affine.symbol);
    if (!affine || !source) throw new ExportError(`${what}: the size ${d} is not a multiple of one input dim plus a constant; bind its dims with --dim`);
    let s = symbolTensors.get(affine.symbol);
    if (!s) {
      const shape = b.node("Shape", [source.input]);
      s = b.node("Gather", [shape, b.int64s([source.axis])], [A.int("axis", 0)], b.fresh(`dim_${affine.symbol}`));
      symbolTensors.set(affine.symbol, s);
    }
    let out = affine.coef === 1 ? s : b.node("Mul", [s, b.int64s([affine.coef])]);
    if (affine.rest !== 0) out = b.node("Add", [out, b.int64s([affine.rest])]);
    return out;
  };
  const shapeTensor = (dims: readonly Dim[], what: string): string => {
    if (dims.every((d) => d.isConst())) return b.int64s(dims.map((d) => d.constValue()!));
    return b.node("Concat", dims.map((d) => dimTensor(d, what)), [A.int("axis", 0)]);
  };

  const inputs: onnxProto.onnx.IValueInfoProto[] = [];
  const valueInfo = (name: string, node: IRNode) => ({
    name,
    type: {
      tensorType: {
        elemType: elemType(node.type.dtype),
        shape: { dim: node.type.shape.map((d) => (d.isConst() ? { dimValue: d.constValue()! } : { dimParam: d.toString() })) },
      },
    },
  });

  for (const node of graph.nodes) {
    if (!needed.has(node.id)) continue;
    const x = node.inputs.map((i) => names.get(i)!);
    const what = `${node.op} %${node.id}${node.label ? ` (${node.label})` : ""}`;
    const attrs = node.attrs as Record<string, unknown>;
    const rank = node.type.shape.length;
    let out: string;
    switch (node.op) {
      case "input": {
        out = String(attrs["name"]);
        inputs.push(valueInfo(out, node));
        break;
      }
      case "param":
      case "state": {
        const name = String(attrs["name"]);
        const t = weights.get(name);
        if (!t) throw new ExportError(`the weights have no tensor \`${name}\``);
        out = b.tensor(name, t.dtype === "i32" ? INT32 : FLOAT, t.shape, new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength));
        break;
      }
      case "constant":
        out = b.scalar(Number(attrs["value"]), node.type.dtype);
        break;
      case "dropout_mask":
        // Evaluation mode: dropout keeps every value.
        out = b.scalar(1, "f32");
        break;
      case "dim_size": {
        const size = b.node("Cast", [dimTensor(attrs["dim"] as Dim, what)], [A.int("to", elemType(node.type.dtype))]);
        out = b.node("Reshape", [size, b.int64s([])]);
        break;
      }
      case "causal_mask": {
        const t = (attrs["size"] as Dim).constValue();
        if (t === undefined) throw new ExportError(`${what}: a causal mask needs a fixed length; bind it with --dim`);
        const mask = new Float32Array(t * t);
        for (let q = 0; q < t; q++) for (let k = q + 1; k < t; k++) mask[q * t + k] = -Infinity;
        out = b.tensor(b.fresh("causal_mask"), FLOAT, [t, t], new Uint8Array(mask.buffer));
        break;
      }
      case "add": case "sub": case "mul": case "div": case "pow":
        out = b.node({ add: "Add", sub: "Sub", mul: "Mul", div: "Div", pow: "Pow" }[node.op], x);
        break;
      case "maximum": case "minimum":
        out = b.node(node.op === "maximum" ? "Max" : "Min", x);
        break;
      case "greater": case "equal":
        out = b.node("Cast", [b.node(node.op === "greater" ? "Greater" : "Equal", x)], [A.int("to", elemType(node.type.dtype))]);
        break;
      case "neg": case "relu": case "exp": case "log": case "sqrt": case "abs": case "tanh": case "sigmoid": case "erf":
        out = b.node({ neg: "Neg", relu: "Relu", exp: "Exp", log: "Log", sqrt: "Sqrt", abs: "Abs", tanh: "Tanh", sigmoid: "Sigmoid", erf: "Erf" }[node.op], x);
        break;
      case "leaky_relu":
        out = b.node("LeakyRelu", x, [A.float("alpha", Number(attrs["alpha"]))]);
        break;
      case "rsqrt":
        out = b.node("Reciprocal", [b.node("Sqrt", x)]);
        break;
      case "square":
        out = b.node("Mul", [x[0]!, x[0]!]);
        break;
      case "cast":
        out = b.node("Cast", x, [A.int("to", elemType(node.type.dtype))]);
        break;
      case "stop_gradient":
        out = b.node("Identity", x);
        break;
      case "matmul": {
        // A transposed operand (the IR reads it by strides) is an explicit Transpose of its last two axes here.
        const used = (at: number, flag: unknown) => {
          if (flag !== true) return x[at]!;
          const r = graph.nodes[node.inputs[at]!]!.type.shape.length;
          const perm = [...Array(r).keys()];
          [perm[r - 2], perm[r - 1]] = [perm[r - 1]!, perm[r - 2]!];
          return b.node("Transpose", [x[at]!], [A.ints("perm", perm)]);
        };
        out = b.node("MatMul", [used(0, attrs["transposeA"]), used(1, attrs["transposeB"])]);
        break;
      }
      case "transpose":
        out = b.node("Transpose", x, [A.ints("perm", attrs["perm"] as number[])]);
        break;
      case "reshape":
        out = b.node("Reshape", [x[0]!, shapeTensor(node.type.shape, what)]);
        break;
      case "broadcast_to":
        out = b.node("Expand", [x[0]!, shapeTensor(node.type.shape, what)]);
        break;
      case "concat":
        out = b.node("Concat", x, [A.int("axis", Number(attrs["axis"]))]);
        break;
      case "slice": {
        const axis = Number(attrs["axis"]);
        out = b.node("Slice", [x[0]!, dimTensor(attrs["start"] as Dim, what), dimTensor(attrs["end"] as Dim, what), b.int64s([axis])]);
        break;
      }
      case "pad_axis": {
        const axis = Number(attrs["axis"]);
        const start = (attrs["start"] as Dim).constValue();
        const inLength = graph.nodes[node.inputs[0]!]!.type.shape[axis]!.constValue();
        const size = (attrs["size"] as Dim).constValue();
        if (start === undefined || inLength === undefined || size === undefined) throw new ExportError(`${what}: padding along a dim that varies is not exported; bind it with --dim`);
        const pads = new Array<number>(2 * rank).fill(0);
        pads[axis] = start;
        pads[rank + axis] = size - start - inLength;
        out = b.node("Pad", [x[0]!, b.int64s(pads)]);
        break;
      }
      case "reduce_sum": case "reduce_mean": case "reduce_max": {
        const axes = attrs["axes"] as number[];
        const keepdims = A.int("keepdims", attrs["keepdims"] ? 1 : 0);
        out = node.op === "reduce_sum"
          ? b.node("ReduceSum", [x[0]!, b.int64s(axes)], [keepdims])
          : b.node(node.op === "reduce_mean" ? "ReduceMean" : "ReduceMax", x, [A.ints("axes", axes), keepdims]);
        break;
      }
      case "gather":
        out = b.node("Gather", [x[0]!, x[1]!], [A.int("axis", 0)]);
        break;
      case "pick": {
        const index = b.node("Unsqueeze", [b.node("Cast", [x[1]!], [A.int("to", INT64)]), b.int64s([-1])]);
        out = b.node("Squeeze", [b.node("GatherElements", [x[0]!, index], [A.int("axis", -1)]), b.int64s([-1])]);
        break;
      }
      case "conv2d": {
        // NHWC x [k, k, in, filters] -> NCHW x [filters, in, k, k], and back.
        const input = b.node("Transpose", [x[0]!], [A.ints("perm", [0, 3, 1, 2])]);
        const kernel = b.node("Transpose", [x[1]!], [A.ints("perm", [3, 2, 0, 1])]);
        const conv = b.node("Conv", [input, kernel], [A.string("auto_pad", attrs["padding"] === "same" ? "SAME_UPPER" : "VALID"), A.ints("strides", [Number(attrs["stride"]), Number(attrs["stride"])])]);
        out = b.node("Transpose", [conv], [A.ints("perm", [0, 2, 3, 1])]);
        break;
      }
      case "max_pool2d": case "avg_pool2d": {
        const size = Number(attrs["size"]), stride = Number(attrs["stride"]);
        const input = b.node("Transpose", [x[0]!], [A.ints("perm", [0, 3, 1, 2])]);
        const pool = b.node(node.op === "max_pool2d" ? "MaxPool" : "AveragePool", [input], [A.ints("kernel_shape", [size, size]), A.ints("strides", [stride, stride])]);
        out = b.node("Transpose", [pool], [A.ints("perm", [0, 2, 3, 1])]);
        break;
      }
      case "recurrence":
        throw new ExportError(`${what}: the recurrence's length is symbolic; give it with --dim (e.g. --dim T=28)`);
      default:
        throw new ExportError(`${what}: op ${node.op} belongs to gradients or training steps and has no place in an inference graph`);
    }
    names.set(node.id, out);
  }

  const outputs = graph.outputs.map((o) => {
    b.node("Identity", [names.get(o.node)!], [], o.name);
    return valueInfo(o.name, graph.nodes[o.node]!);
  });
  const proto = onnx.ModelProto.create({
    irVersion: 8,
    opsetImport: [{ domain: "", version: ONNX_OPSET }],
    producerName: "dlg",
    graph: { name: model, node: b.nodes, initializer: b.initializers, input: inputs, output: outputs },
  });
  return onnx.ModelProto.encode(proto).finish();
}
