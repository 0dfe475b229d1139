// The IR graph as Graphviz DOT or Mermaid text, for `dlg graph`.
import type { Graph, IRNode } from "./graph.js";
import { formatType } from "./types.js";

export type GraphFormat = "dot" | "mermaid";

/** A kernel of a fused program: the nodes it computes (`dlg graph --fused` draws each kernel as one coloured box). */
export interface KernelGroup {
  nodes: readonly number[];
  /** The kernel's name in the picture (`matmul + add + relu`). */
  title: string;
}

/** A kernel's nodes as a group to draw, named by its ops in order (the first four, then how many more). */
export function kernelGroup(graph: Graph, nodes: readonly number[]): KernelGroup {
  const ops = [...new Set(nodes.map((n) => graph.nodes[n]!.op))];
  return { nodes, title: ops.length > 4 ? `${ops.slice(0, 4).join(" + ")} + ${ops.length - 4} more` : ops.join(" + ") };
}

export interface RenderOptions {
  kernels?: readonly KernelGroup[];
}

/** Fill colours that stay readable under black text, cycled over kernels (ColorBrewer Set3). */
const PALETTE = ["#8dd3c7", "#ffffb3", "#bebada", "#fb8072", "#80b1d3", "#fdb462", "#b3de69", "#fccde5", "#d9d9d9", "#bc80bd", "#ccebc5", "#ffed6f"];

export function kernelColor(index: number): string {
  return PALETTE[index % PALETTE.length]!;
}

function title(n: IRNode): string {
  if (n.op === "input") return `input ${n.label ?? ""}`.trim();
  if (n.op === "param") return `param ${n.label ?? ""}`.trim();
  if (n.op === "constant") return `constant ${String(n.attrs["value"])}`;
  return n.label ? `${n.op} (${n.label})` : n.op;
}

export function renderGraph(graph: Graph, name: string, format: GraphFormat, options: RenderOptions = {}): string {
  const outputs = new Map(graph.outputs.map((o) => [o.node, o.name]));
  return format === "dot" ? dot(graph, name, outputs, options.kernels) : mermaid(graph, outputs, options.kernels);
}

function dotString(s: string): string {
  return `"${s.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n")}"`;
}

function dot(graph: Graph, name: string, outputs: Map<number, string>, kernels: readonly KernelGroup[] | undefined): string {
  const lines = [`digraph ${dotString(name)} {`, "  rankdir=TB;", '  node [shape=box, style="rounded", fontname="Helvetica", fontsize=10];'];
  const kernelOf = new Map<number, number>();
  kernels?.forEach((k, i) => k.nodes.forEach((n) => kernelOf.set(n, i)));
  const node = (n: IRNode) => {
    const shape = n.op === "input" ? ", shape=ellipse" : n.op === "param" ? ", shape=note" : n.op === "constant" ? ", shape=plaintext" : "";
    const peripheries = outputs.has(n.id) || graph.loss === n.id ? ", peripheries=2" : "";
    const k = kernelOf.get(n.id);
    const fill = k === undefined ? "" : `, style="rounded,filled", fillcolor=${dotString(kernelColor(k))}`;
    return `n${n.id} [label=${dotString(`${title(n)}\n${formatType(n.type)}`)}${shape}${peripheries}${fill}];`;
  };
  for (const n of graph.nodes) if (!kernelOf.has(n.id)) lines.push(`  ${node(n)}`);
  kernels?.forEach((k, i) => {
    lines.push(`  subgraph cluster_k${i} {`, `    label=${dotString(`kernel ${i + 1}: ${k.title}`)}; fontname="Helvetica"; fontsize=9; style="rounded,dashed"; color=${dotString(kernelColor(i))};`);
    for (const id of k.nodes) lines.push(`    ${node(graph.nodes[id]!)}`);
    lines.push("  }");
  });
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

function mermaid(graph: Graph, outputs: Map<number, string>, kernels: readonly KernelGroup[] | undefined): string {
  const lines = ["flowchart TD"];
  const inKernel = new Set(kernels?.flatMap((k) => k.nodes) ?? []);
  const node = (n: IRNode) => {
    const text = mermaidText(title(n), formatType(n.type));
    return `n${n.id}${n.op === "input" ? `([${text}])` : n.op === "param" ? `[/${text}/]` : `[${text}]`}`;
  };
  for (const n of graph.nodes) if (!inKernel.has(n.id)) lines.push(`  ${node(n)}`);
  kernels?.forEach((k, i) => {
    lines.push(`  subgraph k${i}[${mermaidText(`kernel ${i + 1}: ${k.title}`)}]`);
    for (const id of k.nodes) lines.push(`    ${node(graph.nodes[id]!)}`);
    lines.push("  end", ...k.nodes.map((id) => `  style n${id} fill:${kernelColor(i)}`));
  });
  for (const n of graph.nodes) for (const i of n.inputs) lines.push(`  n${i} --> n${n.id}`);
  for (const [node, out] of outputs) lines.push(`  out_${node}([${mermaidText(`output ${out}`)}])`, `  n${node} --> out_${node}`);
  if (graph.loss !== undefined) lines.push(`  loss(["loss"])`, `  n${graph.loss} --> loss`);
  return lines.join("\n") + "\n";
}
