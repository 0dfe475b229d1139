// Converts between dtypes (integers to floats truncate toward zero the other way, as in PyTorch).
import { defineOp } from "../ir/define-op.js";
import type { DType } from "../ir/types.js";

export const cast = defineOp<{ dtype: DType }>({
  name: "cast",
  fusion: "elementwise",
  arity: 1,
  shape: ([x], { dtype }) => ({ dtype, shape: x!.shape }),
});
