// Inverted dropout's mask: in training each element is 0 with probability `rate` and 1/(1-rate) otherwise; outside
// training all ones. The layer multiplies by it, so the backward pass reuses the very mask the forward pass drew.
import { defineOp } from "../ir/define-op.js";
import type { Dim } from "../ir/types.js";

export const dropoutMask = defineOp<{ rate: number; shape: readonly Dim[] }>({
  name: "dropout_mask",
  fusion: "source",
  arity: 0,
  shape: (_, { shape }) => ({ dtype: "f32", shape }),
  reference(_, { rate }, ctx) {
    const out = ctx.alloc(ctx.output.shape.reduce((a, b) => a * b, 1));
    const keep = 1 / (1 - rate);
    for (let i = 0; i < out.length; i++) out[i] = !ctx.training || rate === 0 ? 1 : ctx.random() < rate ? 0 : keep;
    return out;
  },
});
