// One WGSL compute kernel per kernel group (one IR node without fusion), specialized on the concrete sizes. The op's
// emitter writes the body (or, for elementwise ops, a scalar expression); a fused group composes its members'
// expressions per element, on its own or as the epilogue of one kernel op's stores. This module owns the rest of the
// module: bindings, helper functions, workgroup memory, the entry point and the invocation grid, each checked against
// the adapter's limits.
import type { FusionGroup } from "../4-optimize/fuse.js";
import type { ConcreteType } from "../ir/define-op.js";
import type { IRNode, NodeId } from "../ir/graph.js";
import { opDef as getOp } from "../ops/index.js";
import type { Dim, DType, TensorType } from "../ir/types.js";
import type { KernelContext, ScalarContext } from "../wgsl/contract.js";
import type { ViewMap } from "../wgsl/contract.js";
import { broadcastOffset, countOf, lazyCoordinates, linear, stridesOf } from "../wgsl/indexing.js";
import { CodegenError, type KernelLimits } from "../wgsl/limits.js";
import { WgslBuilder } from "../wgsl/wgsl-builder.js";
import { literal, scalarOf, specialValueDecls, u32, type WgslScalar } from "../wgsl/wgsl-values.js";

/** What a binding of a kernel holds. */
export type BindingRole =
  | { kind: "input"; node: NodeId }
  | { kind: "output"; node: NodeId }
  /** Random bits the runtime draws for a dropout node before each training step: one per element, packed in u32s. */
  | { kind: "random"; node: NodeId; rate: number; count: number }
  /** The program's error word: [message code, i32 value]. */
  | { kind: "status" };

export interface BindingPlan {
  binding: number;
  name: string;
  access: "read" | "read_write";
  role: BindingRole;
}

export interface KernelPlan {
  /** The node the kernel is named after: the group's root (its last member), the node itself without fusion. */
  node: NodeId;
  /** Every node the kernel computes, in topological order; only those with an output binding get a buffer. */
  nodes: NodeId[];
  /** The op whose emitter wrote the kernel: a fused epilogue's anchor, else the root's op. */
  op: string;
  /** `matmul %12 (logits) -> f32[8, 10]`, for messages. */
  what: string;
  wgsl: string;
  entryPoint: "main";
  workgroupSize: number;
  dispatch: [number, number, number];
  bindings: BindingPlan[];
  workgroupBytes: number;
  /** Run-time check messages by the code the kernel stores. */
  messages: Map<number, string>;
}

export interface EmitOptions {
  limits: KernelLimits;
  training: boolean;
  /**
   * Values a training step writes in place of a parameter or optimizer state (update node -> the node of its current
   * value). A kernel writing one keeps the current value wherever an earlier kernel of the step reported a failure, so
   * a step that fails its run-time checks changes nothing even though the runtime learns of it only steps later.
   */
  guards?: ReadonlyMap<NodeId, NodeId>;
}

/** The status buffer: [code, value]; code 0 means no failure. */
export const STATUS_WORDS = 2;

/** FNV-1a of a message: the code a kernel stores for it (never 0). */
export function messageCode(message: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < message.length; i++) h = Math.imul(h ^ message.charCodeAt(i), 0x01000193) >>> 0;
  return h === 0 ? 1 : h;
}

export function describeNode(node: IRNode, type: ConcreteType | TensorType): string {
  const shape = type.shape.map((d) => String(d)).join(", ");
  return `${node.op} %${node.id}${node.label ? ` (${node.label})` : ""} -> ${type.dtype}[${shape}]`;
}

type Schedule =
  | { kind: "elements"; count: number; lanes: number; body: WgslBuilder }
  | { kind: "groups"; count: number; lanes: number; body: WgslBuilder };

/** Largest power of two not above n. */
function floorPow2(n: number): number {
  let p = 1;
  while (p * 2 <= n) p *= 2;
  return p;
}

/** Which buffers a kernel binds, in binding order: inputs (per index of the emitting op, then the others), outputs. */
interface Layout {
  /** `k.input(i)` of the op whose emitter writes the kernel: `src<i>`. */
  opInputs: readonly NodeId[];
  /** Further inputs read by fused members, `src<n>` on from there (those already bound are not bound again). */
  extraInputs: readonly NodeId[];
  /** `dst`, `dst1`, `dst2`, ... */
  outputs: readonly NodeId[];
}

