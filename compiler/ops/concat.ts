// Concatenation along one (normalized) axis; every other dim must agree.
import { defineOp, shapeError } from "../ir/define-op.js";
import { formatType } from "../ir/types.js";
import { Dim } from "../ir/types.js";
import { copyAlongAxis, sizeOf, splitAt } from "./host.js";
import { requireSameDtype } from "./shape-rules.js";

export const concat = defineOp<{ axis: number }>({
  name: "concat",
  fusion: "injective",
  arity: "variadic",
  shape(inputs, { axis }) {
    const first = inputs[0]!;
    const rank = first.shape.length;
    if (axis < 0 || axis >= rank) return shapeError("axisRange", { op: "concat", axis, rank });
    let size = first.shape[axis]!;
    for (let i = 1; i < inputs.length; i++) {
      const t = inputs[i]!;
      const dtypeErr = requireSameDtype("concat", first, t);
      if (dtypeErr) return dtypeErr;
      if (t.shape.length !== rank)
        return shapeError("concatMismatch", { axis, index: i, detail: `rank ${t.shape.length} vs ${rank}` }, `input 0 is ${formatType(first)}, input ${i} is ${formatType(t)}`);
      for (let d = 0; d < rank; d++) {
        if (d !== axis && !t.shape[d]!.equals(first.shape[d]!))
          return shapeError("concatMismatch", { axis, index: i, detail: `dim ${d}: ${first.shape[d]} vs ${t.shape[d]}` }, `input 0 is ${formatType(first)}, input ${i} is ${formatType(t)}`);
      }
      size = size.add(t.shape[axis]!);
    }
    return { dtype: first.dtype, shape: first.shape.map((d, i) => (i === axis ? size : d)) };
  },
  reference(inputs, { axis }, ctx) {
    const out = ctx.alloc(sizeOf(ctx.output.shape));
    const { outer, inner } = splitAt(ctx.output.shape, axis);
    let at = 0;
    inputs.forEach((x, i) => {
      const len = ctx.inputs[i]!.shape[axis]!;
      copyAlongAxis(x, len, 0, out, ctx.output.shape[axis]!, at, len, outer, inner);
      at += len;
    });
    return out;
  },
  vjp(ctx, { axis }) {
    let start = Dim.const(0);
    return ctx.inputs.map((x, i) => {
      const end = start.add(x.type.shape[axis]!);
      const g = ctx.needs(i) ? ctx.op("slice", [ctx.grad], { axis, start, end }) : undefined;
      start = end;
      return g;
    });
  },
});
