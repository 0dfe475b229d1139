// What an op declares for WGSL code generation (the `wgsl` field of its OpDef), and what the code generator hands
// its emitter. Elementwise ops give a scalar expression, so a fusion pass can compose them into one kernel; the others
// write a whole kernel body against a KernelContext that owns bindings, the invocation grid and adapter limits.
import type { Dim } from "../ir/types.js";
import type { ConcreteType } from "../ir/define-op.js";
import type { DType } from "../ir/types.js";
import type { KernelLimits } from "./limits.js";
import type { WgslBuilder } from "./wgsl-builder.js";
import type { WgslScalar } from "./wgsl-values.js";

/** What both kinds of emitter see: concrete types, resolved dims, literals and shared helper functions. */
export interface ScalarContext {
  readonly inputs: readonly ConcreteType[];
  readonly output: ConcreteType;
  /** A symbolic dim attr at the instantiated sizes. */
  dim(d: Dim): number;
  /** A literal of `dtype` (the output's by default), exact in f32; infinities and NaN included. */
  lit(value: number, dtype?: DType): string;
  /** The WGSL storage type of a dtype (f32 for every float dtype, i32 for integers). */
  scalar(dtype: DType): WgslScalar;
  /** Declares a module-level helper function once (by name) and returns its name. */
  helper(name: string, code: string): string;
}

/** Elementwise (and broadcasting) ops: the value of one output element from its input elements' values. */
export interface ExpressionEmitter<A> {
  kind: "expression";
  /** `args` are WGSL expressions without side effects (let-bound names); the result has the output's storage type. */
  expr(args: readonly string[], attrs: A, ctx: ScalarContext): string;
}

/** The body of one compute kernel; the generator adds bindings, helpers and the entry point around it. */
export interface KernelContext extends ScalarContext {
  readonly limits: KernelLimits;
  /** True when the kernel is emitted for a training step (dropout draws). */
  readonly training: boolean;
  /**
   * The storage array of input `i` (array<f32> or array<i32>); emitters name their locals so as not to collide with
   * `src<i>`, `dst<i>`, `bits`, `status` and the epilogue's `f<letter><digits>`.
   */
  input(i: number): string;
  /**
   * The output's storage array. Reading it means the kernel cannot take an epilogue: write results through `store`
   * instead wherever the kernel only writes them.
   */
  readonly out: string;
  /**
   * Writes `value` (an expression of the output's storage type) as output element `index` (a u32 expression), once
   * per element. Where the fusion pass gave this kernel an epilogue (bias, activation, residual add), the hook writes
   * the epilogue's results instead, so a kernel whose every store goes through here gets its consumers fused for free.
   * Emits a block statement: call it where a statement may stand, as often as the kernel has store sites.
   */
  store(w: WgslBuilder, index: string, value: string): void;
  /**
   * One invocation for every index in [0, count): `body` writes statements using `index` (a u32 expression).
   * Correct for any count the adapter's dispatch limits allow (a 2-D grid past 65,535 workgroups).
   */
  perElement(count: number, body: (w: WgslBuilder, index: string) => void): void;
  /**
   * One workgroup of `lanes` invocations (a power of two, at most `preferredLanes`, within the adapter's limits) for
   * every index in [0, count): cooperative work such as reductions. `group` is uniform; workgroup barriers are allowed.
   */
  perWorkgroup(count: number, preferredLanes: number, body: (w: WgslBuilder, group: string, lane: string, lanes: number) => void): void;
  /**
   * A loop bound equal to `n` that the driver's compiler cannot see through (u32, or i32). Loops with short constant
   * trip counts are otherwise fully unrolled, and on lavapipe a 16-step 4x4 matmul loop then takes seconds to compile
   * instead of a fraction of one; the loop itself runs as fast either way.
   */
  loopBound(n: number, type?: "u32" | "i32"): string;
  /** Declares workgroup memory `array<type, length>` (checked against the adapter's workgroup storage). */
  shared(name: string, type: WgslScalar, length: number): string;
  /**
   * A read-only array<u32> of random bits drawn by the runtime for this node (bit i of the packed words is 1 with
   * probability `rate`), one bit per output element; from the session's seeded stream, identical to the CPU's draws.
   */
  randomBits(rate: number): string;
  /**
   * Emits a run-time check: where `ok` is false, the kernel records `message` (with `{value}` replaced by the i32
   * expression `value`) and the runtime raises it as an ExecutionError after the submit. The kernel must still
   * compute something in bounds (clamp) for the failing element.
   */
  check(w: WgslBuilder, ok: string, value: string, message: string): void;
}

/** Non-elementwise ops write whole kernels. */
export interface KernelEmitter<A> {
  kind: "kernel";
  emit(k: KernelContext, attrs: A): void;
}

/** Inputs, parameters and optimizer state: no computation, the runtime binds their buffers by name. */
export interface BoundEmitter {
  kind: "bound";
}

export type WgslEmitter<A> = ExpressionEmitter<A> | KernelEmitter<A> | BoundEmitter;

/**
 * Where each element of a view lies in the buffer it reads: element at coordinates c of the view's shape is at
 * `base + sum(c[d] * steps[d])` of the underlying buffer. A buffer's own map is its row-major strides, base 0.
 */
export interface ViewMap {
  steps: readonly number[];
  base: number;
  /**
   * Where the view holds its input's elements, in its own coordinates: an element with a coordinate outside
   * [lo, hi) along `dim` is zero (padding) and reads nothing.
   */
  bounds?: readonly { dim: number; lo: number; hi: number }[];
}

/**
 * Ops whose result is their input's elements in another arrangement (slice, reshape) can be read in place by a fused
 * consumer instead of being copied by a kernel of their own: given how their input lies in a buffer, the map of
 * their result, or undefined where it is not affine (a reshape across a strided view).
 */
export type ViewRule<A> = (attrs: A, input: ViewMap, inShape: readonly number[], outShape: readonly number[], dim: (d: Dim) => number) => ViewMap | undefined;
