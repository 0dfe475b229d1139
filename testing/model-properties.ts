// Property tests of a user's own model (`dlg test`, and `dlg/testing` for a project's vitest): fast-check draws a size
// for every symbolic input dim and a value for every integer hyperparameter (values the checker refuses, such as a
// width not divisible by the heads, are discarded as draws), then checks on the CPU reference that execution produces
// the shapes the checker inferred, that outputs, loss and gradients are finite, that a sampled gradient agrees with
// finite differences, that evaluation is deterministic, and that the model compiles for WebGPU's core limits.
// Failures shrink to the smallest sizes and come with a command that reproduces them.
import fc from "fast-check";
import { checkSource, DEFAULT_LIMITS, planProgram, programGraph, type CheckOptions } from "../compiler/index.js";
import { buildBackward } from "../compiler/3-autodiff/build-backward.js";
import type { Graph } from "../compiler/ir/graph.js";
import { interpret, type HostValue } from "../compiler/ir/interpret.js";
import { formatType } from "../compiler/ir/types.js";
import { Random } from "../runtime/random.js";
import { initialBuffers, initialParams } from "../sessions/cpu-session.js";

export interface ModelTestOptions {
  model?: string;
  /** Hyperparameters pinned by the caller (`--set k=v`): not drawn. */
  set?: Readonly<Record<string, string>>;
  /** Dim sizes pinned by the caller (`--dim N=3`): not drawn. */
  dims?: Readonly<Record<string, number>>;
  /** The largest size drawn for a dim or an integer hyperparameter (default 6). */
  maxDim?: number;
  /** The seed of the random inputs and weights, pinned (`--data-seed`): not drawn. */
  dataSeed?: number;
  /** Check that the model compiles for the GPU's core limits at each drawn size (default true). */
  gpu?: boolean;
}

/** One drawn case: hyperparameters, sizes of the symbolic dims, and the seed of the random inputs and weights. */
export interface ModelCase {
  hyperparameters: Record<string, number>;
  dims: Record<string, number>;
  dataSeed: number;
}

/** A property the case broke, in one line. */
export class ModelPropertyError extends Error {}

/** What can be drawn for a source: its integer hyperparameters (with their defaults) and the symbols of its inputs. */
export interface ModelSpace {
  model: string;
  hyperparameters: { name: string; max: number }[];
  symbols: string[];
}

/** Reads the drawable space from a check with the defaults (and pins); a source that does not check throws its first error. */
export function modelSpace(source: string, file: string, options: ModelTestOptions = {}): ModelSpace {
  const result = checkSource(source, file, checkOptions(options, {}));
  const error = result.diagnostics.find((d) => d.severity === "error");
  if (!result.check || error) throw new ModelPropertyError(`${file} does not check with its defaults: ${error?.message ?? "no model"}`);
  const model = result.check.model ?? "model";
  const decl = result.program.decls.find((d) => d.kind === "model" && d.name.name === model);
  const maxDim = options.maxDim ?? 6;
  const hyperparameters = (decl?.params ?? [])
    .filter((p) => p.type.kind === "scalar" && p.type.name.name === "int" && !Object.hasOwn(options.set ?? {}, p.name.name))
    .map((p) => {
      // The checker reports `int = 16`.
      const text = result.check!.hyperparameters.find((h) => h.name === p.name.name)?.value ?? "";
      const value = Number(/(-?\d+)\s*$/.exec(text)?.[1] ?? maxDim);
      return { name: p.name.name, max: Math.max(1, Math.min(value, maxDim)) };
    });
  const symbols = [...new Set(result.check.graph.inputs.flatMap((i) => i.type.shape.flatMap((d) => [...d.symbols()])))].filter((s) => !Object.hasOwn(options.dims ?? {}, s));
  return { model, hyperparameters, symbols };
}

function checkOptions(options: ModelTestOptions, hyperparameters: Record<string, number>): CheckOptions {
  return {
    ...(options.model !== undefined ? { model: options.model } : {}),
    overrides: { ...options.set, ...Object.fromEntries(Object.entries(hyperparameters).map(([k, v]) => [k, String(v)])) },
  };
}

/** Cases for a model: sizes 1..maxDim for each symbol, 1..min(default, maxDim) for each integer hyperparameter. */
export function modelCaseArbitrary(space: ModelSpace, options: ModelTestOptions = {}): fc.Arbitrary<ModelCase> {
  const maxDim = options.maxDim ?? 6;
  return fc.record({
    hyperparameters: fc.record(Object.fromEntries(space.hyperparameters.map((h) => [h.name, fc.integer({ min: 1, max: h.max })]))),
    dims: fc.record(Object.fromEntries(space.symbols.map((s) => [s, fc.integer({ min: 1, max: maxDim })]))),
    dataSeed: options.dataSeed !== undefined ? fc.constant(options.dataSeed) : fc.nat({ max: 1000 }),
  }) as fc.Arbitrary<ModelCase>;
}

