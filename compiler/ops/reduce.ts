// Reductions over a set of axes (already normalized to 0..rank-1, sorted), keeping them as size 1 when asked.
import { defineOp, shapeError, type OpDef } from "../ir/define-op.js";
import { Dim } from "../ir/types.js";
import { requireFloat } from "./shape-rules.js";

export interface ReduceAttrs {
  [key: string]: readonly number[] | boolean;
  axes: readonly number[];
  keepdims: boolean;
}

function reduce(name: string): OpDef<ReduceAttrs> {
  return defineOp<ReduceAttrs>({
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
  });
}

export const reduceSum = reduce("reduce_sum");
export const reduceMean = reduce("reduce_mean");
export const reduceMax = reduce("reduce_max");
