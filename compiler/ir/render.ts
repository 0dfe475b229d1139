// The IR graph as Graphviz DOT or Mermaid text, for `dlg graph`.
import type { Graph, IRNode } from "./graph.js";
import { formatType } from "./types.js";

export type GraphFormat = "dot" | "mermaid";

function title(n: IRNode): string {
  if (n.op === "input") return `input ${n.label ?? ""}`.trim();
  if (n.op === "param") return `param ${n.label ?? ""}`.trim();
  if (n.op === "constant") return `constant ${String(n.attrs["value"])}`;
  return n.label ? `${n.op} (${n.label})` : n.op;
}

export function renderGraph(graph: Graph, name: string, format: GraphFormat): string {
  const outputs = new Map(graph.outputs.map((o) => [o.node, o.name]));
  return format === "dot" ? dot(graph, name, outputs) : mermaid(graph, outputs);
}

function dotString(s: string): string {
  return `"${s.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n")}"`;
}

function dot(graph: Graph, name: string, outputs: Map<number, string>): string {
  const lines = [`digraph ${dotString(name)} {`, "  rankdir=TB;", '  node [shape=box, style="rounded", fontname="Helvetica", fontsize=10];'];
  for (const n of graph.nodes) {
    const shape = n.op === "input" ? ", shape=ellipse" : n.op === "param" ? ", shape=note" : n.op === "constant" ? ", shape=plaintext" : "";
    const peripheries = outputs.has(n.id) || graph.loss === n.id ? ", peripheries=2" : "";
    lines.push(`  n${n.id} [label=${dotString(`${title(n)}\n${formatType(n.type)}`)}${shape}${peripheries}];`);
  }
  for (const n of graph.nodes) for (const i of n.inputs) lines.push(`  n${i} -> n${n.id};`);
  for (const [node, out] of outputs) lines.push(`  out_${node} [label=${dotString(`output ${out}`)}, shape=ellipse];`, `  n${node} -> out_${node};`);
  if (graph.loss !== undefined) lines.push(`  loss [label="loss", shape=ellipse];`, `  n${graph.loss} -> loss;`);
  lines.push("}");
  return lines.join("\n") + "\n";
}

/** Escapes each line and joins them with Mermaid's line break. */
function mermaidText(...lines: string[]): string {
  return `"${lines.map((s) => s.replace(/"/g, "#quot;").replace(/</g, "#lt;").replace(/>/g, "#gt;")).join("<br/>")}"`;
}

function mermaid(graph: Graph, outputs: Map<number, string>): string {
  const lines = ["flowchart TD"];
  for (const n of graph.nodes) {
    const text = mermaidText(title(n), formatType(n.type));
    const node = n.op === "input" ? `([${text}])` : n.op === "param" ? `[/${text}/]` : `[${text}]`;
    lines.push(`  n${n.id}${node}`);
  }
  for (const n of graph.nodes) for (const i of n.inputs) lines.push(`  n${i} --> n${n.id}`);
  for (const [node, out] of outputs) lines.push(`  out_${node}([${mermaidText(`output ${out}`)}])`, `  n${node} --> out_${node}`);
  if (graph.loss !== undefined) lines.push(`  loss(["loss"])`, `  n${graph.loss} --> loss`);
  return lines.join("\n") + "\n";
}
