// Which model output and labels training scores accuracy on, from the classification losses the model called.
import type { Graph, NodeId } from "../ir/graph.js";
import type { CheckContext } from "./context.js";

/**
 * What training reports accuracy on: the first classification loss whose labels are a model input, and the model
 * output its class scores are (or are computed from, keeping their shape: a language model's `tokens` and `targets`
 * have the same shape, so the labels are never guessed from shapes).
 */
export function classifierOf(ctx: CheckContext, graph: Graph): Graph["classifier"] {
  for (const { scores, labels } of ctx.scored) {
    const label = graph.nodes[labels]!;
    if (label.op !== "input") continue;
    const ancestors = new Set<NodeId>();
    const stack = [scores];
    while (stack.length > 0) {
      const id = stack.pop()!;
      if (ancestors.has(id)) continue;
      ancestors.add(id);
      stack.push(...graph.nodes[id]!.inputs);
    }
    const type = graph.nodes[scores]!.type;
    const output = graph.outputs.find((o) => ancestors.has(o.node) && o.type.shape.length === type.shape.length && o.type.shape.every((d, i) => d.equals(type.shape[i]!)));
    if (output) return { output: output.name, labels: label.attrs["name"] as string };
  }
  return undefined;
}


/** Every input read as class indices by a classification loss with a known number of classes (see Graph). */
export function labelInputsOf(ctx: CheckContext, graph: Graph): NonNullable<Graph["labelInputs"]> {
  const found: NonNullable<Graph["labelInputs"]> = [];
  for (const { scores, labels } of ctx.scored) {
    const label = graph.nodes[labels]!;
    const classes = graph.nodes[scores]!.type.shape.at(-1)?.constValue();
    if (label.op !== "input" || classes === undefined) continue;
    const input = label.attrs["name"] as string;
    const known = found.find((f) => f.input === input);
    if (known) known.classes = Math.min(known.classes, classes);
    else found.push({ input, classes });
  }
  return found;
}
