// Inverted dropout's mask: in training each element is 0 with probability `rate` and 1/(1-rate) otherwise; outside
// training all ones. The layer multiplies by it, so the backward pass reuses the very mask the forward pass drew.
import { defineOp } from "./define-op.js";
import type { Dim } from "../ir/types.js";
import { countOf } from "../wgsl/indexing.js";

declare module "../ir/op-catalog.js" {
  interface OpCatalog {
    dropout_mask: { rate: number; shape: readonly Dim[] };
  }
}

export const dropoutMask = defineOp({
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
  // The drop decisions come from the runtime, drawn from the session's seeded stream exactly as the reference draws
  // them (one uniform per element, in order), packed one bit per element.
  wgsl: {
    kind: "kernel",
    emit(k, { rate }) {
      const n = countOf(k.output.shape);
      if (!k.training || rate === 0) {
        k.perElement(n, (w, i) => w.line(`${k.out}[${i}] = 1.0;`));
        return;
      }
      const bits = k.randomBits(rate);
      k.perElement(n, (w, i) => {
        w.line(`let dropped = ((${bits}[${i} / 32u] >> (${i} % 32u)) & 1u) == 1u;`);
        w.line(`${k.out}[${i}] = select(${k.lit(1 / (1 - rate))}, 0.0, dropped);`);
      });
    },
  },
});
