// One WGSL compute kernel per IR node, specialized on the node's concrete sizes. The op's emitter writes the body
// (or, for elementwise ops, a scalar expression); this module owns the rest of the module: bindings, helper functions,
// workgroup memory, the entry point and the invocation grid, each checked against the adapter's limits.
import type { ConcreteType } from "../ir/define-op.js";
import type { IRNode, NodeId } from "../ir/graph.js";
import { getOp } from "../ir/registry.js";
import type { Dim, DType, TensorType } from "../ir/types.js";
import type { KernelContext } from "./contract.js";
import { broadcastOffset, countOf, lazyCoordinates } from "./indexing.js";
import { CodegenError, type KernelLimits } from "./limits.js";
import { WgslBuilder } from "./wgsl-builder.js";
import { literal, scalarOf, specialValueDecls, u32, type WgslScalar } from "./wgsl-values.js";

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
  node: NodeId;
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

class KernelWriter implements KernelContext {
  readonly bindings: BindingPlan[] = [];
  readonly messages = new Map<number, string>();
  private readonly helpers = new Map<string, string>();
  private readonly decls: string[] = [];
  private readonly sharedDecls: string[] = [];
  private workgroupBytes = 0;
  private schedule: Schedule | undefined;
  private statusName: string | undefined;
  readonly out: string;

  constructor(
    private readonly node: IRNode,
    readonly inputs: readonly ConcreteType[],
    readonly output: ConcreteType,
    private readonly resolve: (d: Dim) => number,
    readonly limits: KernelLimits,
    readonly training: boolean,
  ) {
    inputs.forEach((t, i) => this.bind(`src${i}`, "read", { kind: "input", node: node.inputs[i]! }, `array<${scalarOf(t.dtype)}>`));
    this.out = this.bind("dst", "read_write", { kind: "output", node: node.id }, `array<${scalarOf(output.dtype)}>`);
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
    const bound = `min(${u32(n)}, arrayLength(&${this.out}) + ${u32(n)})`;
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
    this.statusName ??= this.bind("status", "read_write", { kind: "status" }, `array<atomic<u32>, ${STATUS_WORDS}>`);
    const code = messageCode(message);
    this.messages.set(code, message);
    w.block(`if (!(${ok}))`, () => {
      w.line(`atomicStore(&${this.statusName}[1], bitcast<u32>(${value}));`);
      w.line(`atomicStore(&${this.statusName}[0], ${u32(code)});`);
    });
  }

  /** The whole module, its grid and its bindings. */
  finish(): KernelPlan {
    const what = describeNode(this.node, this.output);
    const s = this.schedule;
    if (!s) throw new Error(`internal: ${this.node.op}'s emitter wrote no kernel`);
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
    m.line(`// ${this.node.op} -> ${this.output.dtype}[${this.output.shape.join(", ")}]`);
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
      node: this.node.id,
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

/**
 * The kernel computing `node` from its inputs' buffers into its own, or undefined for a node whose buffer the runtime
 * binds (inputs, parameters, optimizer state). Throws CodegenError when the adapter's limits rule the kernel out.
 */
export function emitKernel(node: IRNode, types: readonly ConcreteType[], dim: (d: Dim) => number, options: EmitOptions): KernelPlan | undefined {
  const def = getOp(node.op);
  const emitter = def.wgsl;
  if (emitter.kind === "bound") return undefined;
  const k = new KernelWriter(node, node.inputs.map((i) => types[i]!), types[node.id]!, dim, options.limits, options.training);
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
      w.line(`${k.out}[${index}] = ${emitter.expr(args, node.attrs, k)};`);
    });
  }
  return k.finish();
}
