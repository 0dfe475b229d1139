// What every primitive op declares about its meaning, whatever the target: name, fusion kind, shape rule, CPU
// reference and gradient as IR. The WGSL emitter completes the declaration one layer up (ops/define-op.ts), so that
// one file still describes one op while the IR knows nothing of code generation.
import type { MessageKey, MessageParams } from "../diagnostics/messages.js";
import type { Dim } from "./dims.js";
import type { OpAttrsArg, OpName } from "./op-catalog.js";
import type { Attrs, DType, TensorType } from "./types.js";
import type { TensorValue } from "./value.js";

/** What the fusion pass reads; it never looks at op names (TVM's op patterns). */
export type FusionKind = "elementwise" | "broadcast" | "injective" | "reduce" | "opaque" | "source";

export type { AttrValue, Attrs } from "./types.js";

/** A shape rule's refusal: a catalog message plus an optional label for the caret line. */
export interface ShapeError {
  key: MessageKey;
  params: Record<string, unknown>;
  label?: string;
  hint?: string;
}

export function shapeError<K extends MessageKey>(key: K, params: MessageParams<K>, label?: string, hint?: string): ShapeError {
  const e: ShapeError = { key, params: params as Record<string, unknown> };
  if (label !== undefined) e.label = label;
  if (hint !== undefined) e.hint = hint;
  return e;
}

export function isShapeError<T extends object>(x: T | ShapeError): x is ShapeError {
  return (x as ShapeError).key !== undefined;
}

/** Host memory for one tensor. Float tensors are Float64Array when the executor runs in float64 (gradient checks). */
export type HostData = Float32Array | Float64Array | Int32Array;

export interface ConcreteType {
  dtype: DType;
  shape: readonly number[];
}

/** What a CPU reference sees besides its inputs: concrete shapes, symbolic attrs resolved, randomness. */
export interface ExecContext {
  inputs: readonly ConcreteType[];
  output: ConcreteType;
  /** A symbolic dim attr (reshape target, slice bound) at the instantiated sizes. */
  dim(d: Dim): number;
  /** Output storage of the node's dtype and the executor's float precision, zero-filled. */
  alloc(length: number): HostData;
  training: boolean;
  /** Uniform in [0, 1), from the executor's seeded generator. */
  random(): number;
}

/** What a gradient rule sees: the forward node's inputs and output, the upstream gradient, and an IR builder. */
export interface GradContext {
  readonly inputs: readonly TensorValue[];
  readonly output: TensorValue;
  readonly grad: TensorValue;
  /** False for inputs that need no gradient (integers, constants, values no parameter flows into). */
  needs(index: number): boolean;
  op<N extends OpName>(name: N, inputs: readonly TensorValue[], ...attrs: OpAttrsArg<N>): TensorValue;
  constant(value: number, dtype?: DType): TensorValue;
  /** Sums a gradient over the dims that broadcasting added or stretched, back to `type`. */
  sumTo(grad: TensorValue, type: TensorType): TensorValue;
}

export interface OpSemantics<A extends Attrs = Attrs, N extends string = string> {
  name: N;
  fusion: FusionKind;
  /** Number of tensor inputs, or "variadic". */
  arity: number | "variadic";
  shape(inputs: readonly TensorType[], attrs: A): TensorType | ShapeError;
  /** The CPU reference: the oracle every other backend is tested against. Written for exactness first. */
  reference(inputs: readonly HostData[], attrs: A, ctx: ExecContext): HostData;
  /**
   * The vector-Jacobian product as IR: one gradient per input (undefined where none flows). Absent for ops nothing
   * differentiable flows through (sources, integer-valued ops).
   */
  vjp?(ctx: GradContext, attrs: A): readonly (TensorValue | undefined)[];
}

/** A run-time failure of a reference op on bad data (a label outside the classes); reported as one line. */
export class ExecutionError extends Error {}
