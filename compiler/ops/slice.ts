// A contiguous range [start, end) of one axis; bounds are resolved (no negatives) by the layer.
import { defineOp, shapeError } from "../ir/define-op.js";
import { formatType, type Dim } from "../ir/types.js";

export const slice = defineOp<{ axis: number; start: Dim; end: Dim }>({
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
});
