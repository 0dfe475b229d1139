// A graph instantiated for concrete input shapes, its constants folded and its nodes grouped: one kernel per fusion
// group, one buffer entry per node, kernels in an order that respects their dependencies, each parsed back with
// wgsl_reflect before use. The passes run before this (compiler/index.ts); `kernelHooks` is what the fusion pass
// asks of the code generator.
import type { ConcreteType } from "../ir/define-op.js";
import type { Graph, IRNode, NodeId } from "../ir/graph.js";
import { isFloat } from "../ir/types.js";
import type { GraphInstance } from "../4-optimize/fold-constants.js";
import type { FusionGroup } from "../4-optimize/fuse.js";
import { opDef as getOp } from "../ops/index.js";
import { describeNode, emitGroupKernel, emitKernel, epilogueBindings, reportsFailures, type KernelPlan } from "./emit-kernel.js";
import { countOf, stridesOf } from "../wgsl/indexing.js";
import type { ViewMap } from "../wgsl/contract.js";
import { CodegenError, type KernelLimits } from "../wgsl/limits.js";
import { reflectKernel, type Reflection } from "./validate.js";
import { literal } from "../wgsl/wgsl-values.js";

export interface ProgramOptions {
  limits: KernelLimits;
  /** Emit for a training step (dropout draws masks); otherwise dropout is the identity. */
  training: boolean;
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
  /**
   * A view whose elements lie in this other node's buffer exactly as a row-major buffer of its own would hold them
   * (a reshape of a computed value): it has no kernel and shares that node's buffer (the first node of a chain).
   */
  aliasOf?: NodeId;
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

/** What fusion and emission both need to know of a program: precomputed values, literals, guarded updates, epilogues. */
export interface KernelHooks {
  /** Nodes with a value before any kernel runs: bound sources and folded constants. */
  precomputed(node: NodeId): boolean;
  /** Folded scalars, as WGSL literals of their dtype. */
  literals: ReadonlyMap<NodeId, string>;
  /** Each update keeps the current value of what it replaces when the step failed (update node -> current value). */
  guards: ReadonlyMap<NodeId, NodeId>;
  /** The bindings a kernel op's kernel needs besides its output, or undefined when it cannot take an epilogue. */
  epilogueHost(node: IRNode): number | undefined;
  /** Whether a kernel op's kernel checks something at run time (then no guarded update joins it). */
  checks(node: IRNode): boolean;
  /** Where a view op's elements lie, given its input's map (undefined: a buffer), at these shapes (see ViewRule). */
  view(node: IRNode, input: ViewMap | undefined): ViewMap | undefined;
}

export function kernelHooks(graph: Graph, instance: GraphInstance, folded: ReadonlyMap<NodeId, Float32Array | Int32Array>, options: ProgramOptions): KernelHooks {
  const guards = new Map<NodeId, NodeId>();
  const sourceOf = new Map<string, NodeId>();
  for (const node of graph.nodes)
    if (getOp(node.op).wgsl.kind === "bound" && node.op !== "input") sourceOf.set(node.attrs["name"] as string, node.id);
  for (const u of graph.updates ?? []) {
    const current = sourceOf.get(u.name);
    if (current !== undefined) guards.set(u.node, current);
  }
  const literals = new Map<NodeId, string>();
  for (const [n, value] of folded) if (value.length === 1) literals.set(n, literal(value[0]!, instance.types[n]!.dtype));
  const emitOptions = { limits: options.limits, training: options.training, guards };
  return {
    precomputed: (n) => getOp(graph.nodes[n]!.op).wgsl.kind === "bound" || folded.has(n),
    literals,
    guards,
    epilogueHost: (node) => epilogueBindings(node, instance.types, (d) => instance.dim(d), emitOptions),
    checks: (node) => reportsFailures(node, instance.types, (d) => instance.dim(d), emitOptions),
    view: (node, input) => {
      const rule = getOp(node.op).view;
      if (!rule) return undefined;
      const inShape = instance.types[node.inputs[0]!]!.shape;
      return rule(node.attrs, input ?? { steps: stridesOf(inShape), base: 0 }, inShape, instance.types[node.id]!.shape, (d) => instance.dim(d));
    },
  };
}

/**
 * The kernels of `groups` (from the fusion pass, or one node each when `fused` is false) and a buffer entry for every
 * node, over the folded constants.
 */
export function emitProgram(graph: Graph, instance: GraphInstance, folded: ReadonlyMap<NodeId, Float32Array | Int32Array>, groups: readonly FusionGroup[],
  hooks: KernelHooks, options: ProgramOptions & { fused: boolean }): ProgramPlan {
  const { types, env } = instance;
  const dim = (d: Parameters<GraphInstance["dim"]>[0]) => instance.dim(d);
  const limits = options.limits;
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
    if (getOp(node.op).wgsl.kind === "bound") buffer.source = { kind: node.op as SourceKind, name: node.attrs["name"] as string };
    else if (folded.has(node.id)) buffer.folded = folded.get(node.id)!;
  }

  const emitOptions = { limits, training: options.training, guards: hooks.guards };
  const updates = new Set((graph.updates ?? []).map((u) => u.node));
  for (const group of groups) {
    const alias = options.fused ? aliasSource(graph, group, hooks, types, updates) : undefined;
    if (alias !== undefined) {
      buffers[group.nodes[0]!]!.aliasOf = buffers[alias]!.aliasOf ?? alias;
      continue;
    }
    const kernel = options.fused
      ? emitGroupKernel(graph.nodes, group, types, dim, { ...emitOptions, literals: hooks.literals })
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
  return { types: [...types], env, buffers, kernels, randoms, messages, training: options.training };
}

/**
 * The node whose buffer a group of one view can share instead of copying it in a kernel (a reshape of a contiguous
 * value: XLA's and PyTorch's views of a buffer), or undefined. Not an update, whose buffer the runtime swaps with
 * the value it replaces, and not a view of a folded constant (which has a buffer only if some kernel reads it).
 */
function aliasSource(graph: Graph, group: FusionGroup, hooks: KernelHooks, types: readonly ConcreteType[], updates: ReadonlySet<NodeId>): NodeId | undefined {
  if (group.nodes.length !== 1) return undefined;
  const node = graph.nodes[group.nodes[0]!]!;
  if (updates.has(node.id) || node.inputs.length !== 1 || hooks.literals.has(node.inputs[0]!)) return undefined;
  const map = hooks.view(node, undefined);
  if (!map || map.base !== 0 || map.bounds?.length) return undefined;
  const shape = types[node.id]!.shape;
  // The same elements, not a leading part of them (a slice at offset 0): a value's buffer holds exactly its elements.
  if (countOf(shape) !== countOf(types[node.inputs[0]!]!.shape)) return undefined;
  const strides = stridesOf(shape);
  return shape.every((size, d) => size === 1 || map.steps[d] === strides[d]) ? node.inputs[0]! : undefined;
}

/** What a program's caller reads besides its kernels, whatever it asks for: outputs, loss, gradients, updates. */
export function readByCaller(graph: Graph): NodeId[] {
  return [
    ...graph.outputs.map((o) => o.node),
    ...(graph.loss !== undefined ? [graph.loss] : []),
    ...(graph.grads ?? []).map((g) => g.node),
    ...(graph.updates ?? []).map((u) => u.node),
  ];
}
