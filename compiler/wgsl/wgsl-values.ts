// WGSL spellings of values: storage types per dtype, exact f32 and i32 literals, u32 index constants. WGSL has no
// literal for infinity or NaN, and a constant expression that evaluates to one is a shader-creation error, so those
// are bitcasts of module-scope private u32 variables (run-time values): see SPECIAL_VALUES.
import type { DType } from "../ir/types.js";

export type WgslScalar = "f32" | "i32";

/** Storage type of a tensor: integers are i32, every float dtype is stored as f32 (f16 too, as on the CPU). */
export function scalarOf(dtype: DType): WgslScalar {
  return dtype === "i32" ? "i32" : "f32";
}

const F32_BITS = new Float32Array(1);
const U32_VIEW = new Uint32Array(F32_BITS.buffer);

/** Private variables holding the bits of the non-finite values; a module declares those it mentions. */
export const SPECIAL_VALUES: ReadonlyMap<string, string> = new Map([
  ["dlg_neg_inf_bits", "0xff800000u"],
  ["dlg_pos_inf_bits", "0x7f800000u"],
  ["dlg_nan_bits", "0x7fc00000u"],
]);

/** The declarations of the special-value variables `wgsl` uses. */
export function specialValueDecls(wgsl: string): string[] {
  return [...SPECIAL_VALUES].filter(([name]) => wgsl.includes(name)).map(([name, bits]) => `var<private> ${name}: u32 = ${bits};`);
}

/** `v` rounded to f32 as a bitcast of its bits (non-finite values through SPECIAL_VALUES). */
export function f32Bits(v: number): string {
  F32_BITS[0] = v;
  if (Number.isNaN(v)) return "bitcast<f32>(dlg_nan_bits)";
  if (v === Infinity) return "bitcast<f32>(dlg_pos_inf_bits)";
  if (v === -Infinity) return "bitcast<f32>(dlg_neg_inf_bits)";
  return `bitcast<f32>(0x${U32_VIEW[0]!.toString(16).padStart(8, "0")}u)`;
}

/**
 * `v` rounded to f32 (as the CPU executor stores it), written so that WGSL reads back exactly that f32: the shortest
 * decimal that round-trips the (exactly representable) double, which the f32 conversion then keeps unchanged.
 * Infinities and NaN are bit patterns.
 */
export function f32Literal(v: number): string {
  const f = Math.fround(v);
  if (!Number.isFinite(f)) return f32Bits(f);
  if (Object.is(f, -0)) return "(-0.0)";
  const text = String(f);
  const literal = /[.e]/.test(text) ? text : `${text}.0`;
  return f < 0 ? `(${literal})` : literal;
}

export function i32Literal(v: number): string {
  if (!Number.isInteger(v) || v < -2147483648 || v > 2147483647) throw new RangeError(`internal: ${v} is not an i32 value`);
  if (v === -2147483648) return "i32(-2147483648)";
  return v < 0 ? `(${v}i)` : `${v}i`;
}

export function literal(v: number, dtype: DType): string {
  return dtype === "i32" ? i32Literal(Math.trunc(v) | 0) : f32Literal(v);
}

/** A non-negative index constant. */
export function u32(n: number): string {
  if (!Number.isInteger(n) || n < 0 || n > 0xffffffff) throw new RangeError(`internal: ${n} is not a u32 index`);
  return `${n}u`;
}

export const NEG_INF = f32Bits(-Infinity);
export const POS_INF = f32Bits(Infinity);
export const NAN = f32Bits(NaN);

/** The smallest value of a storage type: the identity of max. */
export function lowest(type: WgslScalar): string {
  return type === "i32" ? "i32(-2147483648)" : NEG_INF;
}
