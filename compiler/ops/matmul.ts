// Batched matrix product: [..., M, K] @ [..., K, P] -> [..., M, P], leading dims broadcast; rank-1 operands as in NumPy.
// Either matrix operand may be stored transposed (BLAS's transa/transb, XLA's dot dimension numbers): the product
// reads it by strides, so gradients (g @ B^T, A^T @ g) need no transpose kernel and no transposed copy.
import type { TensorValue } from "../ir/value.js";
import { isShapeError, shapeError, type GradContext } from "../ir/define-op.js";
import { defineOp } from "./define-op.js";
import { Dim, formatType } from "../ir/types.js";
import { broadcastIndex, sizeOf } from "../ir/host.js";
import { broadcastShapes, requireFloat, requireSameDtype } from "./shape-rules.js";
import type { KernelContext } from "../wgsl/contract.js";
import { broadcastSteps, coordinates, linear } from "../wgsl/indexing.js";
import { emitBlockedGemm, emitTiledGemm, fitTile, type Gemm } from "../wgsl/gemm.js";
import { u32 } from "../wgsl/wgsl-values.js";

/** `transposeA`: the left operand is stored as [..., K, M] and used as its transpose; `transposeB` likewise [..., P, K]. */
export type MatmulAttrs = {
  transposeA?: boolean;
  transposeB?: boolean;
};

declare module "../ir/op-catalog.js" {
  interface OpCatalog {
    matmul: MatmulAttrs;
  }
}

/**
 * Sizes of one batched matmul at concrete shapes, shared by the CPU reference and the WGSL kernel: rank-1 operands as
 * [1, K] / [K, 1] (NumPy), the matrix sizes, and the broadcast batch shape with each operand's own batch dims.
 */
function matmulGeometry(aIn: readonly number[], bIn: readonly number[], attrs: MatmulAttrs = {}) {
  const aShape = aIn.length === 1 ? [1, aIn[0]!] : attrs.transposeA ? swapLast(aIn) : aIn;
  const bShape = bIn.length === 1 ? [bIn[0]!, 1] : attrs.transposeB ? swapLast(bIn) : bIn;
  const [m, k] = aShape.slice(-2) as [number, number];
  const p = bShape[bShape.length - 1]!;
  const aBatch = aShape.slice(0, -2);
  const bBatch = bShape.slice(0, -2);
  const rank = Math.max(aBatch.length, bBatch.length);
  const batch = Array.from({ length: rank }, (_, i) => Math.max(aBatch[aBatch.length - rank + i] ?? 1, bBatch[bBatch.length - rank + i] ?? 1));
  return { m, k, p, aBatch, bBatch, batch };
}

function swapLast<T>(shape: readonly T[]): T[] {
  const out = [...shape];
  const r = out.length;
  [out[r - 2], out[r - 1]] = [out[r - 1]!, out[r - 2]!];
  return out;
}

/**
 * The WGSL kernel: the tiled schedule (workgroup tiles of A and B, a register block of C per invocation) wherever the
 * adapter's workgroup memory holds its tiles, else a register-blocked kernel without workgroup memory.
 */
function emitMatmul(k: KernelContext, attrs: MatmulAttrs): void {
  const gemm = matmulGemm(k, matmulGeometry(k.inputs[0]!.shape, k.inputs[1]!.shape, attrs), attrs);
  const tile = fitTile(k);
  if (tile) emitTiledGemm(k, gemm, tile);
  else emitBlockedGemm(k, gemm);
}

/** One batched product as the GEMM schedules see it: batch coordinates broadcast onto each operand's own batch dims. */
function matmulGemm(k: KernelContext, { m, k: kk, p, aBatch, bBatch, batch }: ReturnType<typeof matmulGeometry>, attrs: MatmulAttrs): Gemm {
  return {
    batches: sizeOf(batch),
    m,
    n: p,
    k: kk,
    batch(w, t) {
      const bc = coordinates(w, t, batch, "n");
      const base = (steps: number[], size: number) => {
        const at = linear(bc, steps);
        return at === "0u" ? at : `(${at}) * ${u32(size)}`;
      };
      w.line(`let aBase = ${base(broadcastSteps(batch, aBatch), m * kk)};`);
      w.line(`let bBase = ${base(broadcastSteps(batch, bBatch), kk * p)};`);
    },
    a: (_, row, col) => `${k.input(0)}[aBase + ${attrs.transposeA ? `${col} * ${u32(m)} + ${row}` : `${row} * ${u32(kk)} + ${col}`}]`,
    b: (_, row, col) => `${k.input(1)}[bBase + ${attrs.transposeB ? `${col} * ${u32(kk)} + ${row}` : `${row} * ${u32(p)} + ${col}`}]`,
    out: (t, row, col) => `${t} * ${u32(m * p)} + ${row} * ${u32(p)} + ${col}`,
  };
}