/** The members a kernel computes by composing expressions: the whole kernel, or the epilogue of an anchor's stores. */
interface Fused {
  group: FusionGroup;
  nodes: readonly IRNode[];
  types: readonly ConcreteType[];
  /** Scalars known at compile time, written as literals instead of read. */
  literals: ReadonlyMap<NodeId, string>;
}

class KernelWriter implements KernelContext {
  readonly bindings: BindingPlan[] = [];
  readonly messages = new Map<number, string>();
  private readonly helpers = new Map<string, string>();
  private readonly decls: string[] = [];
  private readonly sharedDecls: string[] = [];
  private workgroupBytes = 0;
  private schedule: Schedule | undefined;
  private statusName: string | undefined;
  private readonly inputName = new Map<NodeId, string>();
  private readonly outputName = new Map<NodeId, string>();
  /** Set when the emitter reads `out`: then its stores do not all go through `store`. */
  rawOut = false;
  stores = 0;

  constructor(
    private readonly node: IRNode,
    readonly inputs: readonly ConcreteType[],
    readonly output: ConcreteType,
    private readonly resolve: (d: Dim) => number,
    readonly limits: KernelLimits,
    readonly training: boolean,
    layout: Layout,
    private readonly title: string,
    private readonly what: string,
    private readonly fused?: Fused,
    guards?: ReadonlyMap<NodeId, NodeId>,
  ) {
    layout.opInputs.forEach((n, i) => {
      const name = this.bind(`src${i}`, "read", { kind: "input", node: n }, this.arrayOf(n, i));
      if (!this.inputName.has(n)) this.inputName.set(n, name);
    });
    let next = layout.opInputs.length;
    for (const n of layout.extraInputs) {
      if (!this.inputName.has(n)) this.inputName.set(n, this.bind(`src${next++}`, "read", { kind: "input", node: n }, this.arrayOf(n)));
    }
    const guarded = layout.outputs.filter((n) => guards?.has(n));
    for (const n of guarded) {
      const current = guards!.get(n)!;
      if (!this.inputName.has(current)) this.inputName.set(current, this.bind(`src${next++}`, "read", { kind: "input", node: current }, this.arrayOf(n)));
      this.guardOf.set(n, this.inputName.get(current)!);
    }
    layout.outputs.forEach((n, i) => {
      this.outputName.set(n, this.bind(i === 0 ? "dst" : `dst${i}`, "read_write", { kind: "output", node: n }, this.arrayOf(n)));
    });
    if (guarded.length > 0) this.statusBinding();
  }

  /** Output node -> the binding of the value it replaces, for outputs that keep it when the step failed. */
  private readonly guardOf = new Map<NodeId, string>();

  private statusBinding(): string {
    return (this.statusName ??= this.bind("status", "read_write", { kind: "status" }, `array<atomic<u32>, ${STATUS_WORDS}>`));
  }

  /** The statement storing `value` as element `index` of output `node`, guarded if it updates a parameter or state. */
  private storeLine(node: NodeId, index: string, value: string): string {
    const name = this.outputName.get(node) ?? "dst";
    const current = this.guardOf.get(node);
    if (current === undefined) return `${name}[${index}] = ${value};`;
    return `${name}[${index}] = select(${value}, ${current}[${index}], atomicLoad(&${this.statusName}[0]) != 0u);`;
  }

  private arrayOf(n: NodeId, opIndex?: number): string {
    const t = opIndex !== undefined ? this.inputs[opIndex]! : this.fused ? this.fused.types[n]! : this.output;
    return `array<${scalarOf(t.dtype)}>`;
  }

  private bind(name: string, access: "read" | "read_write", role: BindingRole, type: string): string {
    const binding = this.bindings.length;
    this.bindings.push({ binding, name, access, role });
    this.decls.push(`@group(0) @binding(${binding}) var<storage, ${access}> ${name}: ${type};`);
    return name;
  }

  dim(d: Dim): number {
    return this.resolve(d);
  }

  lit(value: number, dtype: DType = this.output.dtype): string {
    return literal(value, dtype);
  }

  scalar(dtype: DType): WgslScalar {
    return scalarOf(dtype);
  }

