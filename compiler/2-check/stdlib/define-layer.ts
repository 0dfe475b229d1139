// A built-in callable of the language (layer, op or loss) as a signature plus an expansion into primitives.
import type { LayerArgs, LayerContext } from "../lower-to-ir.js";
import type { ParamSpec } from "../signature.js";
import type { TensorValue, Value } from "../values.js";
import type { Span } from "../../diagnostics/span.js";
import { Dim, formatType } from "../../ir/types.js";
import type { NoAttrs, OpsWithAttrs } from "../../ir/registry.js";

export interface BuiltinDef {
  name: string;
  params: readonly ParamSpec[];
  summary: string;
  apply(ctx: LayerContext, args: LayerArgs): Value;
}

export function defineBuiltin(def: BuiltinDef): BuiltinDef {
  return def;
}

export const tensor = (name: string): ParamSpec => ({ name, kind: "tensor" });
export const operand = (name: string): ParamSpec => ({ name, kind: "operand" });
export const int = (name: string, def?: number | null): ParamSpec =>
  def === undefined ? { name, kind: "int" } : { name, kind: "int", default: def === null ? null : { kind: "int", dim: Dim.const(def) } };
export const float = (name: string, def?: number): ParamSpec =>
  def === undefined ? { name, kind: "float" } : { name, kind: "float", default: { kind: "float", value: def } };
export const bool = (name: string, def: boolean): ParamSpec => ({ name, kind: "bool", default: { kind: "bool", value: def } });
export const string = (name: string, def: string): ParamSpec => ({ name, kind: "string", default: { kind: "string", value: def } });

/**
 * Resolves an axis (negative counts from the end) against x's rank, or fails with the axis named, at `span` (the axis
 * argument) and with x's type shown.
 */
export function axisOf(ctx: LayerContext, axis: number, x: TensorValue, span?: Span, what = "input"): number {
  const rank = x.type.shape.length;
  const a = axis < 0 ? axis + rank : axis;
  if (a < 0 || a >= rank)
    ctx.fail({ key: "axisRange", params: { op: ctx.callee, axis, rank }, label: `${what} is ${formatType(x.type)}`, hint: rank > 0 ? `axes of a rank-${rank} tensor are 0..${rank - 1}, or -${rank}..-1 from the end` : "a scalar has no axes" }, span);
  return a;
}

/** The scalar `value` as a tensor of x's dtype, for arithmetic with x. */
export function scalarLike(ctx: LayerContext, value: number, x: TensorValue): TensorValue {
  return ctx.constant(value, x.type.dtype);
}

/**
 * An elementwise binary op where either side may be a plain number: the number becomes a scalar of the tensor's
 * dtype (an integer literal adapts to f32; a fractional one next to an i32 tensor stays f32 and the dtype rule reports it).
 */
export function elementwiseBinary(ctx: LayerContext, op: OpsWithAttrs<NoAttrs>, a: Value, b: Value): TensorValue {
  const asTensor = (v: Value, other: Value): TensorValue => {
    if (v.kind === "tensor") return v;
    const like = other.kind === "tensor" ? other.type.dtype : "f32";
    if (v.kind === "float") return ctx.constant(v.value, Number.isInteger(v.value) || like !== "i32" ? like : "f32");
    if (v.kind === "int") {
      const c = v.dim.constValue();
      if (c !== undefined) return ctx.constant(c, like);
      // A symbolic dim is an integer too: like a literal it adapts to the tensor's dtype (dimScalar makes an f32).
      const size = ctx.dimScalar(v.dim);
      return size.type.dtype === like ? size : ctx.op("cast", [size], { dtype: like });
    }
    throw new Error(`internal: ${op} operand is ${v.kind}`);
  };
  return ctx.op(op, [asTensor(a, b), asTensor(b, a)]);
}