/**
 * C[m, p] = A[m, k] @ B[k, p] for one batch element. Register-blocked: each 4x4 tile of C is held in sixteen
 * locals (JavaScript numbers, so accumulation is in float64) while k runs, which loads A and B four times less often
 * than the textbook loop; edge tiles fall back to the plain loop.
 */
export function matmulKernel(a: ArrayLike<number>, aOff: number, b: ArrayLike<number>, bOff: number, out: { [i: number]: number }, oOff: number,
  m: number, k: number, p: number): void {
  const m4 = m - (m % 4);
  const p4 = p - (p % 4);
  for (let i = 0; i < m4; i += 4) {
    const r0 = aOff + i * k, r1 = r0 + k, r2 = r1 + k, r3 = r2 + k;
    for (let j = 0; j < p4; j += 4) {
      let c00 = 0, c01 = 0, c02 = 0, c03 = 0, c10 = 0, c11 = 0, c12 = 0, c13 = 0;
      let c20 = 0, c21 = 0, c22 = 0, c23 = 0, c30 = 0, c31 = 0, c32 = 0, c33 = 0;
      let bb = bOff + j;
      for (let kk = 0; kk < k; kk++, bb += p) {
        const a0 = a[r0 + kk]!, a1 = a[r1 + kk]!, a2 = a[r2 + kk]!, a3 = a[r3 + kk]!;
        const b0 = b[bb]!, b1 = b[bb + 1]!, b2 = b[bb + 2]!, b3 = b[bb + 3]!;
        c00 += a0 * b0; c01 += a0 * b1; c02 += a0 * b2; c03 += a0 * b3;
        c10 += a1 * b0; c11 += a1 * b1; c12 += a1 * b2; c13 += a1 * b3;
        c20 += a2 * b0; c21 += a2 * b1; c22 += a2 * b2; c23 += a2 * b3;
        c30 += a3 * b0; c31 += a3 * b1; c32 += a3 * b2; c33 += a3 * b3;
      }
      const o = oOff + i * p + j;
      out[o] = c00; out[o + 1] = c01; out[o + 2] = c02; out[o + 3] = c03;
      out[o + p] = c10; out[o + p + 1] = c11; out[o + p + 2] = c12; out[o + p + 3] = c13;
      out[o + 2 * p] = c20; out[o + 2 * p + 1] = c21; out[o + 2 * p + 2] = c22; out[o + 2 * p + 3] = c23;
      out[o + 3 * p] = c30; out[o + 3 * p + 1] = c31; out[o + 3 * p + 2] = c32; out[o + 3 * p + 3] = c33;
    }
    for (let r = i; r < i + 4; r++) for (let j = p4; j < p; j++) out[oOff + r * p + j] = dot(a, aOff + r * k, b, bOff + j, k, p);
  }
  for (let r = m4; r < m; r++) for (let j = 0; j < p; j++) out[oOff + r * p + j] = dot(a, aOff + r * k, b, bOff + j, k, p);
}

/** Each trailing [rows, cols] matrix of `x` as [cols, rows]. */
function transposeMatrices(x: ArrayLike<number>, rows: number, cols: number): Float64Array {
  const out = new Float64Array(x.length);
  for (let base = 0; base < x.length; base += rows * cols)
    for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[base + c * rows + r] = x[base + r * cols + c]!;
  return out;
}

function dot(a: ArrayLike<number>, aAt: number, b: ArrayLike<number>, bAt: number, k: number, stride: number): number {
  let s = 0;
  for (let kk = 0; kk < k; kk++) s += a[aAt + kk]! * b[bAt + kk * stride]!;
  return s;
}

function asMatrix(ctx: GradContext, x: TensorValue, side: "left" | "right"): TensorValue {
  if (x.type.shape.length !== 1) return x;
  const k = x.type.shape[0]!;
  return ctx.op("reshape", [x], { shape: side === "left" ? [Dim.const(1), k] : [k, Dim.const(1)] });
}

