// Reshape to a fully resolved target shape (the layer resolves -1); element counts must agree symbolically.
import { shapeError } from "../ir/define-op.js";
import { defineOp } from "./define-op.js";
import { product } from "../ir/dims.js";
import { formatType, type Dim } from "../ir/types.js";
import { countOf } from "../wgsl/indexing.js";

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
  // Row-major data is unchanged by a reshape: a copy.
  wgsl: {
    kind: "kernel",
    emit(k) {
      k.perElement(countOf(k.output.shape), (w, i) => w.line(`${k.out}[${i}] = ${k.input(0)}[${i}];`));
    },
  },
});
