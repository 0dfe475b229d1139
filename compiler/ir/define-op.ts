// The contract every primitive op declares once: its name, fusion kind and shape rule. Later phases add to this
// interface (CPU reference, gradient as IR, WGSL emitter) so that one file keeps describing one op.
import type { MessageKey, MessageParams } from "../diagnostics/messages.js";
import type { Dim } from "../2-check/dims.js";
import type { TensorType } from "./types.js";

/** What the fusion pass reads; it never looks at op names (TVM's op patterns). */
export type FusionKind = "elementwise" | "broadcast" | "injective" | "reduce" | "opaque" | "source";

export type AttrValue = number | boolean | string | readonly number[] | Dim | readonly Dim[];
export type Attrs = Readonly<Record<string, AttrValue>>;

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

export interface OpDef<A extends Attrs = Attrs> {
  name: string;
  fusion: FusionKind;
  /** Number of tensor inputs, or "variadic". */
  arity: number | "variadic";
  shape(inputs: readonly TensorType[], attrs: A): TensorType | ShapeError;
}

export function defineOp<A extends Attrs>(def: OpDef<A>): OpDef<A> {
  return def;
}
