// The compiler, and the only place its phases are put together:
//
//   parse -> check -> differentiate -> fold constants -> fuse -> emit WGSL -> plan memory -> manifest
//
// Each phase is a function of the previous one's output. Three entry points cover what callers need: `checkSource`
// (a source text to diagnostics and a typed forward graph), `lowerProgram` (one program of a checked model, for
// concrete input shapes, to a manifest the runtime executes) and `compileModel` (a model to the artifacts of
// `dlg compile`: its forward program and training step, with what the runtime needs to train without the compiler).
import type { Program } from "./1-parse/ast.js";
import { parse } from "./1-parse/parse.js";
import { checkProgram, type CheckOptions, type CheckResult } from "./2-check/check.js";
import { buildBackward } from "./3-autodiff/build-backward.js";
import { buildTrainStep } from "./3-autodiff/train-step.js";
import { foldConstants, type GraphInstance } from "./4-optimize/fold-constants.js";
import { fuseGraph, unfusedGroups } from "./4-optimize/fuse.js";
import { planMemory, type MemoryPlan, type MemoryValue } from "./4-optimize/plan-memory.js";
import { maskRows, ROW_COUNT, ROW_MASK } from "./4-optimize/row-mask.js";
import { emitProgram, kernelHooks, readByCaller, type ProgramPlan } from "./5-codegen-wgsl/emit-program.js";
import { finishManifest, manifestDraft, namedReads, type ManifestOptions, type ReadRequest } from "./5-codegen-wgsl/to-manifest.js";
import { DiagnosticBag, sortDiagnostics, type Diagnostic } from "./diagnostics/diagnostic.js";
import { Dim } from "./ir/dims.js";
import type { Graph, NodeId, Optimizer } from "./ir/graph.js";
import { bindDims, concreteType } from "./ir/interpret.js";
import { formatType } from "./ir/types.js";
import { CodegenError, DEFAULT_LIMITS, type KernelLimits } from "./wgsl/limits.js";
import type { ManifestParam, ManifestTensor, ModelManifest, ProgramKind, ProgramManifest } from "../runtime/manifest.js";

// ---- check a source -------------------------------------------------------------------------------------------

export interface CompileResult {
  program: Program;
  /** Absent when syntax errors stopped compilation before checking. */
  check?: CheckResult;
  diagnostics: Diagnostic[];
  ok: boolean;
}

/** Parses and checks a source: diagnostics, and for each model its typed forward graph. */
export function checkSource(text: string, file: string, options: CheckOptions = {}): CompileResult {
  const parsed = parse(text, file);
  const bag = parsed.diagnostics;
  let check: CheckResult | undefined;
  if (bag.errorCount === 0) {
    try {
      check = checkProgram(parsed.program, bag, options);
    } catch (e) {
      // A pathological program (an expression chain tens of thousands of terms long) can still exhaust the stack.
      if (!(e instanceof RangeError)) throw e;
      bag.report("tooDeep", { start: 0, end: 0 }, { limit: 10_000 });
    }
  }
  const diagnostics = sortDiagnostics([...bag.items]);
  return { program: parsed.program, ...(check ? { check } : {}), diagnostics, ok: !diagnostics.some((d) => d.severity === "error") };
}

/** The front half under its historical name. */
export const compile = checkSource;

// ---- lower a checked model to a program for concrete shapes ---------------------------------------------------

/**
 * The graph of one program of a model: the forward graph itself, the forward graph with its gradients, or a whole
 * training step (forward, backward and the optimizer's update) with `optimizer` or the model's own.
 */
export function programGraph(forward: Graph, kind: ProgramKind, optimizer?: Optimizer): Graph {
  if (kind === "forward") return forward;
  // Gradients and training steps use the batch's statistics (batch_norm), as PyTorch's model.train() does.
  const training = forward.training ?? forward;
  if (kind === "backward") return buildBackward(training);
  const chosen = optimizer ?? forward.optimizer;
  if (!chosen || training.loss === undefined) throw new Error("internal: the model has no `train` statement");
  return buildTrainStep(training, chosen);
}

export interface LowerOptions {
  limits: KernelLimits;
  /** Values the caller reads back after a run (outputs, loss, gradients and updates are always kept). */
  read: readonly ReadRequest[];
  /** Fold constant subgraphs on the host (default true); off, every node gets a kernel (to test those kernels). */
  fold?: boolean;
  /** Fuse elementwise chains and epilogues (default true); off, one kernel per computed node. */
  fuse?: boolean;
  /** Share buffers between values whose lifetimes do not overlap (default true); off, every value has its own. */
  planMemory?: boolean;
  /** Called with what the program was made of (`dlg compile --report`). */
  inspect?: (details: ProgramDetails) => void;
}

