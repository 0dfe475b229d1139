// Index arithmetic shared by the CPU references: strides, broadcasting maps, axis bookkeeping.
import type { HostData } from "./define-op.js";

export function sizeOf(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

export function stridesOf(shape: readonly number[]): number[] {
  const strides = new Array<number>(shape.length);
  let s = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    strides[i] = s;
    s *= shape[i]!;
  }
  return strides;
}

/**
 * Walks `shape` in row-major order like an odometer and returns, for each position, the sum of its coordinates times
 * `steps` — the offset into another tensor laid over the same index space (broadcast, permuted or reduced).
 */
export function offsetsOver(shape: readonly number[], steps: readonly number[]): Int32Array {
  const n = sizeOf(shape);
  const map = new Int32Array(n);
  const rank = shape.length;
  const counter = new Array<number>(rank).fill(0);
  let at = 0;
  for (let i = 0; i < n; i++) {
    map[i] = at;
    for (let d = rank - 1; d >= 0; d--) {
      counter[d]!++;
      at += steps[d]!;
      if (counter[d]! < shape[d]!) break;
      at -= steps[d]! * shape[d]!;
      counter[d] = 0;
    }
  }
  return map;
}

/**
 * For every element of `outShape`, the index of the element of `inShape` that broadcasting reads
 * (NumPy rules: shapes aligned right, size-1 dims stretched, so their step is 0).
 */
export function broadcastIndex(outShape: readonly number[], inShape: readonly number[]): Int32Array {
  const offset = outShape.length - inShape.length;
  const inStrides = stridesOf(inShape);
  return offsetsOver(outShape, outShape.map((_, i) => (i < offset || inShape[i - offset] === 1 ? 0 : inStrides[i - offset]!)));
}

export function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

/** Elementwise f(a, b) with broadcasting into `out`. */
export function broadcastBinary(
  a: HostData, aShape: readonly number[], b: HostData, bShape: readonly number[], outShape: readonly number[], out: HostData,
  f: (x: number, y: number) => number,
): HostData {
  const n = out.length;
  if (sameShape(aShape, outShape) && sameShape(bShape, outShape)) {
    for (let i = 0; i < n; i++) out[i] = f(a[i]!, b[i]!);
  } else if (sameShape(aShape, outShape) && b.length === 1) {
    const y = b[0]!;
    for (let i = 0; i < n; i++) out[i] = f(a[i]!, y);
  } else if (sameShape(bShape, outShape) && a.length === 1) {
    const x = a[0]!;
    for (let i = 0; i < n; i++) out[i] = f(x, b[i]!);
  } else {
    const ai = broadcastIndex(outShape, aShape);
    const bi = broadcastIndex(outShape, bShape);
    for (let i = 0; i < n; i++) out[i] = f(a[ai[i]!]!, b[bi[i]!]!);
  }
  return out;
}

/** For every element of `inShape`, the index of its slot in the reduction over `axes` (kept or dropped alike). */
export function reductionIndex(inShape: readonly number[], axes: readonly number[]): { map: Int32Array; outSize: number } {
  const keptShape = inShape.map((d, i) => (axes.includes(i) ? 1 : d));
  const outStrides = stridesOf(keptShape);
  return { map: offsetsOver(inShape, inShape.map((_, i) => (axes.includes(i) ? 0 : outStrides[i]!))), outSize: sizeOf(keptShape) };
}

/**
 * Copies `src` (viewed as [outer, srcLen, inner]) into `dst` (viewed as [outer, dstLen, inner]) so that src's
 * axis range [srcFrom, srcFrom + count) lands at dst's [dstFrom, dstFrom + count). Concat, slice and pad use it.
 */
export function copyAlongAxis(src: HostData, srcLen: number, srcFrom: number, dst: HostData, dstLen: number, dstFrom: number,
  count: number, outer: number, inner: number): void {
  for (let o = 0; o < outer; o++) {
    const s = (o * srcLen + srcFrom) * inner;
    const d = (o * dstLen + dstFrom) * inner;
    const len = count * inner;
    for (let i = 0; i < len; i++) dst[d + i] = src[s + i]!;
  }
}

/** Sizes before and after an axis: a tensor viewed as [outer, shape[axis], inner]. */
export function splitAt(shape: readonly number[], axis: number): { outer: number; inner: number } {
  return { outer: sizeOf(shape.slice(0, axis)), inner: sizeOf(shape.slice(axis + 1)) };
}
