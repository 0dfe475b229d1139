// PyTorch's SGD with momentum (dampening 0, no Nesterov): v = momentum * v + g; p = p - lr * v.
import { defineOptimizer, lrDecay, nonNegative, positive } from "./define-optimizer.js";

export const sgd = defineOptimizer({
  name: "sgd",
  args: {
    lr: { range: positive },
    momentum: { default: 0, range: nonNegative },
    lr_decay: lrDecay,
  },
  slots: ["momentum_buffer"],
  // With momentum 0 the update is plain SGD and a buffer would only cost memory.
  slotsKept: (args) => (args.momentum === 0 ? [] : ["momentum_buffer"]),
  update({ math: { c, add, sub, mul }, args, lr, param, grad, state }) {
    const buf = state.momentum_buffer;
    if (!buf) return { param: sub(param, mul(lr, grad)), state: {} };
    // The buffer starts at zero, so the first step's v is g: PyTorch's clone of the first gradient.
    const v = add(mul(c(args.momentum), buf), grad);
    return { param: sub(param, mul(lr, v)), state: { momentum_buffer: v } };
  },
});
