// Row lookup: table [V, D] indexed by integer ids [...] -> [..., D] (embedding's forward).
import { defineOp } from "../ir/define-op.js";
import { requireDtype, requireRank } from "./shape-rules.js";

export const gather = defineOp({
  name: "gather",
  fusion: "injective",
  arity: 2,
  shape([table, ids]) {
    const err = requireRank("gather", table!, 2, "table [V, D]") ?? requireDtype("gather", ids!, "i32", "ids");
    if (err) return err;
    return { dtype: table!.dtype, shape: [...ids!.shape, table!.shape[1]!] };
  },
});
