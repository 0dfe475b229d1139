// PyTorch's Adam, and AdamW when weight_decay > 0 (decoupled decay, applied to the parameter before the step):
// m = b1 m + (1 - b1) g; v = b2 v + (1 - b2) g^2;
// p = p (1 - lr wd) - (lr / (1 - b1^t)) m / (sqrt(v) / sqrt(1 - b2^t) + eps).
import { defineOptimizer, lrDecay, nonNegative, positive, unitInterval } from "./define-optimizer.js";

export const adam = defineOptimizer({
  name: "adam",
  args: {
    lr: { default: 1e-3, range: positive },
    beta1: { default: 0.9, range: unitInterval },
    beta2: { default: 0.999, range: unitInterval },
    eps: { default: 1e-8, range: positive },
    weight_decay: { default: 0, range: nonNegative },
    lr_decay: lrDecay,
  },
  slots: ["exp_avg", "exp_avg_sq"],
  // The bias corrections depend only on the step.
  perStep: ({ math: { c, sub, pow, sqrt }, args, t }) => ({
    correction1: sub(c(1), pow(c(args.beta1), t)),
    sqrtCorrection2: sqrt(sub(c(1), pow(c(args.beta2), t))),
  }),
  update({ math: { c, add, sub, mul, div, sqrt, square }, args, lr, fixedLr, param, grad, state }, { correction1, sqrtCorrection2 }) {
    const { beta1: b1, beta2: b2, eps, weight_decay: wd } = args;
    const m = add(mul(c(b1), state.exp_avg!), mul(c(1 - b1), grad));
    const v = add(mul(c(b2), state.exp_avg_sq!), mul(c(1 - b2), square(grad)));
    const denom = add(div(sqrt(v), sqrtCorrection2), c(eps));
    const decayed = wd === 0 ? param : fixedLr !== undefined ? mul(param, c(1 - fixedLr * wd)) : mul(param, sub(c(1), mul(lr, c(wd))));
    return { param: sub(decayed, mul(div(lr, correction1), div(m, denom))), state: { exp_avg: m, exp_avg_sq: v } };
  },
});
