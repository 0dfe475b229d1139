// Kernel grouping for the WGSL backend: a partition of a graph's computed nodes into groups, each emitted as one
// kernel. A group is a tree (or DAG) of elementwise and broadcasting ops computed per element of its root, optionally
// on top of one kernel op (its anchor) whose output stores the others follow as an epilogue. The pass reads only each
// op's fusion kind and the kind of its emitter, never op names; which kernel ops accept an epilogue is asked of the
// code generator (`epilogueHost`), since only it knows whether an emitter writes through the store hook.
import type { ConcreteType } from "../ir/define-op.js";
import type { Graph, IRNode, NodeId } from "../ir/graph.js";
import { opDef as getOp } from "../ops/index.js";
import { stridesOf } from "../ir/host.js";
import type { ViewMap } from "../wgsl/contract.js";

export interface FusionGroup {
  /** Members in topological order; the last is the root, whose shape is the group's iteration space. */
  nodes: NodeId[];
  /** The member with a kernel emitter whose stores the other members follow, if any (then not elementwise). */
  anchor?: NodeId;
  /** Members whose values leave the group (read by another group, or kept), root included, in topological order. */
  outputs: NodeId[];
  /** Nodes outside the group its members read, in order of first use; literals excluded. */
  inputs: NodeId[];
  /** The root's concrete shape: every member broadcasts onto it, every output has its element count. */
  shape: readonly number[];
}

export interface FuseOptions {
  /** Nodes read by something other than the program's kernels: outputs, loss, gradients, updates, the caller's reads. */
  keep: ReadonlySet<NodeId>;
  /** Nodes that have a value before any kernel runs (bound sources, constants folded on the host): never members. */
  precomputed(node: NodeId): boolean;
  /** Precomputed scalars the kernels write as literals: read by no binding. */
  literal(node: NodeId): boolean;
  /** The adapter's maxStorageBuffersPerShaderStage: a group needing more is not grown. */
  maxBindings: number;
  /** Updates that also bind the value they replace and the status words (update node -> current value's node). */
  guards?: ReadonlyMap<NodeId, NodeId>;
  /**
   * For a kernel-emitter node: undefined when its kernel cannot take an epilogue, else the bindings that kernel needs
   * besides its output (one per input, random bits, the status word). Absent: no epilogue fusion.
   */
  epilogueHost?(node: IRNode): number | undefined;
  /** Whether a kernel op's kernel checks something at run time: such an anchor takes no guarded update. */
  checks?(node: IRNode): boolean;
  /**
   * For a node that only rearranges its input (a view): where its elements lie, given its input's map (undefined: the
   * input is a buffer). Undefined: not a view, or not an affine one there. Absent: views are never fused.
   */
  view?(node: IRNode, input: ViewMap | undefined): ViewMap | undefined;
}

const countOf = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);


/** Ops whose WGSL is a scalar expression of their inputs' elements at broadcast positions. */
export function isPerElement(node: IRNode): boolean {
  const def = getOp(node.op);
  return def.wgsl.kind === "expression" && (def.fusion === "elementwise" || def.fusion === "broadcast");
}

/** Binary max-heap of node ids: producers are visited after every consumer with a larger id. */
class MaxHeap {
  private readonly items: number[] = [];
  get size(): number {
    return this.items.length;
  }
  push(x: number): void {
    const a = this.items;
    a.push(x);
    let i = a.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (a[p]! >= a[i]!) break;
      [a[p], a[i]] = [a[i]!, a[p]!];
      i = p;
    }
  }
  pop(): number {
    const a = this.items;
    const top = a[0]!;
    const last = a.pop()!;
    if (a.length > 0) {
      a[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < a.length && a[l]! > a[m]!) m = l;
        if (r < a.length && a[r]! > a[m]!) m = r;
        if (m === i) break;
        [a[m], a[i]] = [a[i]!, a[m]!];
        i = m;
      }
    }
    return top;
  }
}

