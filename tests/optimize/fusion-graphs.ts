// Graphs for the fusion tests: the example models at chosen sizes, and random DAGs of elementwise, broadcasting,
// reducing and matmul ops over one family of mutually broadcastable shapes ([N, B], [N, 1], [B], []), where values are
// read by several consumers on different paths (the diamonds fusion must not turn into cyclic kernel dependencies).
import { ROOT } from "../helpers.js";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { Dim } from "../../compiler/ir/dims.js";
import { IRBuilder } from "../../compiler/ir/builder.js";
import type { TensorValue } from "../../compiler/ir/value.js";
import { compile } from "../../compiler/index.js";
import type { Graph } from "../../compiler/ir/graph.js";
import { hostTensor, type HostTensor } from "../../runtime/tensor.js";
import { uniformStream } from "../helpers.js";

export const EXAMPLES = ["iris-mlp.dlg", "mnist-mlp.dlg", "lenet.dlg", "residual-mlp.dlg", "gpt.dlg"] as const;

export function exampleGraph(file: string, overrides: Record<string, string> = {}): Graph {
  const path = join(ROOT, "dsl-examples", file);
  const r = compile(readFileSync(path, "utf8"), `dsl-examples/${file}`, { overrides });
  if (!r.ok) throw new Error(`${file} does not compile: ${r.diagnostics.map((d) => d.message).join("; ")}`);
  return r.check!.graph;
}

const UNARY = ["neg", "relu", "tanh", "sigmoid", "abs", "leaky_relu"] as const;
const BINARY = ["add", "sub", "mul", "maximum", "minimum"] as const;

/** One node of a random graph; operands are picked (modulo) among the values built so far. */
export type Step =
  | { kind: "unary"; op: (typeof UNARY)[number]; x: number }
  | { kind: "binary"; op: (typeof BINARY)[number]; x: number; y: number }
  | { kind: "reduce"; op: "reduce_sum" | "reduce_max"; x: number; axes: 0 | 1 | 2 }
  | { kind: "matmul"; x: number };

export interface GraphRecipe {
  /** Rows (the symbolic batch N) and columns. */
  n: number;
  cols: number;
  steps: Step[];
  /** Values (picked modulo) that are model outputs besides the last one. */
  outputs: number[];
}

const step: fc.Arbitrary<Step> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ kind: fc.constant("unary" as const), op: fc.constantFrom(...UNARY), x: fc.nat() }) },
  { weight: 5, arbitrary: fc.record({ kind: fc.constant("binary" as const), op: fc.constantFrom(...BINARY), x: fc.nat(), y: fc.nat() }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("reduce" as const), op: fc.constantFrom("reduce_sum" as const, "reduce_max" as const), x: fc.nat(), axes: fc.constantFrom(0 as const, 1 as const, 2 as const) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("matmul" as const), x: fc.nat() }) },
);

/** Sizes that break naive indexing: 1, primes, around the 64-wide workgroup. */
export const awkward = fc.constantFrom(1, 2, 3, 5, 7, 13, 31, 64, 65, 127);

export const recipeArb = (sizes: fc.Arbitrary<number> = awkward, maxSteps = 16): fc.Arbitrary<GraphRecipe> =>
  fc.record({
    n: sizes,
    cols: sizes,
    steps: fc.array(step, { minLength: 1, maxLength: maxSteps }),
    outputs: fc.array(fc.nat(), { maxLength: 3 }),
  });

export interface RandomGraph {
  graph: Graph;
  /** Parameter values, by name. */
  params: Map<string, HostTensor>;
  /** Input values, by name. */
  batch: Record<string, HostTensor>;
}

/**
 * The graph of a recipe: inputs x: [N, B], y: [N, 1], s: [] and parameters w: [B], m: [B, B], a folded constant, then
 * the steps; the last value and the recipe's picks are outputs, and loss = sum(last * last). Values in [-2, 2).
 */
export function buildRandomGraph(recipe: GraphRecipe, seed: number): RandomGraph {
  const random = uniformStream(seed);
  const b = new IRBuilder();
  const span = { start: 0, end: 0 };
  const N = Dim.sym("N");
  const B = Dim.const(recipe.cols);
  const one = Dim.const(1);
  const params = new Map<string, HostTensor>();
  const batch: Record<string, HostTensor> = {};
  const fill = (shape: number[]) => Float32Array.from({ length: shape.reduce((x, y) => x * y, 1) }, () => 4 * random() - 2);
  const input = (name: string, dims: Dim[], shape: number[]) => {
    batch[name] = hostTensor("f32", shape, fill(shape));
    return b.input(name, { dtype: "f32", shape: dims }, span);
  };
  const param = (name: string, dims: Dim[], shape: number[], scale = 1) => {
    params.set(name, hostTensor("f32", shape, fill(shape).map((v) => v * scale)));
    return b.param(name, { dtype: "f32", shape: dims }, { name: "zeros", args: [] }, span);
  };
  const x = input("x", [N, B], [recipe.n, recipe.cols]);
  const pool: TensorValue[] = [x, input("y", [N, one], [recipe.n, 1]), input("s", [], []), param("w", [B], [recipe.cols]), b.constant(0.5)];
  // Scaled so that chains of products stay far from overflow.
  const m = param("m", [B, B], [recipe.cols, recipe.cols], 1 / Math.sqrt(recipe.cols));
  const pick = (i: number) => pool[i % pool.length]!;
  const isFull = (v: TensorValue) => v.type.shape.length === 2 && v.type.shape[1]!.equals(B) && v.type.shape[0]!.equals(N);
  for (const s of recipe.steps) {
    let v: TensorValue;
    if (s.kind === "unary") v = b.op(s.op, [pick(s.x)], s.op === "leaky_relu" ? { alpha: 0.1 } : {});
    else if (s.kind === "binary") v = b.op(s.op, [pick(s.x), pick(s.y)]);
    else if (s.kind === "reduce") {
      const operand = pick(s.x);
      const rank = operand.type.shape.length;
      if (rank === 0) v = b.op("neg", [operand]);
      else if (rank === 1 || s.axes === 2) v = b.op(s.op, [operand], { axes: [...Array(rank).keys()], keepdims: false });
      else v = b.op(s.op, [operand], s.axes === 1 ? { axes: [1], keepdims: true } : { axes: [0], keepdims: false });
    } else {
      const full = pool.filter(isFull);
      v = b.op("matmul", [full[s.x % full.length]!, m]);
    }
    pool.push(v);
  }
  const last = pool[pool.length - 1]!;
  const outputs = new Set([last.node, ...recipe.outputs.map((i) => pick(i).node)]);
  for (const node of outputs) {
    const n = b.graph.nodes[node]!;
    if (n.op === "input" || n.op === "param") continue;
    b.graph.outputs.push({ name: `out${node}`, node, type: n.type });
  }
  const loss = b.op("reduce_sum", [b.op("mul", [last, last])], { axes: [...last.type.shape.keys()], keepdims: false });
  b.graph.loss = loss.node;
  return { graph: b.graph, params, batch };
}

/** The recipe as one line, for failure messages. */
export function describeRecipe(r: GraphRecipe): string {
  const steps = r.steps.map((s) => (s.kind === "binary" ? `${s.op}(${s.x},${s.y})` : s.kind === "matmul" ? `matmul(${s.x})` : s.kind === "reduce" ? `${s.op}(${s.x};${s.axes})` : `${s.op}(${s.x})`));
  return `N=${r.n} B=${r.cols} [${steps.join(" ")}] out ${r.outputs.join(",")}`;
}