/** The graph of a case, or undefined when the checker refuses its hyperparameters (not a failure: a discarded draw). */
export function caseGraph(source: string, file: string, c: ModelCase, options: ModelTestOptions = {}): Graph | undefined {
  const dims = { ...options.dims, ...c.dims };
  let result = checkSource(source, file, checkOptions(options, c.hyperparameters));
  if (!result.ok || !result.check) return undefined;
  // A recurrence over a symbolic length is unrolled once the length is known: check again with the drawn sizes.
  if (result.check.graph.nodes.some((n) => n.op === "recurrence")) {
    const batch = new Set(result.check.graph.inputs.flatMap((i) => [...(i.type.shape[0]?.symbols() ?? [])]));
    const bound = Object.fromEntries(Object.entries(dims).filter(([s]) => !batch.has(s)));
    result = checkSource(source, file, { ...checkOptions(options, c.hyperparameters), dims: bound });
    if (!result.ok || !result.check) return undefined;
  }
  return result.check.graph;
}

/** Random inputs at the case's sizes: floats in [0, 1), class labels and token ids below what the model takes. */
function inputsOf(graph: Graph, dims: Readonly<Record<string, number>>, random: Random): Map<string, HostValue> {
  const values = new Map<string, HostValue>();
  for (const input of graph.inputs) {
    const shape = input.type.shape.map((d) => {
      const env = new Map(Object.entries(dims));
      const v = d.evaluate(env);
      if (v === undefined) throw new ModelPropertyError(`input \`${input.name}\` (${formatType(input.type)}): no size drawn for ${d}`);
      return v;
    });
    const n = shape.reduce((a, b) => a * b, 1);
    if (input.type.dtype === "i32") {
      const table = graph.nodes.find((node) => node.op === "gather" && node.inputs[1] === input.node);
      const classes = graph.labelInputs?.find((l) => l.input === input.name)?.classes
        ?? (table ? graph.nodes[table.inputs[0]!]!.type.shape[0]!.constValue() : undefined) ?? 2;
      values.set(input.name, { shape, data: Int32Array.from({ length: n }, () => random.nextInt(classes)) });
    } else values.set(input.name, { shape, data: Float64Array.from({ length: n }, () => random.nextFloat()) });
  }
  return values;
}

function firstNonFinite(values: Map<number, HostValue>, what: (id: number) => string): string | undefined {
  for (const [id, v] of values) {
    const i = Array.from(v.data).findIndex((x) => !Number.isFinite(x));
    if (i >= 0) return `${what(id)} is ${v.data[i]} at element ${i}`;
  }
  return undefined;
}