/** A graph at concrete input shapes; a dim that does not follow from them is a code generation error. */
export function instantiate(graph: Graph, shapes: ReadonlyMap<string, readonly number[]>): GraphInstance {
  const env = bindDims(graph, shapes);
  return {
    types: graph.nodes.map((n) => concreteType(n.type, env)),
    env,
    dim(d: Dim) {
      const v = d.evaluate(env);
      if (v === undefined) throw new CodegenError(`dim ${d} is not known from the inputs`);
      return v;
    },
  };
}

export interface PlanOptions {
  limits: KernelLimits;
  /** Emit for a training step (dropout draws masks); otherwise dropout is the identity. */
  training: boolean;
  fold?: boolean;
  fuse?: boolean;
  /** Nodes the caller reads back besides outputs, loss, gradients and updates: fusion keeps them as kernel outputs. */
  keep?: readonly NodeId[];
}

/** Instantiate, fold constants, fuse, emit: the kernels of a graph at these input shapes, binding IR nodes. */
export function planProgram(graph: Graph, shapes: ReadonlyMap<string, readonly number[]>, options: PlanOptions): ProgramPlan {
  const instance = instantiate(graph, shapes);
  const folded = options.fold ?? true ? foldConstants(graph, instance, options.training) : new Map<NodeId, Float32Array | Int32Array>();
  const program = { limits: options.limits, training: options.training };
  const hooks = kernelHooks(graph, instance, folded, program);
  const fused = options.fuse ?? true;
  const groups = fused
    ? fuseGraph(graph, instance.types, {
        keep: new Set([...readByCaller(graph), ...(options.keep ?? [])]),
        precomputed: hooks.precomputed,
        literal: (n) => hooks.literals.has(n),
        maxBindings: options.limits.maxStorageBuffersPerShaderStage,
        guards: hooks.guards,
        epilogueHost: hooks.epilogueHost,
        checks: hooks.checks,
        view: hooks.view,
      })
    : unfusedGroups(graph, instance.types, hooks.precomputed);
  return emitProgram(graph, instance, folded, groups, hooks, { ...program, fused });
}

/** What a program was made of, for reports: its graph, kernels, the planner's values and its memory plan. */
export interface ProgramDetails {
  kind: ProgramKind;
  graph: Graph;
  plan: ProgramPlan;
  values: readonly MemoryValue[];
  memory: MemoryPlan;
}

/** Plan memory for a program's computed values and bind its kernels to buffers: the manifest the runtime executes. */
export function toManifest(graph: Graph, plan: ProgramPlan, options: ManifestOptions, inspect?: (details: ProgramDetails) => void): ProgramManifest {
  const draft = manifestDraft(graph, plan, options);
  const memory = planMemory(draft.values, draft.steps);
  inspect?.({ kind: options.kind, graph, plan, values: draft.values, memory });
  return finishManifest(draft, memory);
}

/** One program of `kind` (its graph from `programGraph`) at these input shapes, as a manifest the runtime executes. */
export function lowerProgram(graph: Graph, kind: ProgramKind, shapes: ReadonlyMap<string, readonly number[]>, options: LowerOptions): ProgramManifest {
  const plan = planProgram(graph, shapes, {
    limits: options.limits,
    training: kind === "train",
    ...(options.fold !== undefined ? { fold: options.fold } : {}),
    ...(options.fuse !== undefined ? { fuse: options.fuse } : {}),
    keep: options.read.map((r) => r.node),
  });
  return toManifest(graph, plan, { kind, read: options.read, ...(options.planMemory !== undefined ? { planMemory: options.planMemory } : {}) }, options.inspect);
}

// ---- compile a model to artifacts -----------------------------------------------------------------------------

export interface CompileModelOptions {
  batch: number;
  /** Replaces the model's optimizer (`--lr`). */
  optimizer?: Optimizer;
  /** The WebGPU core limits unless told otherwise, so the artifacts run on any adapter. */
  limits?: KernelLimits;
  fuse?: boolean;
  planMemory?: boolean;
  /** Compile for exactly `batch` rows (default: any batch up to it, where the model allows). */
  varyBatch?: boolean;
  /** Dims the caller bound (`--dim T=64`), recorded in the manifest as fixed. */
  fixedDims?: Record<string, number>;
  /** Called with each program's details as it is compiled (`dlg compile --report`). */
  inspect?: (details: ProgramDetails) => void;
}

const storage = (dtype: string): "f32" | "i32" => (dtype === "i32" ? "i32" : "f32");

/**
 * The input shapes at a batch size: an input's leading dim, when symbolic, is the batch; every other dim must follow
 * from those (a constant, or an expression of the batch dims).
 */
