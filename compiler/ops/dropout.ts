// Inverted dropout: in training, zeroes each element with probability `rate` and scales the rest by 1/(1-rate).
import { defineOp } from "../ir/define-op.js";
import { requireFloat } from "./shape-rules.js";

export const dropout = defineOp<{ rate: number }>({
  name: "dropout",
  fusion: "elementwise",
  arity: 1,
  shape: ([x]) => requireFloat("dropout", x!) ?? x!,
});
