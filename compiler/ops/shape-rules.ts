// Shape-rule helpers shared by several op families (broadcasting, axis normalization).
import { shapeError, type ShapeError } from "../ir/define-op.js";
import { Dim, formatType, isFloat, type DType, type TensorType } from "../ir/types.js";

const ONE = Dim.const(1);

/** NumPy broadcasting of two shapes, aligned at the right. Dims broadcast only when equal or literally 1. */
export function broadcastShapes(op: string, a: TensorType, b: TensorType): readonly Dim[] | ShapeError {
  const rank = Math.max(a.shape.length, b.shape.length);
  const out: Dim[] = [];
  for (let i = 0; i < rank; i++) {
    const da = a.shape[a.shape.length - rank + i] ?? ONE;
    const db = b.shape[b.shape.length - rank + i] ?? ONE;
    if (da.equals(db) || db.equals(ONE)) out.push(da);
    else if (da.equals(ONE)) out.push(db);
    else
      return shapeError(
        "broadcast",
        { op, axis: i - rank, left: da.toString(), right: db.toString() },
        `left is ${formatType(a)}, right is ${formatType(b)}`,
      );
  }
  return out;
}

export function normalizeAxis(axis: number, rank: number): number | undefined {
  const a = axis < 0 ? axis + rank : axis;
  return a >= 0 && a < rank ? a : undefined;
}

export function requireFloat(op: string, t: TensorType, what = "input"): ShapeError | undefined {
  if (isFloat(t.dtype)) return undefined;
  return shapeError("dtypeMismatch", { op, expected: `a float tensor (f32 or f16) as ${what}`, actual: formatType(t) }, undefined,
    'convert it with cast(x, "f32")');
}

export function requireSameDtype(op: string, a: TensorType, b: TensorType): ShapeError | undefined {
  if (a.dtype === b.dtype) return undefined;
  return shapeError("dtypeMismatch", { op, expected: `operands of one dtype`, actual: `${formatType(a)} and ${formatType(b)}` }, undefined,
    "convert one side with cast(x, \"f32\")");
}

export function requireDtype(op: string, t: TensorType, dtype: DType, what: string): ShapeError | undefined {
  if (t.dtype === dtype) return undefined;
  return shapeError("dtypeMismatch", { op, expected: `${dtype} ${what}`, actual: formatType(t) });
}

export function requireRank(op: string, t: TensorType, rank: number, what: string): ShapeError | undefined {
  if (t.shape.length === rank) return undefined;
  return shapeError("rankMismatch", { op, expected: `a rank-${rank} ${what}`, actual: formatType(t) });
}
