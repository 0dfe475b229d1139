// A graph instantiated for concrete input shapes: one kernel per fusion group (per IR node with `fuse: false`), one
// buffer entry per node, kernels in an order that respects their dependencies. Nodes that depend on nothing but
// constants are folded here with their CPU references (the runtime uploads the values once; scalars become literals
// in fused kernels); the rest become kernels, each parsed back with wgsl_reflect before use.
import { bindDims, concreteType } from "../ir/interpret.js";
import type { ConcreteType, ExecContext, HostData } from "../ir/define-op.js";
import type { Graph, NodeId } from "../ir/graph.js";
import { opDef as getOp } from "../ops/index.js";
import { Dim, isFloat } from "../ir/types.js";
import { fuseGraph, type FusionGroup } from "../4-optimize/fuse.js";
import { describeNode, emitGroupKernel, emitKernel, epilogueBindings, type KernelPlan } from "./emit-kernel.js";
import { countOf } from "../wgsl/indexing.js";
import { CodegenError, type KernelLimits } from "../wgsl/limits.js";
import { reflectKernel, type Reflection } from "./validate.js";
import { literal } from "../wgsl/wgsl-values.js";

export interface ProgramOptions {
  limits: KernelLimits;
  /** Emit for a training step (dropout draws masks); otherwise dropout is the identity. */
  training: boolean;
  /** Fold constant subgraphs on the host (default true); off, every node gets a kernel (to test those kernels). */
  fold?: boolean;
  /** Fuse elementwise ops into one kernel per group (default true); off, one kernel per computed node. */
  fuse?: boolean;
  /**
   * Nodes the caller reads back after a run besides outputs, loss, gradients and updates (always kept): fusion keeps
   * them as kernel outputs.
   */
  keep?: readonly NodeId[];
}

export type SourceKind = "input" | "param" | "state";

export interface BufferPlan {
  node: NodeId;
  dtype: "f32" | "i32";
  elements: number;
  bytes: number;
  /** Where the value comes from when no kernel computes it. */
  source?: { kind: SourceKind; name: string };
  /** The folded value of a constant node. */
  folded?: Float32Array | Int32Array;
  /**
   * Computed inside a fused kernel and read by no other kernel nor by the caller: no kernel binds it, so it needs no
   * buffer (reading it back is an error).
   */
  internal?: true;
}

export interface CompiledKernel extends KernelPlan {
  layout: Reflection;
}

export interface ProgramPlan {
  /** Concrete type of every node, by id. */
  types: ConcreteType[];
  env: ReadonlyMap<string, number>;
  buffers: BufferPlan[];
  kernels: CompiledKernel[];
  /** Dropout nodes whose random bits the runtime draws before each run, in node order (the reference's draw order). */
  randoms: { node: NodeId; rate: number; count: number }[];
  /** Run-time check messages by code. */
  messages: Map<number, string>;
  training: boolean;
}

function storageDtype(t: ConcreteType): "f32" | "i32" {
  return isFloat(t.dtype) ? "f32" : "i32";
}

