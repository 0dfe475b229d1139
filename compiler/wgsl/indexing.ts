// Index arithmetic for generated kernels, all on constants known at instantiation: coordinates of a linear index,
// offsets under other strides (broadcast, permuted, sliced), written so that size-1 dims and zero steps vanish.
import type { WgslBuilder } from "./wgsl-builder.js";
import { u32 } from "./wgsl-values.js";

import { sizeOf as countOf, stridesOf } from "../ir/host.js";

export { countOf, stridesOf };

/**
 * Declares `let <prefix><d>` for the coordinate of `index` (a u32 expression) along each dim of `shape` and returns
 * the coordinate expressions ("0u" for size-1 dims, which need no arithmetic).
 */
export function coordinates(w: WgslBuilder, index: string, shape: readonly number[], prefix: string): string[] {
  const strides = stridesOf(shape);
  return shape.map((size, d) => {
    if (size === 1) return "0u";
    const name = `${prefix}${d}`;
    const quotient = strides[d] === 1 ? index : `${index} / ${u32(strides[d]!)}`;
    // The leading dim needs no modulo: the index is below the element count.
    w.line(`let ${name} = ${d === 0 ? quotient : `(${quotient}) % ${u32(size)}`};`);
    return name;
  });
}

/** sum of coords[d] * steps[d] as a u32 expression (zero steps and "0u" coordinates dropped). */
export function linear(coords: readonly string[], steps: readonly number[], base = 0): string {
  const terms: string[] = [];
  coords.forEach((c, d) => {
    const s = steps[d]!;
    if (s === 0 || c === "0u") return;
    terms.push(s === 1 ? c : `${c} * ${u32(s)}`);
  });
  if (base !== 0) terms.push(u32(base));
  return terms.length === 0 ? "0u" : terms.join(" + ");
}

/**
 * For each dim of `outShape`, the step of a tensor of `inShape` broadcast onto it (NumPy rules, aligned right):
 * its stride, or 0 where it is missing or has size 1.
 */
export function broadcastSteps(outShape: readonly number[], inShape: readonly number[]): number[] {
  const offset = outShape.length - inShape.length;
  const inStrides = stridesOf(inShape);
  return outShape.map((_, d) => (d < offset || inShape[d - offset] === 1 ? 0 : inStrides[d - offset]!));
}

/** True when reading `inShape` broadcast onto `outShape` is reading it at the same linear index. */
export function sameLayout(outShape: readonly number[], inShape: readonly number[]): boolean {
  return countOf(outShape) === countOf(inShape);
}

/**
 * The offset into a tensor of `inShape` broadcast onto `outShape` at output index `index`: the index itself when the
 * element counts agree, 0 for a single element, else coordinates (declared once per prefix through `coords`).
 */
export function broadcastOffset(index: string, outShape: readonly number[], inShape: readonly number[], coords: () => string[]): string {
  if (sameLayout(outShape, inShape)) return index;
  if (countOf(inShape) === 1) return "0u";
  return linear(coords(), broadcastSteps(outShape, inShape));
}

/** Memoizes a coordinate declaration so that it is emitted at most once, and only when used. */
export function lazyCoordinates(w: WgslBuilder, index: string, shape: readonly number[], prefix: string): () => string[] {
  let cached: string[] | undefined;
  return () => (cached ??= coordinates(w, index, shape, prefix));
}

/**
 * Splits `index` over a tensor viewed as [outer, len, inner] (one axis and the dims around it): declares `o`, `a`
 * (the coordinate along the axis) and `r`.
 */
export function alongAxis(w: WgslBuilder, index: string, len: number, inner: number): { o: string; a: string; r: string } {
  w.line(`let o = ${index} / ${u32(len * inner)};`);
  w.line(`let a = (${inner === 1 ? index : `${index} / ${u32(inner)}`}) % ${u32(len)};`);
  w.line(`let r = ${inner === 1 ? "0u" : `${index} % ${u32(inner)}`};`);
  return { o: "o", a: "a", r: "r" };
}

/** The offset of [o, a, r] in a tensor viewed as [outer, len, inner]. */
export function atAxis(o: string, a: string, r: string, len: number, inner: number): string {
  const terms = [o === "0u" ? "" : `${o} * ${u32(len * inner)}`, inner === 1 ? a : `(${a}) * ${u32(inner)}`, r === "0u" ? "" : r];
  return terms.filter((t) => t !== "").join(" + ");
}

/**
 * Merges neighbouring dims that are contiguous in memory and belong to the same group (say, kept or reduced), so
 * index arithmetic has fewer divisions: returns each group's dims as (size, stride) pairs, outermost first.
 */
export function coalesce(shape: readonly number[], groupOf: (dim: number) => number): Map<number, { sizes: number[]; strides: number[] }> {
  const strides = stridesOf(shape);
  const groups = new Map<number, { sizes: number[]; strides: number[] }>();
  let lastGroup = -1;
  shape.forEach((size, d) => {
    const g = groupOf(d);
    const entry = groups.get(g) ?? { sizes: [], strides: [] };
    groups.set(g, entry);
    if (size === 1) return;
    const n = entry.sizes.length;
    if (n > 0 && lastGroup === g && entry.strides[n - 1] === strides[d]! * size) {
      entry.sizes[n - 1] = entry.sizes[n - 1]! * size;
      entry.strides[n - 1] = strides[d]!;
    } else {
      entry.sizes.push(size);
      entry.strides.push(strides[d]!);
    }
    lastGroup = g;
  });
  return groups;
}
