// IR invariants: topological order, known ops, arity, and every node's type equal to what its shape rule says.
import { isShapeError } from "./define-op.js";
import type { Graph } from "./graph.js";
import { registry } from "./registry.js";
import { formatType, typesEqual } from "./types.js";

export function verifyGraph(graph: Graph): string[] {
  const problems: string[] = [];
  graph.nodes.forEach((n, index) => {
    if (n.id !== index) problems.push(`%${n.id}: id does not match its position ${index}`);
    const def = registry.get(n.op);
    if (!def) {
      problems.push(`%${n.id}: unknown op ${n.op}`);
      return;
    }
    if (def.arity !== "variadic" && def.arity !== n.inputs.length) problems.push(`%${n.id}: ${n.op} takes ${def.arity} inputs, has ${n.inputs.length}`);
    for (const i of n.inputs) if (!(i >= 0 && i < index)) problems.push(`%${n.id}: input %${i} does not precede it`);
    if (problems.length > 0) return;
    const expected = def.shape(n.inputs.map((i) => graph.nodes[i]!.type), n.attrs);
    if (isShapeError(expected)) problems.push(`%${n.id}: ${n.op} shape rule rejects its inputs (${expected.key})`);
    else if (!typesEqual(expected, n.type)) problems.push(`%${n.id}: type ${formatType(n.type)} but the shape rule gives ${formatType(expected)}`);
  });
  for (const o of graph.outputs) if (!graph.nodes[o.node]) problems.push(`output ${o.name}: no node %${o.node}`);
  return problems;
}