/** Runs every check on one case; throws ModelPropertyError naming the first property it breaks. */
export function checkModelCase(graph: Graph, c: ModelCase, options: ModelTestOptions = {}): void {
  const random = new Random(c.dataSeed);
  const values = inputsOf(graph, { ...options.dims, ...c.dims }, random);
  // Initial parameters, nudged: zero biases meet dead activations at exactly 0, where ReLU has a kink and finite
  // differences measure half its slope.
  for (const [name, t] of initialParams(graph, c.dataSeed)) values.set(name, { shape: t.shape, data: Float64Array.from(t.data, (x) => x + 0.05 * random.normal()) });
  for (const [name, t] of initialBuffers(graph)) values.set(name, { shape: t.shape, data: Float64Array.from(t.data) });
  const label = (g: Graph) => (id: number) => {
    const output = g.outputs.find((o) => o.node === id);
    return output ? `output \`${output.name}\`` : id === g.loss ? "the loss" : `%${id} (${g.nodes[id]!.op})`;
  };
  const run = (g: Graph, keep: number[], precision: "f32" | "f64") => {
    try {
      return interpret(g, values, { precision, keep });
    } catch (e) {
      // The executor checks every value against the shape the checker inferred.
      throw new ModelPropertyError(`execution disagrees with shape inference: ${e instanceof Error ? e.message.replace(/^internal: /, "") : String(e)}`);
    }
  };

  // Forward, evaluation mode: every node executes at its inferred shape; outputs and loss are finite; twice alike.
  const everything = graph.nodes.map((n) => n.id);
  const forward = run(graph, everything, "f32");
  const kept = new Map([...graph.outputs.map((o) => o.node), ...(graph.loss !== undefined ? [graph.loss] : [])].map((id) => [id, forward.get(id)!]));
  const bad = firstNonFinite(kept, label(graph));
  if (bad) throw new ModelPropertyError(`not finite: ${bad}`);
  const again = run(graph, [...kept.keys()], "f32");
  for (const [id, v] of kept) {
    const w = again.get(id)!;
    const i = Array.from(v.data).findIndex((x, k) => !Object.is(x, w.data[k]));
    if (i >= 0) throw new ModelPropertyError(`evaluation is not deterministic: ${label(graph)(id)} element ${i} is ${v.data[i]}, then ${w.data[i]}`);
  }

  if (graph.loss !== undefined && graph.params.length > 0) {
    // Backward (batch statistics, no dropout, as `dlg grad`): finite gradients; one sampled element against
    // central finite differences in float64.
    const backward = buildBackward(graph.training ?? graph);
    const grads = run(backward, backward.grads!.map((g) => g.node), "f64");
    const gradLabel = (id: number) => `the gradient of ${backward.grads!.find((g) => g.node === id)?.name ?? `%${id}`}`;
    const badGrad = firstNonFinite(grads, gradLabel);
    if (badGrad) throw new ModelPropertyError(`not finite: ${badGrad}`);
    const g = backward.grads![random.nextInt(backward.grads!.length)]!;
    const param = values.get(g.name)!;
    const k = random.nextInt(param.data.length);
    const analytic = grads.get(g.node)!.data[k]!;
    const lossAt = (delta: number) => {
      const data = Float64Array.from(param.data);
      data[k]! += delta;
      values.set(g.name, { shape: param.shape, data });
      const loss = run(backward, [backward.loss!], "f64").get(backward.loss!)!.data[0]!;
      values.set(g.name, param);
      return loss;
    };
    const eps = 1e-6;
    const numeric = (lossAt(eps) - lossAt(-eps)) / (2 * eps);
    if (Math.abs(numeric - analytic) > 1e-4 + 1e-3 * Math.max(Math.abs(numeric), Math.abs(analytic)))
      throw new ModelPropertyError(`gradient of ${g.name}[${k}] is ${analytic}, finite differences give ${numeric}`);
  }

  if (options.gpu ?? true) {
    // The kernels of the forward program and the training step fit WebGPU's core limits at these sizes.
    try {
      const shapes = new Map(graph.inputs.map((i) => [i.name, values.get(i.name)!.shape] as const));
      planProgram(graph, shapes, { limits: DEFAULT_LIMITS, training: false });
      if (graph.optimizer && graph.loss !== undefined) planProgram(programGraph(graph, "train"), shapes, { limits: DEFAULT_LIMITS, training: true });
    } catch (e) {
      throw new ModelPropertyError(`does not compile for WebGPU's core limits: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
}

/** The fast-check property: every drawn case passes `checkModelCase` (cases the checker refuses are discarded). */
export function modelProperty(source: string, file: string, options: ModelTestOptions = {}): fc.IPropertyWithHooks<[ModelCase]> {
  const space = modelSpace(source, file, options);
  return fc.property(modelCaseArbitrary(space, options), (c) => {
    const graph = caseGraph(source, file, c, options);
    fc.pre(graph !== undefined);
    checkModelCase(graph!, c, options);
  });
}

export interface ModelTestReport {
  model: string;
  runs: number;
  seed: number;
  /** The smallest failing case and what it broke; undefined when every run passed. */
  failure?: { case: ModelCase; message: string; shrinks: number };
}

/** Runs the property `runs` times from `seed`, shrinking a failure to its smallest case. */
export function testModel(source: string, file: string, options: ModelTestOptions & { runs?: number; seed?: number } = {}): ModelTestReport {
  const space = modelSpace(source, file, options);
  const seed = options.seed ?? 0;
  const runs = options.runs ?? 50;
  const result = fc.check(modelProperty(source, file, options), { seed, numRuns: runs, maxSkipsPerRun: 20 });
  if (!result.failed) return { model: space.model, runs: result.numRuns, seed };
  const [c] = result.counterexample ?? [];
  if (!c) throw new ModelPropertyError(`could not draw hyperparameters the model accepts (${result.numSkips} draws refused); pin some with --set`);
  const error = result.errorInstance;
  const message = error instanceof Error ? error.message : String(error);
  if (!(error instanceof ModelPropertyError)) throw error;
  return { model: space.model, runs: result.numRuns, seed, failure: { case: c, message, shrinks: result.numShrinks } };
}
