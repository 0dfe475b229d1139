// A contiguous range [start, end) of one axis; bounds are resolved (no negatives) by the layer.
import { shapeError } from "../ir/define-op.js";
import { defineOp } from "./define-op.js";
import { formatType, type Dim } from "../ir/types.js";
import { copyAlongAxis, sizeOf, splitAt } from "../ir/host.js";
import { alongAxis, atAxis } from "../wgsl/indexing.js";
import { u32 } from "../wgsl/wgsl-values.js";

declare module "../ir/op-catalog.js" {
  interface OpCatalog {
    slice: { axis: number; start: Dim; end: Dim };
    pad_axis: { axis: number; start: Dim; size: Dim };
  }
}

export const slice = defineOp({
  name: "slice",
  fusion: "injective",
  arity: 1,
  shape([x], { axis, start, end }) {
    const rank = x!.shape.length;
    if (axis < 0 || axis >= rank) return shapeError("axisRange", { op: "slice", axis, rank });
    const size = x!.shape[axis]!;
    const len = end.sub(start);
    const s = start.constValue();
    const e = end.constValue();
    const n = size.constValue();
    const bad = (s !== undefined && s < 0) || (e !== undefined && n !== undefined && e > n) || (len.constValue() ?? 1) <= 0;
    if (bad) return shapeError("sliceRange", { start: start.toString(), end: end.toString(), size: size.toString() }, `axis ${axis} of input ${formatType(x!)}`);
    return { dtype: x!.dtype, shape: x!.shape.map((d, i) => (i === axis ? len : d)) };
  },
  reference([x], { axis, start }, ctx) {
    const inShape = ctx.inputs[0]!.shape;
    const out = ctx.alloc(sizeOf(ctx.output.shape));
    const { outer, inner } = splitAt(inShape, axis);
    const len = ctx.output.shape[axis]!;
    copyAlongAxis(x!, inShape[axis]!, ctx.dim(start), out, len, 0, len, outer, inner);
    return out;
  },
  wgsl: {
    kind: "kernel",
    emit(k, { axis, start }) {
      const inShape = k.inputs[0]!.shape;
      const { outer, inner } = splitAt(inShape, axis);
      const len = k.output.shape[axis]!;
      k.perElement(outer * len * inner, (w, i) => {
        const { o, a, r } = alongAxis(w, i, len, inner);
        w.line(`${k.out}[${i}] = ${k.input(0)}[${atAxis(o, `${a} + ${u32(k.dim(start))}`, r, inShape[axis]!, inner)}];`);
      });
    },
  },
  vjp: (ctx, { axis, start }) => [ctx.op("pad_axis", [ctx.grad], { axis, start, size: ctx.inputs[0]!.type.shape[axis]! })],
  // The same steps as the input, starting `start` elements further along the axis.
  view: ({ axis, start }, input, _inShape, _outShape, dim) => {
    const from = dim(start);
    const bounds = input.bounds?.map((b) => (b.dim === axis ? { ...b, lo: b.lo - from, hi: b.hi - from } : b));
    return { steps: input.steps, base: input.base + from * input.steps[axis]!, ...(bounds ? { bounds } : {}) };
  },
});

/** Zero-pads one axis to `size`, placing the input at `start` (the gradient of slice). */
export const padAxis = defineOp({
  name: "pad_axis",
  fusion: "injective",
  arity: 1,
  shape([x], { axis, start, size }) {
    if (axis < 0 || axis >= x!.shape.length) return shapeError("axisRange", { op: "pad_axis", axis, rank: x!.shape.length });
    const end = start.add(x!.shape[axis]!);
    const over = end.sub(size).constValue();
    if (over !== undefined && over > 0) return shapeError("sliceRange", { start: start.toString(), end: end.toString(), size: size.toString() });
    return { dtype: x!.dtype, shape: x!.shape.map((d, i) => (i === axis ? size : d)) };
  },
  reference([x], { axis, start }, ctx) {
    const inShape = ctx.inputs[0]!.shape;
    const out = ctx.alloc(sizeOf(ctx.output.shape));
    const { outer, inner } = splitAt(inShape, axis);
    copyAlongAxis(x!, inShape[axis]!, 0, out, ctx.output.shape[axis]!, ctx.dim(start), inShape[axis]!, outer, inner);
    return out;
  },
  wgsl: {
    kind: "kernel",
    emit(k, { axis, start }) {
      const inShape = k.inputs[0]!.shape;
      const { outer, inner } = splitAt(inShape, axis);
      const len = inShape[axis]!;
      const size = k.output.shape[axis]!;
      const from = k.dim(start);
      k.perElement(outer * size * inner, (w, i) => {
        const { o, a, r } = alongAxis(w, i, size, inner);
        w.line(`var v = ${k.lit(0)};`);
        w.block(`if (${a} >= ${u32(from)} && ${a} < ${u32(from + len)})`, () => {
          w.line(`v = ${k.input(0)}[${atAxis(o, `${a} - ${u32(from)}`, r, len, inner)}];`);
        });
        w.line(`${k.out}[${i}] = v;`);
      });
    },
  },
  vjp: (ctx, { axis, start }) => [ctx.op("slice", [ctx.grad], { axis, start, end: start.add(ctx.inputs[0]!.type.shape[axis]!) })],
  // The input's elements `start` further along the axis, zeros around them.
  view: ({ axis, start }, input, inShape, _outShape, dim) => {
    const from = dim(start);
    const bounds = (input.bounds ?? []).map((b) => (b.dim === axis ? { ...b, lo: b.lo + from, hi: b.hi + from } : b));
    bounds.push({ dim: axis, lo: from, hi: from + inShape[axis]! });
    return { steps: input.steps, base: input.base - from * input.steps[axis]!, bounds };
  },
});