  helper(name: string, code: string): string {
    const prev = this.helpers.get(name);
    if (prev !== undefined && prev !== code) throw new Error(`internal: two different WGSL helpers named ${name}`);
    this.helpers.set(name, code);
    return name;
  }

  input(i: number): string {
    if (i < 0 || i >= this.inputs.length) throw new Error(`internal: ${this.node.op} has no input ${i}`);
    return `src${i}`;
  }

  get out(): string {
    this.rawOut = true;
    return this.outputName.get(this.node.id) ?? "dst";
  }

  store(w: WgslBuilder, index: string, value: string): void {
    this.stores++;
    const fused = this.fused;
    if (!fused || fused.group.nodes.length === 1) {
      w.line(this.storeLine(this.node.id, index, value));
      return;
    }
    w.line(`${this.epilogueFunction()}(${index}, ${value});`);
  }

  /**
   * The epilogue as one function the store sites call: a register-blocked GEMM stores 64 elements per invocation, and
   * 64 inlined copies of an optimizer update made the driver's compile of a training step take half a minute on
   * lavapipe; a call per store site costs nothing measurable.
   */
  private epilogueFunction(): string {
    const { group, types } = this.fused!;
    const anchorType = scalarOf(types[group.anchor ?? this.node.id]!.dtype);
    const b = new WgslBuilder();
    b.block(`fn epilogue(fi: u32, fa: ${anchorType})`, () => this.members(b, "fi", "fa"));
    return this.helper("epilogue", b.toString());
  }

  /**
   * The fused members' values at element `index` of the group's shape, each external input read once with its own
   * broadcast, and the stores of the group's outputs. `anchorValue` is the anchor's value at that element.
   */
  members(w: WgslBuilder, index: string, anchorValue?: string): void {
    const { group, nodes, types, literals } = this.fused!;
    const coords = lazyCoordinates(w, index, group.shape, "fc");
    const values = new Map<NodeId, string>();
    if (group.anchor !== undefined) values.set(group.anchor, anchorValue!);
    let reads = 0;
    const inGroup = new Set(group.nodes);
    const isView = (n: NodeId) => inGroup.has(n) && n !== group.anchor && getOp(nodes[n]!.op).wgsl.kind !== "expression";
    /** A view member's buffer and where its elements lie in it, composed down its chain of views. */
    const viewOf = (n: NodeId): { source: NodeId; map: ViewMap } => {
      const node = nodes[n]!;
      const input = node.inputs[0]!;
      const inner = isView(input) ? viewOf(input) : { source: input, map: { steps: stridesOf(types[input]!.shape), base: 0 } };
      const map = getOp(node.op).view?.(node.attrs, inner.map, types[input]!.shape, types[n]!.shape, (d) => this.resolve(d));
      if (!map) throw new Error(`internal: ${node.op} %${n} is fused as a view but has no affine map`);
      return { source: inner.source, map };
    };
    /** A view over a member computed here (the fusion pass admits only row-major reshapes at the group's count). */
    const passesThrough = (n: NodeId): boolean => isView(n) && inGroup.has(nodes[n]!.inputs[0]!) && (!isView(nodes[n]!.inputs[0]!) || passesThrough(nodes[n]!.inputs[0]!));
    const valueOf = (n: NodeId): string => {
      let v = values.get(n) ?? literals.get(n);
      if (v === undefined && passesThrough(n)) v = valueOf(nodes[n]!.inputs[0]!);
      else if (v === undefined && isView(n)) {
        // Read in place: the view's element at this group element, from the buffer under it.
        const { source, map } = viewOf(n);
        const binding = this.inputName.get(source);
        if (binding === undefined) throw new Error(`internal: fused kernel ${this.what} reads %${source} without a binding`);
        const shape = types[n]!.shape;
        const skip = group.shape.length - shape.length;
        const at = shape.map((size, d) => (size === 1 ? "0u" : coords()[d + skip]!));
        v = `fx${reads++}`;
        // Padding (a pad_axis view) starts before its input: the offset is formed in i32, and read only inside the bounds.
        const offset = map.base >= 0 ? linear(at, map.steps, map.base) : `u32(i32(${linear(at, map.steps)}) - ${-map.base}i)`;
        const inside = (map.bounds ?? []).flatMap((b) => {
          const c = at[b.dim]!;
          const checks = [...(b.lo > 0 ? [`${c} >= ${u32(b.lo)}`] : []), ...(b.hi <= 0 ? ["false"] : [`${c} < ${u32(b.hi)}`])];
          return c === "0u" ? (b.lo <= 0 && b.hi > 0 ? [] : ["false"]) : checks;
        });
        if (inside.length === 0) w.line(`let ${v} = ${binding}[${offset}];`);
        else {
          const ok = `ok${v}`;
          w.line(`let ${ok} = ${inside.join(" && ")};`);
          w.line(`let ${v} = select(${literal(0, types[n]!.dtype)}, ${binding}[select(0u, ${offset}, ${ok})], ${ok});`);
        }
      } else if (v === undefined) {
        const binding = this.inputName.get(n);
        if (binding === undefined) throw new Error(`internal: fused kernel ${this.what} reads %${n} without a binding`);
        v = `fx${reads++}`;
        w.line(`let ${v} = ${binding}[${broadcastOffset(index, group.shape, types[n]!.shape, coords)}];`);
      }
      values.set(n, v);
      return v;
    };
    group.nodes.forEach((m, j) => {
      if (m === group.anchor || isView(m)) return;
      const node = nodes[m]!;
      const emitter = getOp(node.op).wgsl;
      if (emitter.kind !== "expression") throw new Error(`internal: ${node.op} %${m} is fused but has no scalar expression`);
      const output = types[m]!;
      const ctx: ScalarContext = {
        inputs: node.inputs.map((i) => types[i]!),
        output,
        dim: (d) => this.resolve(d),
        lit: (value, dtype = output.dtype) => literal(value, dtype),
        scalar: scalarOf,
        helper: (name, code) => this.helper(name, code),
      };
      const args = node.inputs.map(valueOf);
      w.line(`let ft${j} = ${emitter.expr(args, node.attrs, ctx)};`);
      values.set(m, `ft${j}`);
    });
    for (const n of this.outputName.keys()) w.line(this.storeLine(n, index, valueOf(n)));
  }