/** A transpose flag on a rank-1 operand: meaningless (NumPy's rule already decides its orientation). */
function flagOnVector(a: { shape: readonly unknown[] }, b: { shape: readonly unknown[] }, attrs: MatmulAttrs): string | undefined {
  if (attrs.transposeA && a.shape.length < 2) return "the left operand, transposed, is not a matrix";
  if (attrs.transposeB && b.shape.length < 2) return "the right operand, transposed, is not a matrix";
  return undefined;
}

export const matmul = defineOp({
  name: "matmul",
  fusion: "opaque",
  arity: 2,
  shape([a, b], attrs) {
    const dtypeErr = requireSameDtype("matmul", a!, b!) ?? requireFloat("matmul", a!);
    if (dtypeErr) return dtypeErr;
    if (a!.shape.length === 0 || b!.shape.length === 0)
      return shapeError("rankMismatch", { op: "matmul", expected: "operands of rank 1 or more", actual: `${formatType(a!)} and ${formatType(b!)}` });
    const vector = flagOnVector(a!, b!, attrs);
    if (vector) return shapeError("rankMismatch", { op: "matmul", expected: "matrices where an operand is transposed", actual: vector });
    const left = a!.shape.length === 1 ? [a!.shape[0]!] : attrs.transposeA ? swapLast(a!.shape.slice(-2)) : a!.shape.slice(-2);
    const right = b!.shape.length === 1 ? [b!.shape[0]!] : attrs.transposeB ? swapLast(b!.shape.slice(-2)) : b!.shape.slice(-2);
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
  reference([a, b], attrs, ctx) {
    const { m, k, p, aBatch, bBatch, batch } = matmulGeometry(ctx.inputs[0]!.shape, ctx.inputs[1]!.shape, attrs);
    // The reference multiplies row-major operands: a transposed one is laid out as used first (a plain copy, so the
    // oracle stays independent of the strided reads the kernels do).
    if (attrs.transposeA) a = transposeMatrices(a!, k, m);
    if (attrs.transposeB) b = transposeMatrices(b!, p, k);
    const out = ctx.alloc(sizeOf(batch) * m * p);
    const aIdx = broadcastIndex(batch, aBatch);
    const bIdx = broadcastIndex(batch, bBatch);
    for (let t = 0; t < aIdx.length; t++) matmulKernel(a!, aIdx[t]! * m * k, b!, bIdx[t]! * k * p, out, t * m * p, m, k, p);
    return out;
  },
  wgsl: { kind: "kernel", emit: emitMatmul },
  vjp(ctx, attrs) {
    // With Â and B̂ the operands as used (a flagged one transposed): dÂ = g @ B̂^T, dB̂ = Â^T @ g. Every transpose is
    // a flag on the product, never a kernel of its own; a flagged operand's gradient is the transpose of its used
    // form's, which swaps the product's operands. Computed on matrix views of rank-1 operands and summed over
    // broadcast batch dims.
    const [a, b] = ctx.inputs as [TensorValue, TensorValue];
    const ta = attrs.transposeA === true;
    const tb = attrs.transposeB === true;
    const a2 = asMatrix(ctx, a, "left");
    const b2 = asMatrix(ctx, b, "right");
    let g = ctx.grad;
    const used = (x: TensorValue, t: boolean) => (t ? swapLast(x.type.shape) : x.type.shape);
    const aUsed = used(a2, ta);
    const bUsed = used(b2, tb);
    const gShape = [...aUsed.slice(0, -1), bUsed[bUsed.length - 1]!];
    const batch = g.type.shape.slice(0, g.type.shape.length - (a.type.shape.length === 1 ? 0 : 1) - (b.type.shape.length === 1 ? 0 : 1));
    g = ctx.op("reshape", [g], { shape: [...batch, gShape[gShape.length - 2]!, gShape[gShape.length - 1]!] });
    const product = (x: TensorValue, y: TensorValue, transposeA: boolean, transposeB: boolean) =>
      ctx.op("matmul", [x, y], { ...(transposeA ? { transposeA } : {}), ...(transposeB ? { transposeB } : {}) });
    const ga = ctx.needs(0) ? ctx.sumTo(ta ? product(b2, g, tb, true) : product(g, b2, false, !tb), a2.type) : undefined;
    const gb = ctx.needs(1) ? ctx.sumTo(tb ? product(g, a2, true, ta) : product(a2, g, !ta, false), b2.type) : undefined;
    return [
      ga && a.type.shape.length === 1 ? ctx.op("reshape", [ga], { shape: a.type.shape }) : ga,
      gb && b.type.shape.length === 1 ? ctx.op("reshape", [gb], { shape: b.type.shape }) : gb,
    ];
  },
});
