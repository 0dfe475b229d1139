// `dlg profile FILE --data SOURCE [--steps N]`: where a training step spends its GPU time, by `.dlg` line. The step is
// compiled as `dlg compile` compiles it; each kernel is timed by the device's timestamps (or, without them, submitted
// alone and timed on the host, which the report says), and attributed to the line of the node it is named after
// (a fused kernel lists every line its nodes come from; a gradient's line is the layer it differentiates; the
// optimizer's updates belong to the `train ... with` line).
import { compileModel, type ProgramDetails } from "../compiler/index.js";
import type { Graph } from "../compiler/ir/graph.js";
import { CompiledModel } from "../runtime/compiled-model.js";
import type { GpuContext } from "../runtime/device.js";
import type { KernelTimings } from "../runtime/gpu-program.js";
import type { HostTensor } from "../runtime/tensor.js";
import { selectRows } from "../runtime/data/dataset.js";
import { UsageError, type CliIO } from "./io.js";
import { checkOutputFile, writeOutputFile } from "./output-paths.js";
import { loadBoundData } from "./train-commands.js";
import { nodeDevice } from "../runtime/node/webgpu-node.js";
import type { AdapterChoice } from "../runtime/device.js";
import type { ReportSource } from "./report.js";
import { escapeHtml } from "./html.js";
import { LineIndex } from "../compiler/diagnostics/span.js";

export interface ProfileRow {
  line: number | null;
  text: string;
  /** Other lines the kernels' fused nodes come from. */
  also: number[];
  kernels: number;
  milliseconds: number;
  share: number;
  bytes: number;
  flops: number;
  /** Achieved rates: FLOP/s where the kernels compute matmuls or convolutions, else bytes/s. */
  gflops: number | null;
  gbytes: number;
}

export interface Profile {
  model: string;
  batch: number;
  steps: number;
  method: KernelTimings["method"];
  adapter: string;
  dispatches: number;
  stepMilliseconds: number;
  attributed: number;
  rows: ProfileRow[];
}

/** FLOPs of the matmuls and convolutions among a kernel's nodes (multiply-adds count two). */
function flopsOf(d: ProgramDetails, nodes: readonly number[]): number {
  let flops = 0;
  for (const id of nodes) {
    const node = d.graph.nodes[id]!;
    const out = d.plan.types[id]!.shape.reduce((a, b) => a * b, 1);
    if (node.op === "matmul") {
      const left = d.plan.types[node.inputs[0]!]!.shape;
      const transposed = (node.attrs as { transposeA?: boolean }).transposeA === true;
      flops += 2 * out * left[left.length - (transposed ? 2 : 1)]!;
    } else if (node.op === "conv2d") {
      const kernel = d.plan.types[node.inputs[1]!]!.shape;
      flops += 2 * out * kernel[0]! * kernel[1]! * kernel[2]!;
    }
  }
  return flops;
}

export async function profileModel(graph: Graph, model: string, source: ReportSource, train: Readonly<Record<string, HostTensor>>, options: { batch: number; steps: number; gpu: GpuContext }): Promise<Profile> {
  let details: ProgramDetails | undefined;
  const manifest = compileModel(graph, model, { batch: options.batch, varyBatch: false, limits: options.gpu.limits, inspect: (d) => void (d.kind === "train" && (details = d)) });
  if (!manifest.programs.train || !details) throw new Error(`internal: ${model} compiled without a training step`);
  const compiled = new CompiledModel(manifest, { gpu: options.gpu, seed: 0 });
  const rows = Object.values(train)[0]!.shape[0]!;
  const batchAt = (step: number) => {
    const idx = Int32Array.from({ length: options.batch }, (_, i) => (step * options.batch + i) % rows);
    return selectRows(train, idx);
  };
  const program = manifest.programs.train;
  let timings: KernelTimings;
  const total = new Array<number>(program.kernels.length).fill(0);
  try {
    await compiled.profileStep(batchAt(0)); // pipelines are created on first use
    for (let s = 0; s < options.steps; s++) {
      timings = await compiled.profileStep(batchAt(s + 1));
      timings.nanoseconds.forEach((ns, i) => (total[i]! += ns));
    }
  } finally {
    await compiled.destroy();
  }
  const d = details;
  const byLine = new Map<number | null, ProfileRow>();
  const index = new LineIndex(source.text);
  const lineOf = (offset: number) => index.position(offset).line;
  d.plan.kernels.forEach((k, i) => {
    const spanLines = [...new Set(k.nodes.flatMap((n) => (d.graph.nodes[n]!.span ? [lineOf(d.graph.nodes[n]!.span!.start)] : [])))].sort((a, b) => a - b);
    // The node whose emitter wrote the kernel (a matmul with its fused epilogue, say) says what the kernel is for;
    // else the node it is named after.
    const anchor = k.nodes.find((n) => d.graph.nodes[n]!.op === k.op && d.graph.nodes[n]!.span) ?? k.node;
    const span = d.graph.nodes[anchor]!.span;
    const line = span ? lineOf(span.start) : spanLines[0] ?? null;
    let row = byLine.get(line);
    if (!row) {
      row = { line, text: line === null ? "(no source line)" : index.lineText(line).trim(), also: [], kernels: 0, milliseconds: 0, share: 0, bytes: 0, flops: 0, gflops: null, gbytes: 0 };
      byLine.set(line, row);
    }
    row.kernels++;
    row.milliseconds += total[i]! / options.steps / 1e6;
    row.bytes += program.kernels[i]!.bindings.reduce((sum, b) => sum + program.buffers[b.buffer]!.bytes, 0);
    row.flops += flopsOf(d, k.nodes);
    for (const l of spanLines) if (l !== line && !row.also.includes(l)) row.also.push(l);
  });
  const stepMilliseconds = total.reduce((a, b) => a + b, 0) / options.steps / 1e6;
  const rowsOut = [...byLine.values()].sort((a, b) => b.milliseconds - a.milliseconds);
  for (const r of rowsOut) {
    r.share = stepMilliseconds > 0 ? r.milliseconds / stepMilliseconds : 0;
    r.also.sort((a, b) => a - b);
    const seconds = r.milliseconds / 1000;
    r.gflops = r.flops > 0 && seconds > 0 ? r.flops / seconds / 1e9 : null;
    r.gbytes = seconds > 0 ? r.bytes / seconds / 1e9 : 0;
  }
  const attributed = rowsOut.filter((r) => r.line !== null).reduce((a, r) => a + r.share, 0);
  return {
    model, batch: options.batch, steps: options.steps, method: timings!.method, adapter: options.gpu.adapter,
    dispatches: program.kernels.length, stepMilliseconds, attributed, rows: rowsOut,
  };
}