/**
 * Groups the computed nodes (those not precomputed) and returns the groups in an order that respects every
 * dependency between them. Unfusable nodes are groups of one.
 */
export function fuseGraph(graph: Graph, types: readonly ConcreteType[], options: FuseOptions): FusionGroup[] {
  const nodes = graph.nodes;
  const consumers: NodeId[][] = nodes.map(() => []);
  for (const n of nodes) for (const i of new Set(n.inputs)) consumers[i]!.push(n.id);
  /** Group index of each node, -1 until assigned (precomputed nodes stay -1). */
  const groupOf = new Int32Array(nodes.length).fill(-1);
  const members: NodeId[][] = [];
  const anchors: (NodeId | undefined)[] = [];
  const count = types.map((t) => countOf(t.shape));

  /**
   * Whether a node outside group `g` reaches a member of `g` from any of `starts` through other groups: merging a
   * producer whose other consumers do so would make the groups' dependencies cyclic. Unassigned nodes count as
   * groups of their own (they are checked again when they join one).
   */
  const reachesGroup = (starts: readonly NodeId[], g: number): boolean => {
    const seenGroups = new Set<number>();
    const seenNodes = new Set<NodeId>();
    const stack: NodeId[] = [];
    const visit = (n: NodeId) => {
      const h = groupOf[n]!;
      if (h === -1) {
        if (!seenNodes.has(n)) {
          seenNodes.add(n);
          stack.push(n);
        }
      } else if (!seenGroups.has(h)) {
        seenGroups.add(h);
        for (const m of members[h]!) stack.push(m);
      }
    };
    for (const s of starts) visit(s);
    while (stack.length > 0) {
      const n = stack.pop()!;
      for (const c of consumers[n]!) {
        if (groupOf[c] === g) return true;
        visit(c);
      }
    }
    return false;
  };

  const isMember = (n: NodeId, g: number) => groupOf[n] === g;
  const leaves = (n: NodeId, g: number) => options.keep.has(n) || consumers[n]!.some((c) => !isMember(c, g));

  /** Bindings of group `g` if `extra` joined it (as its anchor when `anchorBindings` is given). */
  const bindingsWith = (g: number, extra: NodeId, anchorBindings?: number): number => {
    const root = members[g]![members[g]!.length - 1]!;
    const all = [...members[g]!, extra];
    const inGroup = new Set(all);
    const anchor = anchorBindings !== undefined ? extra : anchors[g];
    const anchorInputs = new Set(anchor !== undefined ? nodes[anchor]!.inputs : []);
    const external = new Set<NodeId>();
    let outputs = 0;
    let status = 0;
    for (const m of all) {
      if (m !== anchor) for (const i of nodes[m]!.inputs) if (!inGroup.has(i) && !anchorInputs.has(i) && !options.literal(i)) external.add(i);
      const current = options.guards?.get(m);
      if (current !== undefined) {
        if (!anchorInputs.has(current)) external.add(current);
        status = 1;
      }
      if (m === root || options.keep.has(m) || consumers[m]!.some((c) => !inGroup.has(c))) outputs++;
    }
    // The anchor's own count may include the status words already: counting them twice only stops growth early.
    const own = anchor === undefined ? 0 : anchorBindings ?? options.epilogueHost!(nodes[anchor]!)!;
    return own + external.size + outputs + status;
  };

  /**
   * Members that are views, read in place by the members that use them (a slice of a buffer, a reshape): each maps
   * group elements to positions in the buffer under it, composed down a chain of views.
   */
  const views = new Set<NodeId>();
  const mapOf = (n: NodeId): ViewMap | undefined => {
    const input = nodes[n]!.inputs[0]!;
    if (!views.has(input) || groupOf[input] !== groupOf[n]) return options.view!(nodes[n]!, undefined);
    const inner = mapOf(input);
    return inner && options.view!(nodes[n]!, inner);
  };

  /**
   * A view that is the identity on linear positions, with the group's element count, not read by another view, over
   * an input whose shape is the group's but for leading 1s (so members computing it read their own inputs at the
   * group's broadcast positions).
   */
  const passesThrough = (node: IRNode, root: NodeId, underViews: ReadonlySet<NodeId>): boolean => {
    const input = node.inputs[0];
    if (input === undefined || node.inputs.length !== 1 || underViews.has(node.id) || count[node.id] !== count[root] || options.literal(input)) return false;
    const core = (shape: readonly number[]) => shape.slice(Math.max(0, shape.findIndex((d) => d !== 1)));
    const inShape = core(types[input]!.shape), rootShape = core(types[root]!.shape);
    if (inShape.length !== rootShape.length || inShape.some((d, i) => d !== rootShape[i])) return false;
    const map = options.view!(node, undefined);
    if (!map || map.base !== 0 || map.bounds?.length) return false;
    const strides = stridesOf(types[node.id]!.shape);
    return types[node.id]!.shape.every((d, i) => d === 1 || map.steps[i] === strides[i]);
  };

  for (let r = nodes.length - 1; r >= 0; r--) {
    if (groupOf[r] !== -1 || options.precomputed(r)) continue;
    const g = members.length;
    members.push([r]);
    anchors.push(undefined);
    groupOf[r] = g;
    const root = nodes[r]!;
    if (!isPerElement(root)) continue;
    const size = count[r]!;
    const heap = new MaxHeap();
    const queued = new Set<NodeId>();
    const enqueue = (n: IRNode) => {
      for (const i of n.inputs) if (!queued.has(i)) {
        queued.add(i);
        heap.push(i);
      }
    };
    enqueue(root);
    /** Inputs of views: they are read in place, so they may join only as views themselves, never computed per element. */
    const underViews = new Set<NodeId>();
    while (heap.size > 0) {
      // Every consumer of p inside the group has a larger id and has joined already, so `leaves` is final here.
      const p = heap.pop();
      if (groupOf[p] !== -1 || options.precomputed(p)) continue;
      const node = nodes[p]!;
      // The anchor's kernel reads its inputs from memory before any member's expression runs. Only a direct input can
      // be an earlier member: producers join after the anchor (ids fall), and a longer path leaves the group (see
      // reachesGroup).
      const anchor = anchors[g];
      if (anchor !== undefined && nodes[anchor]!.inputs.includes(p)) continue;
      if (options.view && !isPerElement(node) && passesThrough(node, r, underViews)) {
        // A reshape keeping every element at its linear position, at the group's full count: element i of it is
        // element i of its input, so it is a no-op here and its input may be computed in the group (an anchor's
        // result, say: a bias gradient reshaped for its optimizer update). Kept or read elsewhere, it is an output.
        const outside = consumers[p]!.filter((c) => !isMember(c, g));
        if (outside.length > 0 && reachesGroup(outside, g)) continue;
        if (members[g]!.length >= MAX_GROUP_NODES || bindingsWith(g, p) > options.maxBindings) continue;
        members[g]!.unshift(p);
        groupOf[p] = g;
        views.add(p);
        enqueue(node);
        continue;
      }
      if (options.view && !isPerElement(node) && options.view(node, undefined) !== undefined) {
        // A view joins when only the group reads it, over an input with a buffer (or another view member).
        const input = node.inputs[0]!;
        if (options.keep.has(p) || consumers[p]!.some((c) => !isMember(c, g)) || options.literal(input)) continue;
        if (members[g]!.length >= MAX_GROUP_NODES || bindingsWith(g, p) > options.maxBindings) continue;
        members[g]!.unshift(p);
        groupOf[p] = g;
        views.add(p);
        if ([...views].some((v) => groupOf[v] === g && mapOf(v) === undefined)) {
          members[g]!.shift();
          groupOf[p] = -1;
          views.delete(p);
          continue;
        }
        underViews.add(input);
        if (!queued.has(input)) {
          queued.add(input);
          heap.push(input);
        }
        continue;
      }
      if (underViews.has(p)) continue;
      let anchorBindings: number | undefined;
      if (!isPerElement(node)) {
        if (anchors[g] !== undefined || count[p] !== size || !options.epilogueHost) continue;
        anchorBindings = options.epilogueHost(node);
        if (anchorBindings === undefined) continue;
        if (options.guards && options.checks?.(node) && members[g]!.some((m) => options.guards!.has(m))) continue;
      }
      const outside = consumers[p]!.filter((c) => !isMember(c, g));
      // A smaller value needed elsewhere is computed once by a group of its own, not once per element here.
      if ((outside.length > 0 || options.keep.has(p)) && count[p] !== size) continue;
      if (outside.length > 0 && reachesGroup(outside, g)) continue;
      if (members[g]!.length >= MAX_GROUP_NODES) continue;
      if (bindingsWith(g, p, anchorBindings) > options.maxBindings) continue;
      members[g]!.unshift(p);
      groupOf[p] = g;
      if (anchorBindings !== undefined) anchors[g] = p;
      else enqueue(node);
    }
    members[g]!.sort((a, b) => a - b);
  }

  const groups: FusionGroup[] = members.map((ms, g) => {
    const inGroup = new Set(ms);
    const inputs: NodeId[] = [];
    const seen = new Set<NodeId>();
    for (const m of ms)
      for (const i of nodes[m]!.inputs)
        if (!inGroup.has(i) && !seen.has(i) && !options.literal(i)) {
          seen.add(i);
          inputs.push(i);
        }
    const root = ms[ms.length - 1]!;
    const outputs = ms.filter((m) => m === root || leaves(m, g));
    const group: FusionGroup = { nodes: ms, outputs, inputs, shape: types[root]!.shape };
    const anchor = anchors[g];
    if (anchor !== undefined) group.anchor = anchor;
    return group;
  });
  return scheduleGroups(groups, groupOf);
}

