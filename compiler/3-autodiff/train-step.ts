// One training step as one IR graph: forward, loss, backward, and the optimizer's update of every parameter, with
// optimizer state (momentum, Adam's moments, the step count) as named state tensors. The CPU executor runs it as is
// and the GPU backend compiles it whole, so no update logic lives outside the IR.
import { IRBuilder } from "../ir/builder.js";
import type { TensorValue } from "../2-check/values.js";
import type { Graph, Optimizer } from "../ir/graph.js";
import { buildBackward, valueOf } from "./build-backward.js";

/** The step counter's state name; it counts completed steps (0 before the first), as PyTorch's `state["step"]`. */
export const STEP_STATE = "optimizer.step";

export function buildTrainStep(forward: Graph, optimizer: Optimizer): Graph {
  const graph = buildBackward(forward);
  const b = new IRBuilder(graph);
  const state: NonNullable<Graph["state"]> = [];
  const updates: NonNullable<Graph["updates"]> = [];
  const stateTensor = (name: string, like: TensorValue, init = 0): TensorValue => {
    const v = b.op("state", [], { name, dtype: like.type.dtype, shape: like.type.shape }, undefined, name);
    state.push({ name, node: v.node, type: like.type, init });
    return v;
  };
  const c = (x: number) => b.constant(x);
  const mul = (x: TensorValue, y: TensorValue) => b.op("mul", [x, y]);
  const add = (x: TensorValue, y: TensorValue) => b.op("add", [x, y]);
  const sub = (x: TensorValue, y: TensorValue) => b.op("sub", [x, y]);
  const div = (x: TensorValue, y: TensorValue) => b.op("div", [x, y]);

  const stepState = b.op("state", [], { name: STEP_STATE, dtype: "f32", shape: [] }, undefined, STEP_STATE);
  state.push({ name: STEP_STATE, node: stepState.node, type: stepState.type, init: 0 });
  const t = add(stepState, c(1));
  updates.push({ name: STEP_STATE, node: t.node });
  const args = optimizer.args;
  // The rate of step t is lr * lr_decay^(t - 1): PyTorch's ExponentialLR(gamma = lr_decay) stepped after every
  // optimizer step. In the graph, so a resumed run continues the schedule from its saved step count.
  const decay = args["lr_decay"] ?? 1;
  const lr = decay === 1 ? c(args["lr"]!) : mul(c(args["lr"]!), b.op("pow", [c(decay), stepState]));

  // Bias corrections depend only on the step, so they are computed once per step, not per parameter.
  const adam = optimizer.name === "adam"
    ? {
        b1: args["beta1"]!, b2: args["beta2"]!, eps: args["eps"]!, wd: args["weight_decay"]!,
        correction1: sub(c(1), b.op("pow", [c(args["beta1"]!), t])),
        sqrtCorrection2: b.op("sqrt", [sub(c(1), b.op("pow", [c(args["beta2"]!), t]))]),
      }
    : undefined;

  graph.grads!.forEach(({ name, node }) => {
    const p = valueOf(graph.nodes[graph.params.find((q) => q.name === name)!.node]!);
    const g = valueOf(graph.nodes[node]!);
    let next: TensorValue;
    if (!adam) {
      // PyTorch SGD: v = momentum * v + g; p = p - lr * v (with momentum 0 this is plain SGD and keeps no state).
      const momentum = args["momentum"]!;
      let v = g;
      if (momentum !== 0) {
        const buf = stateTensor(`${name}.momentum_buffer`, p);
        v = add(mul(c(momentum), buf), g);
        updates.push({ name: `${name}.momentum_buffer`, node: v.node });
      }
      next = sub(p, mul(lr, v));
    } else {
      // PyTorch Adam/AdamW: m = b1 m + (1-b1) g; v = b2 v + (1-b2) g^2;
      // p = p (1 - lr wd) - (lr / (1 - b1^t)) m / (sqrt(v) / sqrt(1 - b2^t) + eps).
      const m0 = stateTensor(`${name}.exp_avg`, p);
      const v0 = stateTensor(`${name}.exp_avg_sq`, p);
      const m = add(mul(c(adam.b1), m0), mul(c(1 - adam.b1), g));
      const v = add(mul(c(adam.b2), v0), mul(c(1 - adam.b2), b.op("square", [g])));
      updates.push({ name: `${name}.exp_avg`, node: m.node }, { name: `${name}.exp_avg_sq`, node: v.node });
      const denom = add(div(b.op("sqrt", [v]), adam.sqrtCorrection2), c(adam.eps));
      const decayed = adam.wd === 0 ? p : decay === 1 ? mul(p, c(1 - args["lr"]! * adam.wd)) : mul(p, sub(c(1), mul(lr, c(adam.wd))));
      next = sub(decayed, mul(div(lr, adam.correction1), div(m, denom)));
    }
    updates.push({ name, node: next.node });
  });
  graph.state = state;
  graph.updates = updates;
  return graph;
}