export function profileText(p: Profile, file: string): string {
  const out = [
    `${p.model}: training step at batch ${p.batch}, ${p.dispatches} dispatches, ${p.stepMilliseconds.toFixed(2)} ms of GPU time (mean of ${p.steps} steps; ${p.method === "timestamp-query" ? "device timestamps" : "no timestamp-query on this adapter: each kernel submitted alone and timed on the host, overhead included"})`,
    `  ${"time".padStart(9)}  ${"share".padStart(6)}  ${"kernels".padStart(7)}  ${"GFLOP/s".padStart(8)}  ${"GB/s".padStart(6)}  source`,
  ];
  for (const r of p.rows) {
    const where = r.line === null ? r.text : `${file}:${r.line}  ${r.text}${r.also.length ? `  (+ lines ${r.also.join(", ")})` : ""}`;
    out.push(`  ${`${r.milliseconds.toFixed(3)} ms`.padStart(9)}  ${`${(100 * r.share).toFixed(1)}%`.padStart(6)}  ${String(r.kernels).padStart(7)}  ${(r.gflops === null ? "-" : r.gflops.toFixed(2)).padStart(8)}  ${r.gbytes.toFixed(2).padStart(6)}  ${where}`);
  }
  out.push(`  ${(100 * p.attributed).toFixed(1)}% of the step's GPU time is attributed to .dlg lines; adapter ${p.adapter}`);
  return out.join("\n") + "\n";
}

function profileHtml(p: Profile, file: string): string {
  const rows = p.rows.map((r) => `<tr><td>${r.milliseconds.toFixed(3)} ms</td><td><div class="bar" style="width:${(100 * r.share).toFixed(1)}%"></div>${(100 * r.share).toFixed(1)}%</td><td>${r.kernels}</td><td>${r.gflops === null ? "-" : r.gflops.toFixed(2)}</td><td>${r.gbytes.toFixed(2)}</td><td>${r.line === null ? escapeHtml(r.text) : `${escapeHtml(file)}:${r.line} <code>${escapeHtml(r.text)}</code>${r.also.length ? ` <small>+ lines ${r.also.join(", ")}</small>` : ""}`}</td></tr>`);
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(p.model)}: dlg profile</title><link rel="icon" href="data:,">
<style>body{font-family:system-ui,sans-serif;margin:1.5rem auto;max-width:1100px}table{border-collapse:collapse}td,th{padding:.25rem .6rem;border-bottom:1px solid #eceef3;text-align:left}.bar{display:inline-block;height:.7rem;background:#2f5fc4;margin-right:.4rem;max-width:8rem}</style></head>
<body><h1>${escapeHtml(p.model)}: where a training step spends its time</h1>
<p>Batch ${p.batch}, ${p.dispatches} dispatches, ${p.stepMilliseconds.toFixed(2)} ms of GPU time per step (mean of ${p.steps}; ${p.method === "timestamp-query" ? "device timestamps" : "kernels submitted alone and timed on the host"}), ${escapeHtml(p.adapter)}. ${(100 * p.attributed).toFixed(1)}% attributed to .dlg lines.</p>
<table id="profile"><tr><th>time</th><th>share</th><th>kernels</th><th>GFLOP/s</th><th>GB/s</th><th>source</th></tr>
${rows.join("\n")}
</table></body></html>
`;
}

export async function writeProfileHtml(path: string, p: Profile, file: string): Promise<void> {
  await writeOutputFile(path, profileHtml(p, file));
}

export function printProfile(p: Profile, file: string, json: boolean, io: CliIO): void {
  io.stdout(json ? JSON.stringify(p) + "\n" : profileText(p, file));
}

export interface ProfileFlags {
  data: string;
  holdout?: number;
  testFile?: string;
  batch: number;
  steps: number;
  json: boolean;
  html?: string;
  adapter: AdapterChoice;
}

export async function profileCommand(graph: Graph, model: string, source: ReportSource, flags: ProfileFlags, io: CliIO): Promise<number> {
  if (graph.loss === undefined || !graph.optimizer) throw new UsageError(`profile: model ${model} has no \`train\` statement, so no training step to profile`);
  if (flags.html !== undefined) {
    if (!/\.html?$/i.test(flags.html)) throw new UsageError(`profile: --html ${flags.html}: the report is written as an .html file`);
    checkOutputFile("--html", flags.html, [{ path: source.path, role: "the model source" }]);
  }
  const data = await loadBoundData(graph, flags);
  const gpu = await nodeDevice(flags.adapter);
  const profile = await profileModel(graph, model, source, data.train, { batch: flags.batch, steps: flags.steps, gpu });
  const file = source.path.split("/").pop()!;
  printProfile(profile, file, flags.json, io);
  if (flags.html !== undefined) await writeProfileHtml(flags.html, profile, file);
  return 0;
}