/**
 * The most nodes one group may hold. A longer chain is split into kernels of this many ops: one kernel of thousands
 * gains nothing measurable over a few (each member is a line of arithmetic, the memory traffic is already gone), and
 * the checks that grow a group look at all its members, so an unbounded group made compiling a long chain quadratic
 * (an 8,000-statement chain took 75 s). TVM bounds its fused functions the same way (`max_fuse_depth`, 256).
 */
export const MAX_GROUP_NODES = 256;

/** Groups in dependency order (Kahn's algorithm), ties broken by the smallest root id: close to the graph's order. */
function scheduleGroups(groups: FusionGroup[], groupOf: Int32Array): FusionGroup[] {
  const preds = groups.map((grp, g) => new Set(grp.inputs.map((i) => groupOf[i]!).filter((h) => h !== -1 && h !== g)));
  const succs: number[][] = groups.map(() => []);
  preds.forEach((ps, g) => ps.forEach((p) => succs[p]!.push(g)));
  const waiting = preds.map((ps) => ps.size);
  const rootOf = (g: number) => groups[g]!.nodes[groups[g]!.nodes.length - 1]!;
  const ready = groups.map((_, g) => g).filter((g) => waiting[g] === 0);
  const order: FusionGroup[] = [];
  while (ready.length > 0) {
    let best = 0;
    for (let i = 1; i < ready.length; i++) if (rootOf(ready[i]!) < rootOf(ready[best]!)) best = i;
    const g = ready.splice(best, 1)[0]!;
    order.push(groups[g]!);
    for (const s of succs[g]!) if (--waiting[s]! === 0) ready.push(s);
  }
  if (order.length !== groups.length) throw new Error("internal: kernel groups depend on each other in a cycle");
  return order;
}

/** One group per computed node (fusion off): the unfused kernels that fused programs are tested against. */
export function unfusedGroups(graph: Graph, types: readonly ConcreteType[], precomputed: (node: NodeId) => boolean): FusionGroup[] {
  return graph.nodes.filter((n) => !precomputed(n.id)).map((n) => ({ nodes: [n.id], outputs: [n.id], inputs: [...new Set(n.inputs)], shape: types[n.id]!.shape }));
}
