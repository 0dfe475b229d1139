// A ProgramPlan (kernels that bind IR nodes) becomes a ProgramManifest (kernels that bind buffers), in two steps
// around the memory planner: `manifestDraft` gives the buffers bound by name, uploaded or constant, and poses the
// planning problem for the computed values (their sizes and the kernels that read and write them); `finishManifest`
// takes the memory plan that answers it. Values the caller reads keep buffers of their own, and parameters, optimizer
// state and their updates stay the session's, bound by name.
import type { Graph, NodeId } from "../ir/graph.js";
import type { BufferKind, ManifestBuffer, ManifestValue, ProgramKind, ProgramManifest } from "../../runtime/manifest.js";
import { toBase64 } from "../../runtime/manifest.js";
import type { MemoryPlan, MemoryStep, MemoryValue } from "../4-optimize/plan-memory.js";
import type { ProgramPlan } from "./emit-program.js";

export interface ReadRequest {
  node: NodeId;
  /** `loss`, `output:logits`, `grad:<param>`; `%<node>` when left out. */
  name?: string;
}

export interface ManifestOptions {
  kind: ProgramKind;
  /** Values the caller will read back after a run: they get a buffer of their own. */
  read: readonly ReadRequest[];
  /** Share buffers between values whose lifetimes do not overlap (default true); off, every value has its own. */
  planMemory?: boolean;
}

/** The names a caller can ask a graph's program for: the loss, each output, each gradient. */
export function namedReads(graph: Graph): ReadRequest[] {
  return [
    ...(graph.loss !== undefined ? [{ node: graph.loss, name: "loss" }] : []),
    ...graph.outputs.map((o) => ({ node: o.node, name: `output:${o.name}` })),
    ...(graph.grads ?? []).map((g) => ({ node: g.node, name: `grad:${g.name}` })),
  ];
}

/** A manifest before memory planning: the fixed buffers, and the computed values and kernel steps to plan. */
export interface ManifestDraft {
  readonly plan: ProgramPlan;
  readonly options: ManifestOptions;
  readonly buffers: ManifestBuffer[];
  readonly bufferOfNode: Map<NodeId, number>;
  readonly randomOf: ReadonlyMap<NodeId, number>;
  readonly status: number;
  readonly read: ReadonlyMap<NodeId, string>;
  /** The memory planner's problem. */
  readonly values: readonly MemoryValue[];
  readonly steps: readonly MemoryStep[];
}

