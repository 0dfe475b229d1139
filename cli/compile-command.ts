// `dlg compile FILE --batch N -o DIR`: a model's forward program and training step as WGSL files and a manifest.json
// that the runtime loads without the compiler (runtime/compiled-model.ts), and a report of what a step costs.
import { compileModel, type ProgramDetails } from "../compiler/index.js";
import { graphviz } from "./graphviz.js";
import { compileReportHtml, type ReportSource } from "./report.js";
import type { Graph, Optimizer } from "../compiler/ir/graph.js";
import type { ModelManifest, ProgramManifest } from "../runtime/manifest.js";
import { foreignContent, MANIFEST_FILE, OutputDirError, writeCompiledDir } from "../runtime/node/compiled-dir.js";
import type { CliIO } from "./io.js";
import { writeOutputFile } from "./output-paths.js";
import { PAGE_FILE, PAGE_SCRIPT, PAGE_WEIGHTS, pageAssets } from "./web-page.js";

export interface CompileFlags {
  batch: number;
  out: string;
  /** Add the web page (`--web DIR`): its files, a checkpoint it loads at start (already checked), its seed. */
  web?: { weights?: Uint8Array; seed: number };
  fuse: boolean;
  json: boolean;
  /** Programs for exactly `batch` rows (`--fixed-batch`), not for any batch up to it. */
  varyBatch?: boolean;
  optimizer?: Optimizer;
  /** `--report FILE.html`, with the source it names lines of. */
  report?: { path: string; source: ReportSource };
  /** `--dim` values, recorded in the manifest as fixed dims. */
  fixedDims?: Record<string, number>;
}

export interface ProgramReport {
  kernels: number;
  dispatches: number;
  peakBytes: number;
  unplannedBytes: number;
}

export interface CompileReport {
  model: string;
  batch: number;
  dir: string;
  forward: ProgramReport;
  train: ProgramReport | null;
  paramBytes: number;
  wgslFiles: number;
  /** The dims the artifacts fix and those that vary (the batch, up to its maximum), as the manifest records them. */
  dims: NonNullable<ModelManifest["dims"]>;
  /** With --web: the page's runtime bundle and its size, and whether it loads weights at start. */
  page?: { script: string; scriptBytes: number; weights: boolean };
}

function reportOf(p: ProgramManifest): ProgramReport {
  return { kernels: p.kernels.length, dispatches: p.kernels.length, peakBytes: p.peakBytes, unplannedBytes: p.unplannedBytes };
}

const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(2)} MiB`;

/** `007-fused-matmul-add-relu.wgsl`: numbered by first use, named after the kernel's title comment. */
function fileName(index: number, wgsl: string): string {
  const title = /^\/\/ (.*?)(?: ->|$)/m.exec(wgsl)?.[1] ?? "kernel";
  const slug = title.toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-|-$/g, "").slice(0, 60) || "kernel";
  return `${String(index).padStart(3, "0")}-${slug}.wgsl`;
}

/** Moves each kernel's WGSL into a file of its own (one per distinct text) and returns the files to write. */
function splitKernels(manifest: ModelManifest): Map<string, string> {
  const files = new Map<string, string>();
  const fileOf = new Map<string, string>();
  for (const program of [manifest.programs.forward, manifest.programs.train]) {
    for (const k of program?.kernels ?? []) {
      const wgsl = k.wgsl!;
      let file = fileOf.get(wgsl);
      if (!file) {
        file = `kernels/${fileName(fileOf.size, wgsl)}`;
        fileOf.set(wgsl, file);
        files.set(file, wgsl);
      }
      delete k.wgsl;
      k.file = file;
    }
  }
  return files;
}

export async function compileCommand(graph: Graph, model: string, flags: CompileFlags, io: CliIO): Promise<number> {
  // Refused before the compile, which can take a while; writeCompiledDir checks again just before it writes.
  const foreign = await foreignContent(flags.out);
  if (foreign !== undefined) throw new OutputDirError(`will not write into ${flags.out}: ${foreign}; give an empty or new directory`);
  const details: ProgramDetails[] = [];
  const manifest = compileModel(graph, model, {
    batch: flags.batch,
    fuse: flags.fuse,
    ...(flags.optimizer ? { optimizer: flags.optimizer } : {}),
    ...(flags.fixedDims ? { fixedDims: flags.fixedDims } : {}),
    ...(flags.varyBatch === false ? { varyBatch: false } : {}),
    ...(flags.report ? { inspect: (d: ProgramDetails) => void details.push(d) } : {}),
  });
  const report: CompileReport = {
    model,
    batch: flags.batch,
    dir: flags.out,
    forward: reportOf(manifest.programs.forward),
    train: manifest.programs.train ? reportOf(manifest.programs.train) : null,
    paramBytes: manifest.params.reduce((s, p) => s + 4 * p.shape.reduce((a, b) => a * b, 1), 0),
    wgslFiles: 0,
    dims: manifest.dims!,
  };
  const kernels = splitKernels(manifest);
  report.wgslFiles = kernels.size;
  const files = new Map<string, string | Uint8Array>(kernels);
  if (flags.web) {
    const assets = pageAssets();
    for (const [name, text] of assets) files.set(name, text);
    if (flags.web.weights) files.set(PAGE_WEIGHTS, flags.web.weights);
    manifest.page = { files: [...assets.keys(), ...(flags.web.weights ? [PAGE_WEIGHTS] : [])], seed: flags.web.seed, ...(flags.web.weights ? { weights: PAGE_WEIGHTS } : {}) };
    report.page = { script: PAGE_SCRIPT, scriptBytes: new TextEncoder().encode(assets.get(PAGE_SCRIPT)!).length, weights: flags.web.weights !== undefined };
  }
  await writeCompiledDir(flags.out, files, JSON.stringify(manifest, null, 1) + "\n");
  if (flags.report) {
    const html = compileReportHtml(model, flags.batch, details, flags.report.source, await graphviz());
    await writeOutputFile(flags.report.path, html);
  }

  if (flags.json) {
    io.stdout(JSON.stringify(report) + "\n");
    return 0;
  }
  const line = (name: string, p: ProgramReport, per: string) =>
    `  ${name}: ${p.kernels} kernels, ${p.dispatches} dispatches ${per}, peak memory ${mib(p.peakBytes)} (${mib(p.unplannedBytes)} without buffer sharing)\n`;
  const fixed = Object.entries(report.dims.fixed).map(([k, v]) => `${k}=${v}`);
  const batchLine = manifest.rows
    ? `any batch of 1 to ${flags.batch}`
    : `batch ${flags.batch} only (${report.dims.fixedBatch})`;
  io.stdout(`compiled ${model} for ${batchLine}${fixed.length > 0 ? `, ${fixed.join(", ")}` : ""} into ${flags.out}\n`);
  io.stdout(line("forward", report.forward, "per run"));
  if (report.train) io.stdout(line("training step", report.train, "per step"));
  io.stdout(`  parameters: ${mib(report.paramBytes)}; ${kernels.size} WGSL files and ${MANIFEST_FILE}\n`);
  if (flags.report) io.stdout(`  report: ${flags.report.path}\n`);
  if (report.page) {
    io.stdout(`  web page: ${PAGE_FILE} and ${PAGE_SCRIPT} (runtime, no compiler: ${(report.page.scriptBytes / 1024).toFixed(1)} KiB)${report.page.weights ? ` with ${PAGE_WEIGHTS}` : ""}; serve the directory over HTTP, e.g. python3 -m http.server -d ${flags.out}\n`);
  }
  return 0;
}
