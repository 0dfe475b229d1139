// Reductions over a set of axes (already normalized to 0..rank-1, sorted), keeping them as size 1 when asked.
import type { TensorValue } from "../ir/value.js";
import { shapeError, type GradContext } from "../ir/define-op.js";
import { defineOp, type OpDefOf } from "./define-op.js";
import type { OpsWithAttrs } from "../ir/registry.js";
import { Dim } from "../ir/types.js";
import { product } from "../ir/dims.js";
import { reductionIndex } from "../ir/host.js";
import { requireFloat } from "./shape-rules.js";
import { coalesce, coordinates, linear } from "../wgsl/indexing.js";
import { emitReduction } from "../wgsl/reduction.js";
import { lowest } from "../wgsl/wgsl-values.js";
import type { KernelContext } from "../wgsl/contract.js";

export interface ReduceAttrs {
  [key: string]: readonly number[] | boolean;
  axes: readonly number[];
  keepdims: boolean;
}

declare module "../ir/op-catalog.js" {
  interface OpCatalog {
    reduce_sum: ReduceAttrs;
    reduce_mean: ReduceAttrs;
    reduce_max: ReduceAttrs;
  }
}

/** The upstream gradient, reshaped to keepdims form and broadcast back over the reduced axes. */
function spread(ctx: GradContext, g: TensorValue, x: TensorValue, axes: readonly number[]): TensorValue {
  const kept = x.type.shape.map((d, i) => (axes.includes(i) ? Dim.const(1) : d));
  const reshaped = ctx.op("reshape", [g], { shape: kept });
  return ctx.op("broadcast_to", [reshaped], { shape: x.type.shape });
}

/**
 * The kernel: kept and reduced dims each coalesced where contiguous; each result's base offset from its kept
 * coordinates, each folded value's offset from its reduced ones. Sums accumulate in f32 (the CPU in float64).
 */
function emitReduce(k: KernelContext, axes: readonly number[], kind: "sum" | "mean" | "max"): void {
  const shape = k.inputs[0]!.shape;
  const groups = coalesce(shape, (d) => (axes.includes(d) ? 1 : 0));
  const kept = groups.get(0) ?? { sizes: [], strides: [] };
  const reduced = groups.get(1) ?? { sizes: [], strides: [] };
  const length = reduced.sizes.reduce((a, b) => a * b, 1);
  const type = k.scalar(k.output.dtype);
  emitReduction(k, {
    outputs: kept.sizes.reduce((a, b) => a * b, 1),
    length,
    type,
    init: kind === "max" ? lowest(type) : k.lit(0),
    combine: kind === "max" ? (acc, v) => `select(${acc}, ${v}, ${v} > ${acc})` : (acc, v) => `${acc} + ${v}`,
    prepare(w, o) {
      w.line(`let base = ${linear(coordinates(w, o, kept.sizes, "k"), kept.strides)};`);
      return "base";
    },
    load(w, base, r) {
      const offset = linear(coordinates(w, r, reduced.sizes, "q"), reduced.strides);
      return `${k.input(0)}[${base} + ${offset}]`;
    },
    ...(kind === "mean" ? { finish: (acc: string) => `${acc} / ${k.lit(length)}` } : {}),
  });
}

function reduce<N extends OpsWithAttrs<ReduceAttrs>>(name: N, init: number, combine: (acc: number, x: number) => number, finish: (acc: number, count: number) => number,
  vjp: (ctx: GradContext, attrs: ReduceAttrs) => TensorValue): OpDefOf<N> {
  return defineOp<N>({
    name,
    fusion: "reduce",
    arity: 1,
    shape([x], { axes, keepdims }) {
      if (name !== "reduce_max") {
        const err = requireFloat(name, x!);
        if (err) return err;
      }
      for (const a of axes) if (a < 0 || a >= x!.shape.length) return shapeError("axisRange", { op: name, axis: a, rank: x!.shape.length });
      const shape = keepdims
        ? x!.shape.map((d, i) => (axes.includes(i) ? Dim.const(1) : d))
        : x!.shape.filter((_, i) => !axes.includes(i));
      return { dtype: x!.dtype, shape };
    },
    reference([x], { axes }, ctx) {
      const { map, outSize } = reductionIndex(ctx.inputs[0]!.shape, axes);
      // Accumulate in float64 whatever the storage precision: the oracle should not add rounding of its own.
      const acc = new Float64Array(outSize).fill(init);
      for (let i = 0; i < x!.length; i++) acc[map[i]!] = combine(acc[map[i]!]!, x![i]!);
      const count = x!.length / Math.max(outSize, 1);
      const out = ctx.alloc(outSize);
      for (let i = 0; i < outSize; i++) out[i] = finish(acc[i]!, count);
      return out;
    },
    vjp: (ctx, attrs) => [vjp(ctx, attrs)],
    wgsl: { kind: "kernel", emit: (k, { axes }) => emitReduce(k, axes, name === "reduce_max" ? "max" : name === "reduce_mean" ? "mean" : "sum") },
  });
}

export const reduceSum = reduce("reduce_sum", 0, (a, x) => a + x, (a) => a, (ctx, { axes }) => spread(ctx, ctx.grad, ctx.inputs[0]!, axes));

export const reduceMean = reduce("reduce_mean", 0, (a, x) => a + x, (a, n) => a / n, (ctx, { axes }) => {
  const x = ctx.inputs[0]!;
  const count = product(axes.map((a) => x.type.shape[a]!));
  const c = count.constValue();
  const divisor = c !== undefined ? ctx.constant(c, x.type.dtype) : ctx.op("dim_size", [], { dim: count });
  return ctx.op("div", [spread(ctx, ctx.grad, x, axes), divisor]);
});

/** The gradient flows to the maxima, split evenly among ties (as PyTorch's amax). */
export const reduceMax = reduce("reduce_max", -Infinity, (a, x) => (x > a ? x : a), (a) => a, (ctx, { axes }) => {
  const x = ctx.inputs[0]!;
  const isMax = ctx.op("equal", [x, spread(ctx, ctx.output, x, axes)]);
  const ties = spread(ctx, ctx.op("reduce_sum", [isMax], { axes, keepdims: false }), x, axes);
  return ctx.op("div", [ctx.op("mul", [spread(ctx, ctx.grad, x, axes), isMax]), ties]);
});