export function manifestDraft(graph: Graph, plan: ProgramPlan, options: ManifestOptions): ManifestDraft {
  const updateOf = new Map<NodeId, string>();
  for (const u of graph.updates ?? []) {
    const b = plan.buffers[u.node]!;
    if (b.source || b.folded || updateOf.has(u.node)) throw new Error(`internal: the update of ${u.name} (%${u.node}) is not a computed node of its own`);
    updateOf.set(u.node, u.name);
  }
  const stateInit = new Map([...(graph.buffers ?? []), ...(graph.state ?? [])].map((s) => [s.name, s.init]));
  const read = new Map<NodeId, string>();
  for (const r of options.read) if (!read.has(r.node)) read.set(r.node, r.name ?? `%${r.node}`);

  const buffers: ManifestBuffer[] = [];
  const add = (kind: BufferKind, bytes: number, extra: Omit<ManifestBuffer, "id" | "kind" | "bytes"> = {}): number => {
    buffers.push({ id: buffers.length, kind, bytes: Math.max(4, bytes), ...extra });
    return buffers.length - 1;
  };
  const status = add("status", 16);
  const bufferOfNode = new Map<NodeId, number>();
  const randomOf = new Map<NodeId, number>();
  for (const r of plan.randoms) randomOf.set(r.node, add("random", 4 * Math.max(1, Math.ceil(r.count / 32)), { rate: r.rate, count: r.count }));

  // A view that shares its source's buffer is its source for planning: reading it keeps the source live, and reading
  // it back pins the source.
  const own = (node: NodeId) => plan.buffers[node]!.aliasOf ?? node;
  const pinned = new Set([...read.keys()].map(own));
  // Values bound by name, uploaded, or constant: fixed buffers, outside the memory plan.
  const used = new Set<NodeId>(pinned);
  for (const k of plan.kernels) for (const b of k.bindings) if (b.role.kind === "input" || b.role.kind === "output") used.add(own(b.role.node));
  const planned: MemoryValue[] = [];
  for (const node of [...used].sort((a, b) => a - b)) {
    const b = plan.buffers[node]!;
    const tensor = { dtype: b.dtype, shape: plan.types[node]!.shape.map(Number) };
    if (b.source) {
      const extra = b.source.kind === "state" ? { init: stateInit.get(b.source.name) ?? 0 } : {};
      bufferOfNode.set(node, add(b.source.kind, b.bytes, { name: b.source.name, ...tensor, ...extra }));
    } else if (b.folded) {
      const bytes = new Uint8Array(b.folded.buffer, b.folded.byteOffset, b.folded.byteLength);
      bufferOfNode.set(node, add("constant", b.bytes, { ...tensor, data: toBase64(bytes) }));
    } else if (updateOf.has(node)) {
      bufferOfNode.set(node, add("update", b.bytes, { name: updateOf.get(node)!, ...tensor }));
    } else {
      planned.push({ id: node, bytes: b.bytes, pinned: pinned.has(node) || options.planMemory === false });
    }
  }
  const steps: MemoryStep[] = plan.kernels.map((k) => ({
    reads: k.bindings.flatMap((b) => (b.role.kind === "input" && !bufferOfNode.has(own(b.role.node)) ? [own(b.role.node)] : [])),
    writes: k.bindings.flatMap((b) => (b.role.kind === "output" && !bufferOfNode.has(b.role.node) ? [b.role.node] : [])),
  }));
  return { plan, options, buffers, bufferOfNode, randomOf, status, read, values: planned, steps };
}

export function finishManifest(draft: ManifestDraft, memory: MemoryPlan): ProgramManifest {
  const { plan, options, randomOf, status, read } = draft;
  const buffers = [...draft.buffers];
  const bufferOfNode = new Map(draft.bufferOfNode);
  const add = (kind: BufferKind, bytes: number): number => {
    buffers.push({ id: buffers.length, kind, bytes: Math.max(4, bytes) });
    return buffers.length - 1;
  };
  const firstScratch = buffers.length;
  for (const m of memory.buffers) add("scratch", m.bytes);
  for (const [node, slot] of memory.bufferOf) bufferOfNode.set(node, firstScratch + slot);
  plan.buffers.forEach((b) => {
    if (b.aliasOf !== undefined && bufferOfNode.has(b.aliasOf)) bufferOfNode.set(b.node, bufferOfNode.get(b.aliasOf)!);
  });

  const kernels = plan.kernels.map((k) => ({
    label: k.what,
    wgsl: k.wgsl,
    entryPoint: k.entryPoint,
    dispatch: k.dispatch,
    bindings: k.bindings.map((b) => {
      const role = b.role;
      const buffer = role.kind === "status" ? status : role.kind === "random" ? randomOf.get(role.node)! : bufferOfNode.get(role.node)!;
      return { binding: b.binding, buffer, access: b.access };
    }),
  }));
  const values: ManifestValue[] = [...read].map(([node, name]) => {
    const b = plan.buffers[node]!;
    return { node, name, buffer: bufferOfNode.get(node)!, dtype: b.dtype, shape: plan.types[node]!.shape.map(Number) };
  });
  const messages: Record<string, string> = {};
  for (const [code, message] of plan.messages) messages[String(code)] = message;
  const owned = (kind: BufferKind) => kind !== "param" && kind !== "state" && kind !== "update";
  const peakBytes = buffers.reduce((s, b) => s + (owned(b.kind) ? b.bytes : 0), 0);
  const fixedBytes = peakBytes - memory.peakBytes;
  return {
    kind: options.kind,
    training: plan.training,
    dims: Object.fromEntries(plan.env),
    buffers,
    kernels,
    values,
    messages,
    peakBytes,
    unplannedBytes: fixedBytes + memory.unplannedBytes,
  };
}
