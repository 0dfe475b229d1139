// Picks one entry of the last axis per row: x [..., C] and integer indices [...] -> [...] (cross-entropy's selection).
import { defineOp, shapeError } from "../ir/define-op.js";
import { formatType } from "../ir/types.js";
import { requireDtype } from "./shape-rules.js";

export const pick = defineOp({
  name: "pick",
  fusion: "injective",
  arity: 2,
  shape([x, index]) {
    const err = requireDtype("pick", index!, "i32", "indices");
    if (err) return err;
    const lead = x!.shape.slice(0, -1);
    const ok = x!.shape.length >= 1 && index!.shape.length === lead.length && lead.every((d, i) => d.equals(index!.shape[i]!));
    if (!ok) return shapeError("labelShape", { logits: formatType(x!), labels: formatType(index!) });
    return { dtype: x!.dtype, shape: lead };
  },
});
