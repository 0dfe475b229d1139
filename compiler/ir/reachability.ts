// Which nodes the model's outputs depend on (the inference graph within a graph that also computes a loss), and where
// the sizes of its symbolic dims can be read at run time.
import type { Graph, NodeId } from "./graph.js";

/** Every node some output of `graph` reads, directly or not (the outputs included). */
export function outputAncestors(graph: Graph): Set<NodeId> {
  const needed = new Set<NodeId>();
  const stack = graph.outputs.map((o) => o.node);
  while (stack.length > 0) {
    const id = stack.pop()!;
    if (needed.has(id)) continue;
    needed.add(id);
    stack.push(...graph.nodes[id]!.inputs);
  }
  return needed;
}

/** Inputs no output depends on (a loss's labels or targets): data for inference may leave them out. */
export function lossOnlyInputs(graph: Graph): string[] {
  const needed = outputAncestors(graph);
  return graph.inputs.filter((i) => !needed.has(i.node)).map((i) => i.name);
}

/** For each symbol that is a whole dim of an input (`N` in `x: f32[N, 4]`): the first input and axis holding it. */
export function inputDimSources(graph: Graph, inputs: Iterable<Graph["inputs"][number]> = graph.inputs): Map<string, { input: string; axis: number }> {
  const out = new Map<string, { input: string; axis: number }>();
  for (const input of inputs) {
    input.type.shape.forEach((d, axis) => {
      const a = d.affine();
      if (a && a.coef === 1 && a.rest === 0 && !out.has(a.symbol)) out.set(a.symbol, { input: input.name, axis });
    });
  }
  return out;
}
