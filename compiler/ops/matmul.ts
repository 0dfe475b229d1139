// Batched matrix product: [..., M, K] @ [..., K, P] -> [..., M, P], leading dims broadcast; rank-1 operands as in NumPy.
import type { TensorValue } from "../2-check/values.js";
import { defineOp, isShapeError, shapeError, type GradContext } from "../ir/define-op.js";
import { Dim, formatType } from "../ir/types.js";
import { broadcastIndex, sizeOf } from "./host.js";
import { broadcastShapes, requireFloat, requireSameDtype } from "./shape-rules.js";

/** A row of the result is accumulated in float64 (exactness first), then stored at the output's precision. */
function matmulKernel(a: ArrayLike<number>, aOff: number, b: ArrayLike<number>, bOff: number, out: { [i: number]: number }, oOff: number,
  m: number, k: number, p: number, acc: Float64Array): void {
  for (let i = 0; i < m; i++) {
    acc.fill(0, 0, p);
    const aRow = aOff + i * k;
    for (let kk = 0; kk < k; kk++) {
      const av = a[aRow + kk]!;
      if (av === 0) continue;
      const bRow = bOff + kk * p;
      for (let j = 0; j < p; j++) acc[j]! += av * b[bRow + j]!;
    }
    const oRow = oOff + i * p;
    for (let j = 0; j < p; j++) out[oRow + j] = acc[j]!;
  }
}

/** Swaps the last two axes (for gradients). */
function transposeLast(ctx: GradContext, x: TensorValue): TensorValue {
  const r = x.type.shape.length;
  const perm = [...Array(r).keys()];
  [perm[r - 2], perm[r - 1]] = [perm[r - 1]!, perm[r - 2]!];
  return ctx.op("transpose", [x], { perm });
}

function asMatrix(ctx: GradContext, x: TensorValue, side: "left" | "right"): TensorValue {
  if (x.type.shape.length !== 1) return x;
  const k = x.type.shape[0]!;
  return ctx.op("reshape", [x], { shape: side === "left" ? [Dim.const(1), k] : [k, Dim.const(1)] });
}

export const matmul = defineOp({
  name: "matmul",
  fusion: "opaque",
  arity: 2,
  shape([a, b]) {
    const dtypeErr = requireSameDtype("matmul", a!, b!) ?? requireFloat("matmul", a!);
    if (dtypeErr) return dtypeErr;
    if (a!.shape.length === 0 || b!.shape.length === 0)
      return shapeError("rankMismatch", { op: "matmul", expected: "operands of rank 1 or more", actual: `${formatType(a!)} and ${formatType(b!)}` });
    const left = a!.shape.length === 1 ? [a!.shape[0]!] : a!.shape.slice(-2);
    const right = b!.shape.length === 1 ? [b!.shape[0]!] : b!.shape.slice(-2);
    const k1 = left[left.length - 1]!;
    const k2 = right[0]!;
    if (!k1.equals(k2))
      return shapeError("matmulInner", { left: k1.toString(), right: k2.toString() }, `left is ${formatType(a!)}, right is ${formatType(b!)}`);
    const batch = broadcastShapes("matmul", { dtype: a!.dtype, shape: a!.shape.slice(0, -2) }, { dtype: b!.dtype, shape: b!.shape.slice(0, -2) });
    if (isShapeError(batch)) return batch;
    const rows = a!.shape.length === 1 ? [] : [left[0]!];
    const cols = b!.shape.length === 1 ? [] : [right[1]!];
    return { dtype: a!.dtype, shape: [...batch, ...rows, ...cols] };
  },
  reference([a, b], _, ctx) {
    const aShape = ctx.inputs[0]!.shape.length === 1 ? [1, ctx.inputs[0]!.shape[0]!] : ctx.inputs[0]!.shape;
    const bShape = ctx.inputs[1]!.shape.length === 1 ? [ctx.inputs[1]!.shape[0]!, 1] : ctx.inputs[1]!.shape;
    const [m, k] = aShape.slice(-2) as [number, number];
    const p = bShape[bShape.length - 1]!;
    const aBatch = aShape.slice(0, -2);
    const bBatch = bShape.slice(0, -2);
    const rank = Math.max(aBatch.length, bBatch.length);
    const batch = Array.from({ length: rank }, (_, i) => Math.max(aBatch[aBatch.length - rank + i] ?? 1, bBatch[bBatch.length - rank + i] ?? 1));
    const out = ctx.alloc(sizeOf(batch) * m * p);
    const aIdx = broadcastIndex(batch, aBatch);
    const bIdx = broadcastIndex(batch, bBatch);
    const acc = new Float64Array(p);
    for (let t = 0; t < aIdx.length; t++) matmulKernel(a!, aIdx[t]! * m * k, b!, bIdx[t]! * k * p, out, t * m * p, m, k, p, acc);
    return out;
  },
  vjp(ctx) {
    // dA = g @ B^T, dB = A^T @ g, computed on matrix views of rank-1 operands and summed over broadcast batch dims.
    const [a, b] = ctx.inputs as [TensorValue, TensorValue];
    const a2 = asMatrix(ctx, a, "left");
    const b2 = asMatrix(ctx, b, "right");
    let g = ctx.grad;
    const gShape = [...a2.type.shape.slice(0, -1), b2.type.shape[b2.type.shape.length - 1]!];
    const batch = g.type.shape.slice(0, g.type.shape.length - (a.type.shape.length === 1 ? 0 : 1) - (b.type.shape.length === 1 ? 0 : 1));
    g = ctx.op("reshape", [g], { shape: [...batch, gShape[gShape.length - 2]!, gShape[gShape.length - 1]!] });
    const ga = ctx.needs(0) ? ctx.sumTo(ctx.op("matmul", [g, transposeLast(ctx, b2)]), a2.type) : undefined;
    const gb = ctx.needs(1) ? ctx.sumTo(ctx.op("matmul", [transposeLast(ctx, a2), g]), b2.type) : undefined;
    return [
      ga && a.type.shape.length === 1 ? ctx.op("reshape", [ga], { shape: a.type.shape }) : ga,
      gb && b.type.shape.length === 1 ? ctx.op("reshape", [gb], { shape: b.type.shape }) : gb,
    ];
  },
});