export function batchShapes(graph: Graph, batch: number): Map<string, number[]> {
  const env = new Map<string, number>();
  for (const input of graph.inputs) {
    const lead = input.type.shape[0];
    if (lead && lead.constValue() === undefined && lead.symbols().size === 1) {
      const [sym] = lead.symbols();
      if (lead.equals(Dim.sym(sym!))) env.set(sym!, batch);
    }
  }
  const shapes = new Map<string, number[]>();
  for (const input of graph.inputs) {
    shapes.set(input.name, input.type.shape.map((d) => {
      const v = d.evaluate(env);
      if (v === undefined) throw new CodegenError(`input \`${input.name}\` (${formatType(input.type)}): dim ${d} does not follow from the batch size; only leading dims are batch dims (give the others with --dim ${d}=SIZE)`);
      return v;
    }));
  }
  return shapes;
}

/** A model compiled ahead of time for one batch size: its forward program and training step, and its parameters. */
export function compileModel(forward: Graph, model: string, options: CompileModelOptions): ModelManifest {
  const lower = {
    limits: options.limits ?? DEFAULT_LIMITS,
    ...(options.fuse !== undefined ? { fuse: options.fuse } : {}),
    ...(options.planMemory !== undefined ? { planMemory: options.planMemory } : {}),
    ...(options.inspect ? { inspect: options.inspect } : {}),
  };
  // Any batch up to options.batch runs in the same programs, unless the model's layout keeps it from it.
  const rowMasked = options.varyBatch === false ? { reason: "asked for a fixed batch" } : maskRows(forward);
  const graph = "graph" in rowMasked ? rowMasked.graph : forward;
  const shapes = batchShapes(graph, options.batch);
  const forwardReads = namedReads(graph).filter((r) => !r.name?.startsWith("grad:"));
  const programs: ModelManifest["programs"] = { forward: lowerProgram(graph, "forward", shapes, { ...lower, read: forwardReads }) };
  const optimizer = options.optimizer ?? graph.optimizer;
  if (optimizer && graph.loss !== undefined) {
    const step = programGraph(graph, "train", optimizer);
    programs.train = lowerProgram(step, "train", shapes, { ...lower, read: [{ node: step.loss!, name: "loss" }] });
  }
  const tensor = (name: string, dtype: string, shape: readonly number[]): ManifestTensor => ({ name, dtype: storage(dtype), shape: [...shape] });
  const types = programs.forward.values;
  const params: ManifestParam[] = forward.params.map((p) => ({
    ...tensor(p.name, p.type.dtype, p.type.shape.map((d) => d.constValue()!)),
    init: p.init,
    initArgs: [...p.initArgs],
  }));
  let rows: ModelManifest["rows"];
  if ("graph" in rowMasked) {
    // Rows per example along an output's dim 0 (1 for [N, ...], T for [N*T, ...]), and per dropout draw.
    const perItem = (d: Dim | undefined) => d?.linearIn(rowMasked.symbol)?.coef;
    const outputs: Record<string, number> = {};
    for (const o of forward.outputs) {
      const a = perItem(o.type.shape[0]);
      if (a !== undefined) outputs[o.name] = a;
    }
    for (const program of [programs.forward, programs.train]) {
      for (const b of program?.buffers ?? []) if (b.kind === "random" && b.count! % options.batch === 0) b.perRow = b.count! / options.batch;
    }
    rows = { symbol: rowMasked.symbol, max: options.batch, mask: ROW_MASK, count: ROW_COUNT, outputs };
  }
  return {
    format: "dlg-model",
    version: 1,
    model,
    batch: options.batch,
    dims: {
      fixed: { ...options.fixedDims },
      varying: rows ? { [rows.symbol]: { max: options.batch } } : {},
      ...("reason" in rowMasked ? { fixedBatch: rowMasked.reason } : {}),
    },
    ...(rows ? { rows } : {}),
    inputs: forward.inputs.map((i) => tensor(i.name, i.type.dtype, shapes.get(i.name)!)),
    outputs: forward.outputs.map((o) => {
      const v = types.find((t) => t.node === graph.outputs.find((g) => g.name === o.name)!.node)!;
      return tensor(o.name, v.dtype, v.shape);
    }),
    params,
    ...(optimizer && programs.train ? { optimizer: { name: optimizer.name, args: { ...optimizer.args } } } : {}),
    ...(forward.classifier ? { classifier: { ...forward.classifier } } : {}),
    programs,
  };
}

export { parse, DiagnosticBag, namedReads, CodegenError, DEFAULT_LIMITS };
export type { CheckOptions, CheckResult, KernelLimits, ManifestOptions, ProgramPlan, ReadRequest, ProgramKind };
