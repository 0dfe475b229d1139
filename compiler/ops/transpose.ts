// Axis permutation: output axis i is input axis perm[i].
import { defineOp, shapeError } from "../ir/define-op.js";
import { formatType } from "../ir/types.js";

export const transpose = defineOp<{ perm: readonly number[] }>({
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
});