export function emitProgram(graph: Graph, inputShapes: ReadonlyMap<string, readonly number[]>, options: ProgramOptions): ProgramPlan {
  const env = bindDims(graph, inputShapes);
  const types = graph.nodes.map((n) => concreteType(n.type, env));
  const dim = (d: Dim) => {
    const v = d.evaluate(env);
    if (v === undefined) throw new CodegenError(`dim ${d} is not known from the inputs`);
    return v;
  };
  const limits = options.limits;
  const fold = options.fold ?? true;
  const folded = new Map<NodeId, HostData>();
  const buffers: BufferPlan[] = [];
  const kernels: CompiledKernel[] = [];
  const randoms: ProgramPlan["randoms"] = [];
  const messages = new Map<number, string>();

  for (const node of graph.nodes) {
    const type = types[node.id]!;
    const elements = countOf(type.shape);
    const bytes = 4 * elements;
    const what = describeNode(node, type);
    const maxBytes = Math.min(limits.maxStorageBufferBindingSize, limits.maxBufferSize);
    if (bytes > maxBytes) throw new CodegenError(`${what}: ${bytes} bytes exceed the adapter's largest storage buffer (${maxBytes} bytes)`);
    const buffer: BufferPlan = { node: node.id, dtype: storageDtype(type), elements, bytes };
    buffers.push(buffer);
    const def = getOp(node.op);
    if (def.wgsl.kind === "bound") {
      buffer.source = { kind: node.op as SourceKind, name: node.attrs["name"] as string };
      continue;
    }
    // A node of constants only (no source, no randomness among its ancestors) has one value for the program's life.
    if (fold && def.fusion !== "source" && node.inputs.every((i) => folded.has(i))) {
      const ctx: ExecContext = {
        inputs: node.inputs.map((i) => types[i]!),
        output: type,
        dim,
        alloc: (n) => (buffer.dtype === "i32" ? new Int32Array(n) : new Float32Array(n)),
        training: options.training,
        random: () => {
          throw new Error(`internal: ${node.op} folded as a constant draws random numbers`);
        },
      };
      const value = def.reference(node.inputs.map((i) => folded.get(i)!), node.attrs, ctx);
      folded.set(node.id, value);
      buffer.folded = value as Float32Array | Int32Array;
    }
  }

  // Each update keeps the current value of what it replaces when the step failed (see EmitOptions.guards).
  const guards = new Map<NodeId, NodeId>();
  const sourceOf = new Map<string, NodeId>();
  for (const b of buffers) if (b.source && b.source.kind !== "input") sourceOf.set(b.source.name, b.node);
  for (const u of graph.updates ?? []) {
    const current = sourceOf.get(u.name);
    if (current !== undefined) guards.set(u.node, current);
  }
  const emitOptions = { limits, training: options.training, guards };
  const precomputed = (n: NodeId) => buffers[n]!.source !== undefined || buffers[n]!.folded !== undefined;
  let groups: FusionGroup[];
  const literals = new Map<NodeId, string>();
  if (options.fuse ?? true) {
    for (const [n, value] of folded) if (value.length === 1) literals.set(n, literal(value[0]!, types[n]!.dtype));
    groups = fuseGraph(graph, types, {
      keep: new Set([...readByCaller(graph), ...(options.keep ?? [])]),
      precomputed,
      literal: (n) => literals.has(n),
      maxBindings: limits.maxStorageBuffersPerShaderStage,
      guards,
      epilogueHost: (node) => epilogueBindings(node, types, dim, emitOptions),
    });
  } else {
    groups = graph.nodes.filter((n) => !precomputed(n.id)).map((n) => ({ nodes: [n.id], outputs: [n.id], inputs: [...new Set(n.inputs)], shape: types[n.id]!.shape }));
  }

  for (const group of groups) {
    const kernel = options.fuse ?? true
      ? emitGroupKernel(graph.nodes, group, types, dim, { ...emitOptions, literals })
      : emitKernel(graph.nodes[group.nodes[0]!]!, types, dim, emitOptions);
    const outputs = new Set(group.outputs);
    for (const n of group.nodes) if (!outputs.has(n)) buffers[n]!.internal = true;
    if (!kernel) continue;
    for (const b of kernel.bindings) if (b.role.kind === "random") randoms.push({ node: b.role.node, rate: b.role.rate, count: b.role.count });
    for (const [code, message] of kernel.messages) {
      const prev = messages.get(code);
      if (prev !== undefined && prev !== message) throw new Error(`internal: two run-time messages share the code ${code}`);
      messages.set(code, message);
    }
    kernels.push({ ...kernel, layout: reflectKernel(kernel) });
  }
  // The reference draws in node order; kernels may now run in another order, so the runtime's draws follow the nodes.
  randoms.sort((a, b) => a.node - b.node);
  return { types, env, buffers, kernels, randoms, messages, training: options.training };
}

/** What a program's caller reads besides its kernels, whatever it asks for: outputs, loss, gradients, updates. */
function readByCaller(graph: Graph): NodeId[] {
  return [
    ...graph.outputs.map((o) => o.node),
    ...(graph.loss !== undefined ? [graph.loss] : []),
    ...(graph.grads ?? []).map((g) => g.node),
    ...(graph.updates ?? []).map((u) => u.node),
  ];
}
