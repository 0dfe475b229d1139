// Converts between dtypes: floats to integers truncate toward zero, as in PyTorch.
import { defineOp } from "./define-op.js";
import { isFloat, type DType } from "../ir/types.js";

declare module "../ir/op-catalog.js" {
  interface OpCatalog {
    cast: { dtype: DType };
  }
}

export const cast = defineOp({
  name: "cast",
  fusion: "elementwise",
  arity: 1,
  shape: ([x], { dtype }) => ({ dtype, shape: x!.shape }),
  reference([x], { dtype }, ctx) {
    const out = ctx.alloc(x!.length);
    for (let i = 0; i < x!.length; i++) out[i] = dtype === "i32" ? Math.trunc(x![i]!) : x![i]!;
    return out;
  },
  // Only a float-to-float cast passes a gradient; an integer result is piecewise constant.
  // WGSL's f32 -> i32 conversion truncates toward zero as Math.trunc does (it saturates where the CPU wraps, past 2^31).
  wgsl: {
    kind: "expression",
    expr: ([x], { dtype }, ctx) => (ctx.scalar(dtype) === ctx.scalar(ctx.inputs[0]!.dtype) ? x! : `${ctx.scalar(dtype)}(${x})`),
  },
  vjp: (ctx, { dtype }) => [isFloat(dtype) && isFloat(ctx.inputs[0]!.type.dtype) ? ctx.op("cast", [ctx.grad], { dtype: ctx.inputs[0]!.type.dtype }) : undefined],
});
