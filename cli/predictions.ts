// `dlg run -o FILE`: every evaluated row's outputs in row order (.csv or .safetensors), and for a classifier the
// confusion matrix with per-class precision and recall. Data without the loss's targets is predicted, not scored.
import type { Graph } from "../compiler/ir/graph.js";
import { argmax, classMetrics, softmaxRows, type ClassMetrics } from "../runtime/metrics.js";
import { hostTensor, sliceRows, type HostTensor } from "../runtime/tensor.js";
import type { Split, TrainableSession } from "../runtime/train.js";
import { UsageError } from "./io.js";

export { lossOnlyInputs } from "../compiler/ir/reachability.js";

export interface Predictions {
  rows: number;
  /** Each row's index in the source (0-based), when the rows are a subset of it. */
  sourceRows: Int32Array | undefined;
  /** The mean loss over the rows; undefined without targets or without a loss. */
  loss: number | undefined;
  /** Every model output, all rows, by output name. */
  outputs: Map<string, HostTensor>;
  classifier?: {
    output: string;
    classes: number;
    /** The argmax class of every scored position (row, or row and step for sequence outputs). */
    predicted: Int32Array;
    metrics?: ClassMetrics;
  };
}

/**
 * Runs the forward pass (evaluation mode) over `split` in batches and keeps every output. `missing` inputs (targets
 * the data lacks) are fed zeros: no output reads them, and the loss they give is not reported.
 */
export async function predict(session: TrainableSession, graph: Graph, split: Split, batch: number, missing: readonly string[], sourceRows: Int32Array | undefined): Promise<Predictions> {
  const names = graph.outputs.map((o) => o.name);
  const rows = Object.values(split)[0]?.shape[0] ?? 0;
  const parts = new Map<string, HostTensor[]>(names.map((n) => [n, []]));
  let lossSum = 0;
  let lossSeen = false;
  for (let start = 0; start < rows; start += batch) {
    const end = Math.min(rows, start + batch);
    const part: Record<string, HostTensor> = Object.fromEntries(Object.entries(split).map(([k, v]) => [k, sliceRows(v, start, end)]));
    for (const name of missing) {
      const input = graph.inputs.find((i) => i.name === name)!;
      part[name] = hostTensor(input.type.dtype === "i32" ? "i32" : "f32", input.type.shape.map((d, k) => (k === 0 ? end - start : d.constValue()!)));
    }
    const out = await session.evaluateBatch(part, names);
    if (out.loss !== undefined && missing.length === 0) {
      lossSum += out.loss * (end - start);
      lossSeen = true;
    }
    for (const name of names) {
      const t = out.outputs.get(name)!;
      parts.get(name)!.push(hostTensor("f32", [...t.shape], t.data));
    }
  }
  const outputs = new Map([...parts].map(([name, list]) => [name, concatRows(list, graph.outputs.find((o) => o.name === name)!.type.shape.length)]));
  const result: Predictions = { rows, sourceRows, loss: lossSeen ? lossSum / rows : undefined, outputs };
  const target = graph.classifier;
  if (target) {
    const scores = outputs.get(target.output)!;
    const classes = scores.shape[scores.shape.length - 1]!;
    const predicted = new Int32Array(scores.data.length / classes);
    for (let i = 0; i < predicted.length; i++) predicted[i] = argmax(scores.data, i * classes, classes);
    const labels = missing.includes(target.labels) ? undefined : split[target.labels];
    result.classifier = { output: target.output, classes, predicted, ...(labels ? { metrics: classMetrics(predicted, labels.data, classes) } : {}) };
  }
  return result;
}

function concatRows(list: readonly HostTensor[], rank: number): HostTensor {
  const rest = list[0]?.shape.slice(1) ?? [];
  const rows = list.reduce((n, t) => n + (t.shape[0] ?? 1), 0);
  const data = new Float32Array(list.reduce((n, t) => n + t.data.length, 0));
  let at = 0;
  for (const t of list) {
    data.set(t.data, at);
    at += t.data.length;
  }
  return hostTensor("f32", rank === 0 ? [] : [rows, ...rest], data);
}

/** The safetensors form: one tensor per model output, named like it, rows in order. */
export function predictionTensors(p: Predictions): Map<string, HostTensor> {
  return new Map(p.outputs);
}

