// Reverse-mode differentiation over the IR: from the scalar loss, every op's vjp appends gradient ops to the graph,
// in reverse topological order, summing the contributions of a value used several times. No closures, no tape:
// the backward pass is ordinary IR, so later phases fuse, plan and compile it like the forward pass.
import { IRBuilder } from "../ir/builder.js";
import type { TensorValue } from "../2-check/values.js";
import { Dim } from "../ir/dims.js";
import type { GradContext } from "../ir/define-op.js";
import type { Graph, IRNode, NodeId } from "../ir/graph.js";
import { getOp } from "../ir/registry.js";
import { formatType, isFloat, typesEqual, type TensorType } from "../ir/types.js";

export function valueOf(node: IRNode): TensorValue {
  return { kind: "tensor", type: node.type, node: node.id };
}

/** Sums `g` over the axes broadcasting stretched or prepended, then reshapes to `type`. */
export function sumTo(builder: IRBuilder, g: TensorValue, type: TensorType): TensorValue {
  if (typesEqual(g.type, type)) return g;
  const lead = g.type.shape.length - type.shape.length;
  const axes: number[] = [];
  g.type.shape.forEach((d, i) => {
    if (i < lead || (type.shape[i - lead]!.equals(Dim.const(1)) && !d.equals(Dim.const(1)))) axes.push(i);
  });
  const summed = axes.length ? builder.op("reduce_sum", [g], { axes, keepdims: true }) : g;
  return typesEqual(summed.type, type) ? summed : builder.op("reshape", [summed], { shape: type.shape });
}

/**
 * Returns a copy of `forward` extended with the backward pass; `grads` lists d loss / d param for every parameter
 * the loss depends on (a parameter it does not depend on gets an explicit zero gradient, as PyTorch leaves None).
 */
export function buildBackward(forward: Graph): Graph {
  if (forward.loss === undefined) throw new Error("internal: buildBackward needs a graph with a loss");
  const graph: Graph = { ...forward, nodes: [...forward.nodes], params: [...forward.params] };
  const builder = new IRBuilder(graph);
  const nodes = forward.nodes;

  // A value needs a gradient when a parameter flows into it and the loss depends on it.
  const fromParams = new Array<boolean>(nodes.length).fill(false);
  for (const n of nodes) {
    fromParams[n.id] = n.op === "param" || (isFloat(n.type.dtype) && getOp(n.op).vjp !== undefined && n.inputs.some((i) => fromParams[i]));
  }
  const toLoss = new Array<boolean>(nodes.length).fill(false);
  toLoss[forward.loss] = true;
  for (let id = forward.loss; id >= 0; id--) if (toLoss[id]) for (const i of nodes[id]!.inputs) toLoss[i] = true;
  const needed = (id: NodeId) => fromParams[id]! && toLoss[id]!;

  const grads = new Map<NodeId, TensorValue>();
  const accumulate = (id: NodeId, g: TensorValue) => {
    const expected = nodes[id]!.type;
    if (!typesEqual(g.type, expected))
      throw new Error(`internal: gradient for %${id} (${nodes[id]!.op}) is ${formatType(g.type)}, expected ${formatType(expected)}`);
    const prev = grads.get(id);
    grads.set(id, prev ? builder.op("add", [prev, g]) : g);
  };
  if (needed(forward.loss)) grads.set(forward.loss, builder.constant(1, nodes[forward.loss]!.type.dtype));

  for (let id = forward.loss; id >= 0; id--) {
    const node = nodes[id]!;
    const grad = grads.get(id);
    const def = getOp(node.op);
    if (!grad || !def.vjp || node.op === "param") continue;
    const ctx: GradContext = {
      inputs: node.inputs.map((i) => valueOf(nodes[i]!)),
      output: valueOf(node),
      grad,
      needs: (i) => needed(node.inputs[i]!),
      op: (name, inputs, ...attrs) => builder.relayOp(name, inputs, attrs, node.span),
      constant: (value, dtype = "f32") => builder.constant(value, dtype),
      sumTo: (g, type) => sumTo(builder, g, type),
    };
    const inputGrads = def.vjp(ctx, node.attrs);
    inputGrads.forEach((g, i) => {
      if (g && needed(node.inputs[i]!)) accumulate(node.inputs[i]!, g);
    });
  }

  graph.grads = forward.params.map((p) => {
    const g = grads.get(p.node);
    if (g) return { name: p.name, node: g.node };
    const zero = builder.op("broadcast_to", [builder.constant(0, p.type.dtype)], { shape: p.type.shape });
    return { name: p.name, node: zero.node };
  });
  return graph;
}
