// Reshape to a fully resolved target shape (the layer resolves -1); element counts must agree symbolically.
import { shapeError } from "../ir/define-op.js";
import { defineOp } from "./define-op.js";
import { product } from "../ir/dims.js";
import { formatType, type Dim } from "../ir/types.js";
import { countOf, stridesOf } from "../wgsl/indexing.js";

declare module "../ir/op-catalog.js" {
  interface OpCatalog {
    reshape: { shape: readonly Dim[] };
  }
}

export const reshape = defineOp({
  name: "reshape",
  fusion: "injective",
  arity: 1,
  shape([x], { shape }) {
    const target = { dtype: x!.dtype, shape };
    if (!product(x!.shape).equals(product(shape))) return shapeError("reshapeCount", { from: formatType(x!), to: formatType(target) });
    return target;
  },
  reference([x], _, ctx) {
    const out = ctx.alloc(x!.length);
    out.set(x!);
    return out;
  },
  vjp: (ctx) => [ctx.op("reshape", [ctx.grad], { shape: ctx.inputs[0]!.type.shape })],
  view: (_, input, inShape, outShape) => {
    const strides = stridesOf(inShape);
    // Over a contiguous input a reshape keeps every element's linear position.
    if (!input.bounds?.length && inShape.every((size, d) => size === 1 || input.steps[d] === strides[d])) return { steps: stridesOf(outShape), base: input.base };
    // Over a strided view only adding or dropping size-1 dims keeps the map affine: the other dims keep their steps.
    const kept = input.steps.filter((_, d) => inShape[d] !== 1);
    if (kept.length !== outShape.filter((size) => size !== 1).length) return undefined;
    if (inShape.filter((size) => size !== 1).some((size, i) => size !== outShape.filter((o) => o !== 1)[i])) return undefined;
    // Bounds move with their dims; one on a dim of size 1 would have nowhere to go.
    if (input.bounds?.some((b) => inShape[b.dim] === 1)) return undefined;
    const newDim = new Map<number, number>();
    let next = 0;
    inShape.forEach((size, d) => {
      if (size === 1) return;
      while (outShape[next] === 1) next++;
      newDim.set(d, next++);
    });
    next = 0;
    const bounds = input.bounds?.map((b) => ({ ...b, dim: newDim.get(b.dim)! }));
    return { steps: outShape.map((size) => (size === 1 ? 0 : kept[next++]!)), base: input.base, ...(bounds ? { bounds } : {}) };
  },
  // Row-major data is unchanged by a reshape: a copy.
  wgsl: {
    kind: "kernel",
    emit(k) {
      k.perElement(countOf(k.output.shape), (w, i) => w.line(`${k.out}[${i}] = ${k.input(0)}[${i}];`));
    },
  },
});
