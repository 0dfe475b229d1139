// Text and JSON views of a check result for the terminal.
import type { CompileResult } from "../compiler/index.js";
import { diagnosticToJson, renderAll, type JsonDiagnostic } from "../compiler/diagnostics/diagnostic.js";
import { LineIndex, type SourceFile } from "../compiler/diagnostics/span.js";
import type { Dim } from "../compiler/ir/dims.js";
import type { Graph } from "../compiler/ir/graph.js";
import { formatType, type TensorType } from "../compiler/ir/types.js";

export type JsonDim = number | string;
export interface JsonType {
  dtype: string;
  shape: JsonDim[];
}

export interface CheckJson {
  ok: boolean;
  diagnostics: JsonDiagnostic[];
  model: string | null;
  inputs: Record<string, JsonType>;
  outputs: Record<string, JsonType>;
  params: { name: string; dtype: string; shape: JsonDim[] }[];
  paramCount: number;
}

function jsonDim(d: Dim): JsonDim {
  return d.constValue() ?? d.toString();
}

function jsonType(t: TensorType): JsonType {
  return { dtype: t.dtype, shape: t.shape.map(jsonDim) };
}

export function paramCount(graph: Graph): number {
  return graph.params.reduce((sum, p) => sum + p.type.shape.reduce((n, d) => n * (d.constValue() ?? 0), 1), 0);
}

export function checkToJson(result: CompileResult, source: SourceFile): CheckJson {
  const index = new LineIndex(source.text);
  const graph = result.check?.graph;
  const ok = result.ok;
  return {
    ok,
    diagnostics: result.diagnostics.map((d) => diagnosticToJson(d, index)),
    model: result.check?.model ?? null,
    inputs: Object.fromEntries((graph?.inputs ?? []).map((i) => [i.name, jsonType(i.type)])),
    outputs: Object.fromEntries((graph?.outputs ?? []).map((o) => [o.name, jsonType(o.type)])),
    params: (graph?.params ?? []).map((p) => ({ name: p.name, ...jsonType(p.type) })),
    paramCount: graph ? paramCount(graph) : 0,
  };
}

const group = (n: number) => n.toLocaleString("en-US");

function table(rows: string[][], indent = "  "): string {
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, cell.length)));
  return rows
    .map((row) => indent + row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i]!))).join("  ").trimEnd())
    .join("\n");
}

/** The success report of `dlg check`: bindings with types, parameters with shapes and counts, the total. */
export function checkReport(result: CompileResult): string {
  const check = result.check!;
  const graph = check.graph;
  const out: string[] = [];
  const hp = check.hyperparameters.map((h) => `${h.name} = ${h.value.replace(/^\w+ = /, "")}`).join(", ");
  out.push(`model ${check.model}${hp ? ` (${hp})` : ""}`);
  out.push("");
  out.push("bindings");
  out.push(table(check.bindings.map((b) => [b.name, b.description + (b.repeated ? "  (last repeat)" : "")])));
  if (graph.outputs.length) {
    out.push("");
    out.push("outputs");
    out.push(table(graph.outputs.map((o) => [o.name, formatType(o.type)])));
  }
  if (graph.loss !== undefined) {
    out.push("");
    const opt = graph.optimizer ? `${graph.optimizer.name}(${Object.entries(graph.optimizer.args).map(([k, v]) => `${k}: ${v}`).join(", ")})` : "none";
    out.push(`training: loss ${formatType(graph.nodes[graph.loss]!.type)}, optimizer ${opt}`);
  }
  out.push("");
  out.push("parameters");
  if (graph.params.length === 0) out.push("  (none)");
  else
    out.push(
      table(graph.params.map((p) => [p.name, formatType(p.type), group(p.type.shape.reduce((n, d) => n * (d.constValue() ?? 0), 1)), p.init])),
    );
  out.push("");
  out.push(`total parameters: ${group(paramCount(graph))}`);
  if (graph.buffers?.length) {
    out.push("");
    out.push("state (not trained; updated by training steps, used by evaluation)");
    out.push(table(graph.buffers.map((b) => [b.name, formatType(b.type), `starts at ${b.init}`])));
  }
  return out.join("\n") + "\n";
}

export function diagnosticsText(result: CompileResult, source: SourceFile, color: boolean): string {
  if (result.diagnostics.length === 0) return "";
  const errors = result.diagnostics.filter((d) => d.severity === "error").length;
  const warnings = result.diagnostics.length - errors;
  const summary = [errors ? `${errors} error${errors === 1 ? "" : "s"}` : "", warnings ? `${warnings} warning${warnings === 1 ? "" : "s"}` : ""]
    .filter(Boolean)
    .join(", ");
  return `${renderAll(result.diagnostics, source, { color })}\n\n${summary} in ${source.path}\n`;
}

