// Axis permutation: output axis i is input axis perm[i].
import { shapeError } from "../ir/define-op.js";
import { defineOp } from "./define-op.js";
import { formatType } from "../ir/types.js";
import { offsetsOver, stridesOf } from "../ir/host.js";
import { coordinates, countOf, linear } from "../wgsl/indexing.js";

declare module "../ir/op-catalog.js" {
  interface OpCatalog {
    transpose: { perm: readonly number[] };
  }
}

export const transpose = defineOp({
  name: "transpose",
  fusion: "injective",
  arity: 1,
  shape([x], { perm }) {
    const rank = x!.shape.length;
    const seen = new Set(perm);
    if (perm.length !== rank || seen.size !== rank || perm.some((p) => !Number.isInteger(p) || p < 0 || p >= rank))
      return shapeError("badPermutation", { perm: `[${perm.join(", ")}]`, rank }, `input is ${formatType(x!)}`);
    return { dtype: x!.dtype, shape: perm.map((p) => x!.shape[p]!) };
  },
  reference([x], { perm }, ctx) {
    const inStrides = stridesOf(ctx.inputs[0]!.shape);
    const from = offsetsOver(ctx.output.shape, perm.map((p) => inStrides[p]!));
    const out = ctx.alloc(from.length);
    for (let i = 0; i < from.length; i++) out[i] = x![from[i]!]!;
    return out;
  },
  wgsl: {
    kind: "kernel",
    emit(k, { perm }) {
      const outShape = k.output.shape;
      const inStrides = stridesOf(k.inputs[0]!.shape);
      k.perElement(countOf(outShape), (w, i) => {
        const c = coordinates(w, i, outShape, "c");
        w.line(`${k.out}[${i}] = ${k.input(0)}[${linear(c, perm.map((p) => inStrides[p]!))}];`);
      });
    },
  },
  vjp(ctx, { perm }) {
    const inverse = new Array<number>(perm.length);
    perm.forEach((p, i) => (inverse[p] = i));
    return [ctx.op("transpose", [ctx.grad], { perm: inverse })];
  },
});
