// One training step as one IR graph: forward, loss, backward, and the optimizer's update of every parameter, with
// optimizer state (its slots per parameter, the step count) as named state tensors. The CPU executor runs it as is
// and the GPU backend compiles it whole, so no update logic lives outside the IR. What an optimizer computes is its
// definition's (compiler/optimizers); the step counter and the learning-rate schedule are built here, for all of them.
import { IRBuilder } from "../ir/builder.js";
import type { Graph, Optimizer } from "../ir/graph.js";
import type { TensorValue } from "../ir/value.js";
import { irMath, optimizerDefinition, stateName, STEP_STATE, type StepContext } from "../optimizers/index.js";
import { buildBackward, valueOf } from "./build-backward.js";

export function buildTrainStep(forward: Graph, optimizer: Optimizer): Graph {
  const def = optimizerDefinition(optimizer.name);
  const graph = buildBackward(forward);
  const firstUpdateNode = graph.nodes.length;
  const b = new IRBuilder(graph);
  const math = irMath(b);
  const state: NonNullable<Graph["state"]> = [];
  const updates: NonNullable<Graph["updates"]> = [];
  const stateTensor = (name: string, like: TensorValue): TensorValue => {
    const v = b.op("state", [], { name, dtype: like.type.dtype, shape: like.type.shape }, undefined, name);
    state.push({ name, node: v.node, type: like.type, init: 0 });
    return v;
  };

  const stepState = b.op("state", [], { name: STEP_STATE, dtype: "f32", shape: [] }, undefined, STEP_STATE);
  state.push({ name: STEP_STATE, node: stepState.node, type: stepState.type, init: 0 });
  const t = math.add(stepState, math.c(1));
  updates.push({ name: STEP_STATE, node: t.node });
  const args = { ...optimizer.args, lr: optimizer.args["lr"]!, lr_decay: optimizer.args["lr_decay"] ?? 1 };
  // The rate of step t is lr * lr_decay^(t - 1): PyTorch's ExponentialLR(gamma = lr_decay) stepped after every
  // optimizer step. In the graph, so a resumed run continues the schedule from its saved step count.
  const fixedLr = args.lr_decay === 1 ? args.lr : undefined;
  const lr = fixedLr !== undefined ? math.c(fixedLr) : math.mul(math.c(args.lr), math.pow(math.c(args.lr_decay), stepState));
  const step: StepContext<string> = { math, args, t, lr, fixedLr };
  const perStep = def.perStep?.(step);
  const kept = def.slotsKept?.(args) ?? def.slots;

  graph.grads!.forEach(({ name, node }) => {
    const param = valueOf(graph.nodes[graph.params.find((q) => q.name === name)!.node]!);
    const grad = valueOf(graph.nodes[node]!);
    const before = Object.fromEntries(kept.map((slot) => [slot, stateTensor(stateName(name, slot), param)]));
    const next = def.update({ ...step, param, grad, state: before }, perStep);
    for (const slot of kept) {
      const value = next.state[slot];
      if (!value) throw new Error(`internal: optimizer ${def.name} gave no update of its state slot ${slot}`);
      updates.push({ name: stateName(name, slot), node: value.node });
    }
    updates.push({ name, node: next.param.node });
  });
  // Running statistics: read as state, replaced by the value this step's batch gives them.
  for (const buffer of graph.buffers ?? []) {
    if (buffer.update === undefined) throw new Error(`internal: buffer ${buffer.name} has no update in a training graph`);
    state.push({ name: buffer.name, node: buffer.node, type: buffer.type, init: buffer.init });
    updates.push({ name: buffer.name, node: buffer.update });
  }
  graph.state = state;
  graph.updates = updates;
  // The update arithmetic comes from the optimizer call: located there for profiles and reports.
  if (optimizer.span) for (const node of graph.nodes.slice(firstUpdateNode)) node.span ??= optimizer.span;
  return graph;
}
