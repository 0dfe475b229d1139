// A stable text form of the IR, for --dump-ir and golden tests.
import { Dim } from "./dims.js";
import type { AttrValue } from "./define-op.js";
import type { Graph } from "./graph.js";
import { formatType } from "./types.js";

function formatAttr(v: AttrValue): string {
  if (v instanceof Dim) return v.toString();
  if (Array.isArray(v)) return `[${(v as readonly (number | Dim)[]).map((x) => x.toString()).join(", ")}]`;
  return typeof v === "string" ? JSON.stringify(v) : String(v);
}

export function printGraph(graph: Graph): string {
  const lines: string[] = [];
  for (const n of graph.nodes) {
    const attrs = Object.entries(n.attrs)
      .filter(([k]) => !(n.op === "input" || n.op === "param") || (k !== "dtype" && k !== "shape"))
      .map(([k, v]) => `${k}=${formatAttr(v)}`);
    const args = n.inputs.map((i) => `%${i}`).join(", ");
    const attrText = attrs.length ? ` {${attrs.join(", ")}}` : "";
    const label = n.label ? `  # ${n.label}` : "";
    lines.push(`%${n.id} = ${n.op}(${args})${attrText} : ${formatType(n.type)}${label}`);
  }
  for (const o of graph.outputs) lines.push(`output ${o.name} = %${o.node}`);
  if (graph.loss !== undefined) lines.push(`loss = %${graph.loss}`);
  if (graph.optimizer) {
    const args = Object.entries(graph.optimizer.args).map(([k, v]) => `${k}=${v}`).join(", ");
    lines.push(`optimizer ${graph.optimizer.name}(${args})`);
  }
  return lines.join("\n") + "\n";
}
