// Converts between dtypes: floats to integers truncate toward zero, as in PyTorch.
import { defineOp } from "../ir/define-op.js";
import { isFloat, type DType } from "../ir/types.js";

export const cast = defineOp<{ dtype: DType }>({
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
  vjp: (ctx, { dtype }) => [isFloat(dtype) && isFloat(ctx.inputs[0]!.type.dtype) ? ctx.op("cast", [ctx.grad], { dtype: ctx.inputs[0]!.type.dtype }) : undefined],
});
