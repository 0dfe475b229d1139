// A model compiled ahead of time for one batch size: its forward program and its training step as manifests, with
// what the runtime needs to start training without the compiler (parameter shapes and initializers, the optimizer).
// The code targets the WebGPU core limits unless told otherwise, so the artifacts run on any adapter.
import { buildTrainStep } from "../3-autodiff/train-step.js";
import type { Graph, Optimizer } from "../ir/graph.js";
import { Dim, formatType } from "../ir/types.js";
import type { ManifestParam, ManifestTensor, ModelManifest, ProgramManifest } from "../../runtime/manifest.js";
import { emitProgram } from "./emit-program.js";
import { CodegenError, DEFAULT_LIMITS, type KernelLimits } from "../wgsl/limits.js";
import { namedReads, toManifest } from "./to-manifest.js";

export interface CompileModelOptions {
  batch: number;
  /** Replaces the model's optimizer (`--lr`). */
  optimizer?: Optimizer;
  limits?: KernelLimits;
  fuse?: boolean;
  planMemory?: boolean;
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
      if (v === undefined) throw new CodegenError(`input \`${input.name}\` (${formatType(input.type)}): dim ${d} does not follow from the batch size; only leading dims are batch dims`);
      return v;
    }));
  }
  return shapes;
}

export function compileModel(forward: Graph, model: string, options: CompileModelOptions): ModelManifest {
  const limits = options.limits ?? DEFAULT_LIMITS;
  const shapes = batchShapes(forward, options.batch);
  const program = (graph: Graph, kind: "forward" | "train", read: ReturnType<typeof namedReads>): ProgramManifest => {
    const plan = emitProgram(graph, shapes, { limits, training: kind === "train", fuse: options.fuse ?? true, keep: read.map((r) => r.node) });
    return toManifest(graph, plan, { kind, read, planMemory: options.planMemory ?? true });
  };
  const forwardReads = namedReads(forward).filter((r) => !r.name?.startsWith("grad:"));
  const programs: ModelManifest["programs"] = { forward: program(forward, "forward", forwardReads) };
  const optimizer = options.optimizer ?? forward.optimizer;
  if (optimizer && forward.loss !== undefined) {
    const step = buildTrainStep(forward, optimizer);
    programs.train = program(step, "train", [{ node: step.loss!, name: "loss" }]);
  }
  const tensor = (name: string, dtype: string, shape: readonly number[]): ManifestTensor => ({ name, dtype: storage(dtype), shape: [...shape] });
  const types = programs.forward.values;
  const params: ManifestParam[] = forward.params.map((p) => ({
    ...tensor(p.name, p.type.dtype, p.type.shape.map((d) => d.constValue()!)),
    init: p.init,
    initArgs: [...p.initArgs],
  }));
  return {
    format: "dlg-model",
    version: 1,
    model,
    batch: options.batch,
    inputs: forward.inputs.map((i) => tensor(i.name, i.type.dtype, shapes.get(i.name)!)),
    outputs: forward.outputs.map((o) => {
      const v = types.find((t) => t.node === o.node)!;
      return tensor(o.name, v.dtype, v.shape);
    }),
    params,
    ...(optimizer && programs.train ? { optimizer: { name: optimizer.name, args: { ...optimizer.args } } } : {}),
    programs,
  };
}
