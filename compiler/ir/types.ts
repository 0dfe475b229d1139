// Tensor types shared by the checker and the IR: a dtype and a shape of symbolic dims.
import { Dim, formatShape } from "./dims.js";

export type DType = "f32" | "i32" | "f16";
export const DTYPES: readonly DType[] = ["f32", "i32", "f16"];

export interface TensorType {
  dtype: DType;
  shape: readonly Dim[];
}

export function formatType(t: TensorType): string {
  return `${t.dtype}${formatShape(t.shape)}`;
}

export function isFloat(dtype: DType): boolean {
  return dtype === "f32" || dtype === "f16";
}

export function typesEqual(a: TensorType, b: TensorType): boolean {
  return a.dtype === b.dtype && a.shape.length === b.shape.length && a.shape.every((d, i) => d.equals(b.shape[i]!));
}

export function scalarType(dtype: DType): TensorType {
  return { dtype, shape: [] };
}

export { Dim };

/** An op attribute: the attrs of an IR node are a record of these. */
export type AttrValue = number | boolean | string | readonly number[] | Dim | readonly Dim[];
export type Attrs = Readonly<Record<string, AttrValue>>;