/** The shortest decimal that reads back as the same float32. */
function csvNumber(v: number): string {
  if (!Number.isFinite(v) || Number.isInteger(v)) return String(v);
  const want = Math.fround(v);
  for (let digits = 1; digits < 9; digits++) {
    const text = v.toPrecision(digits);
    if (Math.fround(Number(text)) === want) return String(Number(text));
  }
  return String(Number(v.toPrecision(9)));
}

/**
 * The CSV form, one line per row: `row` (its 0-based index in the source), then for a classifier with one score
 * vector per row `predicted` and `p_<class>` (softmax of the scores); otherwise each output's elements flattened,
 * `name` for one value per row, `name[i]` / `name[i,j]` for more, and `predicted[t]` for a per-step classifier.
 */
export function predictionsCsv(p: Predictions): string {
  const header = ["row"];
  const columns: ((row: number) => string[])[] = [];
  const perRowClassifier = p.classifier && p.outputs.get(p.classifier.output)!.shape.length === 2;
  if (p.classifier && perRowClassifier) {
    const { classes, predicted, output } = p.classifier;
    const probabilities = softmaxRows(p.outputs.get(output)!.data, classes);
    header.push("predicted", ...Array.from({ length: classes }, (_, c) => `p_${c}`));
    columns.push((r) => [String(predicted[r]), ...Array.from(probabilities.subarray(r * classes, (r + 1) * classes), csvNumber)]);
  }
  for (const [name, t] of p.outputs) {
    if (perRowClassifier && name === p.classifier!.output) continue;
    if (t.shape.length === 0) throw new UsageError(`output \`${name}\` is a scalar, not one value per row; write it with -o FILE.safetensors`);
    const rest = t.shape.slice(1);
    const size = rest.reduce((a, b) => a * b, 1);
    const labels = rest.length === 0 ? [name] : Array.from({ length: size }, (_, i) => `${name}[${unravel(i, rest).join(",")}]`);
    header.push(...labels.map(csvField));
    columns.push((r) => Array.from(t.data.subarray(r * size, (r + 1) * size), csvNumber));
    if (p.classifier && name === p.classifier.output) {
      const steps = p.classifier.predicted.length / p.rows;
      header.push(...Array.from({ length: steps }, (_, s) => csvField(`predicted[${s}]`)));
      columns.push((r) => Array.from(p.classifier!.predicted.subarray(r * steps, (r + 1) * steps), String));
    }
  }
  const lines = [header.join(",")];
  for (let r = 0; r < p.rows; r++) lines.push([String(p.sourceRows ? p.sourceRows[r] : r), ...columns.flatMap((c) => c(r))].join(","));
  return lines.join("\n") + "\n";
}

function unravel(index: number, shape: readonly number[]): number[] {
  const out = new Array<number>(shape.length);
  for (let k = shape.length - 1; k >= 0; k--) {
    out[k] = index % shape[k]!;
    index = Math.floor(index / shape[k]!);
  }
  return out;
}

/** RFC 4180: a field with a comma or quote is quoted, quotes doubled. */
function csvField(text: string): string {
  return /[",\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** The confusion matrix (true class down, predicted across) and a per-class table; long ones are left to --json. */
export function metricsText(m: ClassMetrics, maxClasses = 20): string {
  if (m.classes > maxClasses) return `  (${m.classes} classes: the confusion matrix and per-class figures are in --json)\n`;
  const width = Math.max(5, ...m.confusion.flat().map((n) => String(n).length + 1));
  const pad = (s: string | number) => String(s).padStart(width);
  const lines = [`  confusion matrix (rows: true class, columns: predicted)`, `  ${pad("")}${m.confusion.map((_, c) => pad(c)).join("")}`];
  m.confusion.forEach((row, t) => lines.push(`  ${pad(t)}${row.map(pad).join("")}`));
  lines.push(`  class  precision  recall  support`);
  for (let c = 0; c < m.classes; c++)
    lines.push(`  ${String(c).padStart(5)}  ${(100 * m.precision[c]!).toFixed(1).padStart(8)}%  ${(100 * m.recall[c]!).toFixed(1).padStart(5)}%  ${String(m.support[c]).padStart(7)}`);
  return lines.join("\n") + "\n";
}