  private lanes(preferred: number): number {
    return floorPow2(Math.max(1, Math.min(preferred, this.limits.maxComputeWorkgroupSizeX, this.limits.maxComputeInvocationsPerWorkgroup)));
  }

  private setSchedule(s: Schedule): void {
    if (this.schedule) throw new Error(`internal: ${this.node.op}'s emitter chose an invocation grid twice`);
    this.schedule = s;
  }

  perElement(count: number, body: (w: WgslBuilder, index: string) => void): void {
    const w = new WgslBuilder();
    this.setSchedule({ kind: "elements", count, lanes: this.lanes(64), body: w });
    body(w, "index");
  }

  perWorkgroup(count: number, preferredLanes: number, body: (w: WgslBuilder, group: string, lane: string, lanes: number) => void): void {
    const w = new WgslBuilder();
    const lanes = this.lanes(preferredLanes);
    this.setSchedule({ kind: "groups", count, lanes, body: w });
    body(w, "group", "lane", lanes);
  }

  loopBound(n: number, type: "u32" | "i32" = "u32"): string {
    // arrayLength is a run-time value; the sum could wrap as far as the compiler knows, so the min stays opaque.
    // Any bound array serves; the first output always exists.
    const bound = `min(${u32(n)}, arrayLength(&dst) + ${u32(n)})`;
    return type === "i32" ? `i32(${bound})` : bound;
  }

  shared(name: string, type: WgslScalar, length: number): string {
    this.sharedDecls.push(`var<workgroup> ${name}: array<${type}, ${length}>;`);
    this.workgroupBytes += 4 * length;
    return name;
  }

  randomBits(rate: number): string {
    return this.bind("bits", "read", { kind: "random", node: this.node.id, rate, count: countOf(this.output.shape) }, "array<u32>");
  }

  check(w: WgslBuilder, ok: string, value: string, message: string): void {
    this.statusBinding();
    const code = messageCode(message);
    this.messages.set(code, message);
    w.block(`if (!(${ok}))`, () => {
      w.line(`atomicStore(&${this.statusName}[1], bitcast<u32>(${value}));`);
      w.line(`atomicStore(&${this.statusName}[0], ${u32(code)});`);
    });
  }

