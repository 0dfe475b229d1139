// The CPU reference executor: runs an IR graph op by op with each op's `reference`. It is the oracle for every other
// backend and the fallback when no GPU exists. Values for inputs, parameters and optimizer state are bound by name.
import { Dim } from "./dims.js";
import { ExecutionError, type ConcreteType, type ExecContext, type HostData } from "./define-op.js";
import type { Graph, NodeId } from "./graph.js";
import { getOp } from "./registry.js";
import { formatType, isFloat, type TensorType } from "./types.js";

export interface HostValue {
  shape: readonly number[];
  data: HostData;
}

export interface InterpretOptions {
  /** Float storage: "f32" (as the GPU computes) or "f64" (for finite-difference gradient checks). */
  precision?: "f32" | "f64";
  training?: boolean;
  /** Uniform [0, 1) generator for dropout; required only when training a graph with dropout. */
  random?: () => number;
  /** Nodes whose values the caller wants back; every other value is freed after its last use. */
  keep?: readonly NodeId[];
}

/**
 * Binds every symbolic dim of the graph's inputs from the shapes of the values supplied for them.
 * Throws ExecutionError naming the input when a supplied shape contradicts its declaration.
 */
export function bindDims(graph: Graph, shapes: ReadonlyMap<string, readonly number[]>): Map<string, number> {
  const env = new Map<string, number>();
  for (const input of graph.inputs) {
    const shape = shapes.get(input.name);
    if (!shape) throw new ExecutionError(`no value for input \`${input.name}\` (${formatType(input.type)})`);
    const declared = input.type.shape;
    const mismatch = () => new ExecutionError(`input \`${input.name}\` is declared ${formatType(input.type)} but got shape [${shape.join(", ")}]`);
    if (declared.length !== shape.length) throw mismatch();
    declared.forEach((d, i) => {
      const [sym] = d.symbols();
      if (d.symbols().size === 1 && d.equals(Dim.sym(sym!)) && !env.has(sym!)) env.set(sym!, shape[i]!);
    });
    declared.forEach((d, i) => {
      if (d.evaluate(env) !== shape[i]) throw mismatch();
    });
  }
  return env;
}

export function concreteType(type: TensorType, env: ReadonlyMap<string, number>): ConcreteType {
  return {
    dtype: type.dtype,
    shape: type.shape.map((d) => {
      const v = d.evaluate(env);
      if (v === undefined) throw new ExecutionError(`dim ${d} is not known from the inputs`);
      return v;
    }),
  };
}

function allocator(dtype: ConcreteType["dtype"], precision: "f32" | "f64"): (n: number) => HostData {
  if (!isFloat(dtype)) return (n) => new Int32Array(n);
  return precision === "f64" ? (n) => new Float64Array(n) : (n) => new Float32Array(n);
}

/** Runs the graph. `values` holds inputs, parameters and optimizer state by name. Returns the kept nodes' values. */
export function interpret(graph: Graph, values: ReadonlyMap<string, HostValue>, options: InterpretOptions = {}): Map<NodeId, HostValue> {
  const precision = options.precision ?? "f32";
  const inputShapes = new Map(graph.inputs.map((i) => [i.name, values.get(i.name)?.shape ?? []]));
  for (const i of graph.inputs) if (!values.has(i.name)) throw new ExecutionError(`no value for input \`${i.name}\` (${formatType(i.type)})`);
  const env = bindDims(graph, inputShapes);
  const keep = new Set(options.keep ?? [...graph.outputs.map((o) => o.node), ...(graph.loss !== undefined ? [graph.loss] : [])]);
  const lastUse = new Map<NodeId, number>();
  graph.nodes.forEach((n) => n.inputs.forEach((i) => lastUse.set(i, n.id)));
  const results = new Map<NodeId, HostValue>();
  const live = new Map<NodeId, HostValue>();
  const types = graph.nodes.map((n) => concreteType(n.type, env));
  const random = options.random ?? (() => {
    throw new Error("internal: a random generator is required to run dropout in training");
  });
  const dim = (d: Dim) => {
    const v = d.evaluate(env);
    if (v === undefined) throw new ExecutionError(`dim ${d} is not known from the inputs`);
    return v;
  };
  for (const node of graph.nodes) {
    const outType = types[node.id]!;
    let data: HostData;
    if (node.op === "input" || node.op === "param" || node.op === "state") {
      const name = node.attrs["name"] as string;
      const bound = values.get(name);
      if (!bound) throw new ExecutionError(`no value for ${node.op} \`${name}\` (${formatType(node.type)})`);
      if (bound.shape.length !== outType.shape.length || bound.shape.some((d, i) => d !== outType.shape[i]))
        throw new ExecutionError(`${node.op} \`${name}\` should have shape [${outType.shape.join(", ")}], got [${bound.shape.join(", ")}]`);
      data = convert(bound.data, outType.dtype, precision);
    } else {
      const ctx: ExecContext = {
        inputs: node.inputs.map((i) => types[i]!),
        output: outType,
        dim,
        alloc: allocator(outType.dtype, precision),
        training: options.training ?? false,
        random,
      };
      data = getOp(node.op).reference(node.inputs.map((i) => live.get(i)!.data), node.attrs, ctx);
      const expected = outType.shape.reduce((a, b) => a * b, 1);
      // The shape the checker inferred must be the shape execution produced: a reference that computes a different
      // size means the shape rule and the reference disagree.
      if (data.length !== expected)
        throw new Error(`internal: ${node.op} produced ${data.length} elements, its inferred type ${formatType(node.type)} has ${expected}`);
    }
    const value = { shape: outType.shape, data };
    live.set(node.id, value);
    if (keep.has(node.id)) results.set(node.id, value);
    for (const i of node.inputs) if (lastUse.get(i) === node.id) live.delete(i);
  }
  return results;
}

/** Puts bound data in the executor's storage type (float64 for gradient checks; integers stay integers). */
function convert(data: HostData, dtype: ConcreteType["dtype"], precision: "f32" | "f64"): HostData {
  if (!isFloat(dtype)) return data instanceof Int32Array ? data : Int32Array.from(data, Math.trunc);
  if (precision === "f64") return data instanceof Float64Array ? data : Float64Array.from(data);
  return data instanceof Float32Array ? data : Float32Array.from(data);
}
