// The identity whose gradient is zero (JAX's lax.stop_gradient, PyTorch's detach): for terms that change no value of
// the loss's derivative, such as the maximum a stable softmax subtracts, so that autodiff spends no kernels on them.
// No vjp: the backward pass treats it like an integer-valued op and sends nothing through it.
import { defineOp } from "./define-op.js";
import type { NoAttrs } from "../ir/registry.js";

declare module "../ir/op-catalog.js" {
  interface OpCatalog {
    stop_gradient: NoAttrs;
  }
}

export const stopGradient = defineOp({
  name: "stop_gradient",
  fusion: "elementwise",
  arity: 1,
  shape: ([x]) => x!,
  reference([x], _, ctx) {
    const out = ctx.alloc(x!.length);
    out.set(x!);
    return out;
  },
  wgsl: { kind: "expression", expr: ([x]) => x! },
});