  /** The whole module, its grid and its bindings. */
  finish(root: NodeId, nodes: NodeId[]): KernelPlan {
    const what = this.what;
    const s = this.schedule;
    if (!s) throw new Error(`internal: ${this.node.op}'s emitter wrote no kernel`);
    if (this.rawOut && this.guardOf.size > 0) throw new Error(`internal: ${what} updates a parameter or state but writes its output array directly`);
    const limits = this.limits;
    if (this.bindings.length > limits.maxStorageBuffersPerShaderStage)
      throw new CodegenError(`${what}: its kernel needs ${this.bindings.length} storage buffers, the adapter allows ${limits.maxStorageBuffersPerShaderStage} per shader stage`);
    if (this.workgroupBytes > limits.maxComputeWorkgroupStorageSize)
      throw new CodegenError(`${what}: its kernel needs ${this.workgroupBytes} bytes of workgroup memory, the adapter allows ${limits.maxComputeWorkgroupStorageSize}`);
    const groups = s.kind === "elements" ? Math.ceil(s.count / s.lanes) : s.count;
    const maxDim = limits.maxComputeWorkgroupsPerDimension;
    // Past the per-dimension limit the grid becomes two-dimensional; the kernel linearizes (x, y) back to one index.
    const gy = Math.ceil(groups / maxDim);
    const gx = Math.ceil(groups / gy);
    if (gy > maxDim) throw new CodegenError(`${what}: ${groups} workgroups exceed the adapter's grid of ${maxDim} x ${maxDim}`);
    const m = new WgslBuilder();
    // Only what the code depends on: identical kernels of different nodes share one pipeline (cached by text).
    m.line(`// ${this.title}`);
    m.lines(this.decls);
    m.lines(this.sharedDecls);
    for (const code of this.helpers.values()) {
      m.line();
      m.lines(code.trim().split("\n"));
    }
    const body = [...this.helpers.values(), s.body.toString()].join("\n");
    m.lines(specialValueDecls(body));
    m.line();
    m.line(`@compute @workgroup_size(${s.lanes})`);
    m.block("fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) lane: u32)", () => {
      const group = gy === 1 ? "wid.x" : `wid.x + wid.y * ${u32(gx)}`;
      if (s.kind === "elements") {
        m.line(`let index = (${group}) * ${u32(s.lanes)} + lane;`);
        m.line(`if (index >= ${u32(s.count)}) { return; }`);
      } else {
        m.line(`let group = ${group};`);
        if (gx * gy !== s.count) m.line(`if (group >= ${u32(s.count)}) { return; }`);
      }
      m.append(s.body);
    });
    return {
      node: root,
      nodes,
      op: this.node.op,
      what,
      wgsl: m.toString(),
      entryPoint: "main",
      workgroupSize: s.lanes,
      dispatch: [gx, gy, 1],
      bindings: this.bindings,
      workgroupBytes: this.workgroupBytes,
      messages: this.messages,
    };
  }
}

const titleOf = (op: string, t: ConcreteType) => `${op} -> ${t.dtype}[${t.shape.join(", ")}]`;

/** A kernel op's kernel, unfused: bindings src<i> for its inputs and dst. */
function singleWriter(node: IRNode, types: readonly ConcreteType[], dim: (d: Dim) => number, options: EmitOptions): KernelWriter {
  const output = types[node.id]!;
  return new KernelWriter(node, node.inputs.map((i) => types[i]!), output, dim, options.limits, options.training,
    { opInputs: node.inputs, extraInputs: [], outputs: [node.id] }, titleOf(node.op, output), describeNode(node, output), undefined, options.guards);
}

/**
 * The kernel computing `node` from its inputs' buffers into its own, or undefined for a node whose buffer the runtime
 * binds (inputs, parameters, optimizer state). Throws CodegenError when the adapter's limits rule the kernel out.
 */
export function emitKernel(node: IRNode, types: readonly ConcreteType[], dim: (d: Dim) => number, options: EmitOptions): KernelPlan | undefined {
  const def = getOp(node.op);
  const emitter = def.wgsl;
  if (emitter.kind === "bound") return undefined;
  const k = singleWriter(node, types, dim, options);
  if (emitter.kind === "kernel") {
    emitter.emit(k, node.attrs);
  } else {
    const outShape = k.output.shape;
    k.perElement(countOf(outShape), (w, index) => {
      const coords = lazyCoordinates(w, index, outShape, "c");
      const args = k.inputs.map((t, j) => {
        w.line(`let v${j} = ${k.input(j)}[${broadcastOffset(index, outShape, t.shape, coords)}];`);
        return `v${j}`;
      });
      k.store(w, index, emitter.expr(args, node.attrs, k));
    });
  }
  return k.finish(node.id, [node.id]);
}

/**
 * For a node with a kernel emitter: undefined when its kernel cannot take an epilogue (it reads its output array, or
 * never stores through the hook), else the bindings it needs besides its output. Emits the kernel to find out; an
 * emitter that fails here fails again, with its message, when the program is emitted.
 */
export function epilogueBindings(node: IRNode, types: readonly ConcreteType[], dim: (d: Dim) => number, options: EmitOptions): number | undefined {
  const emitter = getOp(node.op).wgsl;
  if (emitter.kind !== "kernel") return undefined;
  const k = singleWriter(node, types, dim, options);
  try {
    emitter.emit(k, node.attrs);
  } catch {
    return undefined;
  }
  return k.rawOut || k.stores === 0 ? undefined : k.bindings.length - 1;
}

/**
 * Whether a kernel op's kernel checks something at run time (an id or label out of range). Such a kernel must not
 * also write a guarded update: an update is kept from a failed step by reading the status words, which a check in the
 * same dispatch may not have written yet.
 */
export function reportsFailures(node: IRNode, types: readonly ConcreteType[], dim: (d: Dim) => number, options: EmitOptions): boolean {
  const emitter = getOp(node.op).wgsl;
  if (emitter.kind !== "kernel") return false;
  const k = singleWriter(node, types, dim, options);
  try {
    emitter.emit(k, node.attrs);
  } catch {
    return false;
  }
  return k.messages.size > 0;
}

export interface GroupEmitOptions extends EmitOptions {
  /** Compile-time scalars (folded constants) by node, as WGSL literals: read by no binding. */
  literals: ReadonlyMap<NodeId, string>;
}

/**
 * The kernel of a fusion group: its members' expressions composed per element of the group's shape, or, with an
 * anchor, the anchor op's kernel with the others applied at each of its stores. Writes every group output.
 */
export function emitGroupKernel(nodes: readonly IRNode[], group: FusionGroup, types: readonly ConcreteType[], dim: (d: Dim) => number, options: GroupEmitOptions): KernelPlan | undefined {
  const root = nodes[group.nodes[group.nodes.length - 1]!]!;
  if (group.nodes.length === 1 && getOp(root.op).wgsl.kind !== "expression") return emitKernel(root, types, dim, options);
  const fused: Fused = { group, nodes, types, literals: options.literals };
  const members = group.nodes.map((n) => nodes[n]!);
  const rootType = types[root.id]!;
  const ops = members.map((m) => m.op).join(", ");
  const what = group.nodes.length === 1 ? describeNode(root, rootType)
    : `${describeNode(root, rootType)}, fused with ${members.slice(0, -1).map((m) => `${m.op} %${m.id}`).join(", ")}`;
  if (group.anchor === undefined) {
    const title = group.nodes.length === 1 ? titleOf(root.op, rootType) : titleOf(`fused ${ops}`, rootType);
    const k = new KernelWriter(root, [], rootType, dim, options.limits, options.training,
      { opInputs: [], extraInputs: group.inputs, outputs: group.outputs }, title, what, fused, options.guards);
    k.perElement(countOf(group.shape), (w, index) => k.members(w, index));
    return k.finish(root.id, [...group.nodes]);
  }
  const anchor = nodes[group.anchor]!;
  const emitter = getOp(anchor.op).wgsl;
  if (emitter.kind !== "kernel") throw new Error(`internal: the anchor ${anchor.op} %${anchor.id} of a fused kernel has no kernel emitter`);
  const k = new KernelWriter(anchor, anchor.inputs.map((i) => types[i]!), types[anchor.id]!, dim, options.limits, options.training,
    { opInputs: anchor.inputs, extraInputs: group.inputs, outputs: group.outputs }, titleOf(`fused ${ops}`, rootType), what, fused, options.guards);
  emitter.emit(k, anchor.attrs);
  if (k.rawOut) throw new Error(`internal: ${anchor.op} %${anchor.id} reads its output array, so it cannot take an epilogue`);
  return k.finish(root.id, [...group.nodes]);
}
