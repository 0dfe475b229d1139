// The contract between the compiler and the GPU runtime: a program is a list of buffers, a list of WGSL kernels in
// dispatch order with the buffers they bind, and the values a caller may read. Plain JSON (no class, no Map), so the
// same object is what `dlg compile` writes to disk and what the runtime instantiates in process: a web page can ship
// the runtime and the artifacts without the compiler.

export type StorageDType = "f32" | "i32";

export type ProgramKind = "forward" | "train" | "backward";

/**
 * Who owns a buffer and what fills it:
 * - input: uploaded by the runtime before every run, from the batch tensor `name`;
 * - param / state: the session's current value of `name` (lent, not owned by the program);
 * - update: the session's next value of `name`, which a training step writes;
 * - constant: `data` uploaded once when the program is instantiated;
 * - scratch: intermediate values, several of them sharing one buffer when their lifetimes do not overlap;
 * - random: one bit per element of a dropout node, drawn by the runtime before every run;
 * - status: the run-time check word [code, value] kernels write on failure.
 */
export type BufferKind = "input" | "param" | "state" | "update" | "constant" | "scratch" | "random" | "status";

export interface ManifestBuffer {
  id: number;
  kind: BufferKind;
  bytes: number;
  /** input, param, state, update: the tensor's name. */
  name?: string;
  dtype?: StorageDType;
  shape?: number[];
  /** constant: the value's little-endian bytes, base64. */
  data?: string;
  /** state: the value the optimizer state starts from. */
  init?: number;
  /** random: the drop probability and the number of elements (bits). */
  rate?: number;
  count?: number;
  /** random, in a program for a varying batch: elements per batch row (a batch of n draws perRow * n). */
  perRow?: number;
}

export interface ManifestBinding {
  binding: number;
  buffer: number;
  access: "read" | "read_write";
}

export interface ManifestKernel {
  /** `matmul %12 (logits) -> f32[8, 10]`, for messages. */
  label: string;
  /** The WGSL module, or (on disk) `file`, relative to the manifest, holding it. */
  wgsl?: string;
  file?: string;
  entryPoint: string;
  dispatch: [number, number, number];
  bindings: ManifestBinding[];
}

/** A value a caller may read after a run: graph outputs, the loss, gradients. */
export interface ManifestValue {
  /** The IR node that computes it (how in-process callers ask for it). */
  node: number;
  /** `loss`, `output:logits`, `grad:dense.weight`, or `%12` for a node asked for by id. */
  name: string;
  buffer: number;
  dtype: StorageDType;
  shape: number[];
}

export interface ProgramManifest {
  kind: ProgramKind;
  /** A training step draws dropout masks; a forward or backward program does not. */
  training: boolean;
  /** The symbolic dims the program was specialized for (`{"N": 64}`). */
  dims: Record<string, number>;
  buffers: ManifestBuffer[];
  kernels: ManifestKernel[];
  values: ManifestValue[];
  /** Run-time check messages by the code a kernel stores (`{value}` is replaced by the stored value). */
  messages: Record<string, string>;
  /** Bytes of the buffers the program owns (inputs, constants, scratch, random bits, status): what instantiating it allocates. */
  peakBytes: number;
  /** What one buffer per value would have needed, for the report. */
  unplannedBytes: number;
}

export interface ManifestTensor {
  name: string;
  dtype: StorageDType;
  shape: number[];
}

export interface ManifestParam extends ManifestTensor {
  /** The initializer and its arguments (runtime/initialize.ts), so training can start without a checkpoint. */
  init: string;
  initArgs: number[];
}

/** What `dlg compile` writes as manifest.json: a model's programs for one batch size. */
export interface ModelManifest {
  format: "dlg-model";
  version: 1;
  model: string;
  /** The batch the programs were compiled for: with `rows`, the largest they run. */
  batch: number;
  /** Which dims are fixed and which vary (`{"fixed": {"T": 64}, "varying": {"N": {"max": 64}}}`); `fixedBatch` says why
   * the batch could not vary, when it cannot. */
  dims?: { fixed: Record<string, number>; varying: Record<string, { max: number }>; fixedBatch?: string };
  /** Present when any batch of 1..batch rows runs in these programs: see ManifestRows. */
  rows?: ManifestRows;
  /** At the largest batch. */
  inputs: ManifestTensor[];
  outputs: ManifestTensor[];
  params: ManifestParam[];
  optimizer?: { name: string; args: Record<string, number> };
  /** The output a classification loss scores and the input holding its labels (what accuracy is measured on). */
  classifier?: { output: string; labels: string };
  /** Present when `dlg compile --web` wrote a page beside the artifacts (see ManifestPage). */
  page?: ManifestPage;
  programs: { forward: ProgramManifest; train?: ProgramManifest };
}

/**
 * How a batch of n <= batch rows runs: its rows first, zero rows after, the input \`mask\` f32[batch] (1 for the real
 * rows) and \`count\` f32[] (n) filled in by the runtime; each output's dim 0 holds \`outputs[name]\` rows per example.
 */
export interface ManifestRows {
  symbol: string;
  max: number;
  mask: string;
  count: string;
  outputs: Record<string, number>;
}

/** The web page of a compile directory: the files it added (so a later compile may replace them) and how it starts. */
export interface ManifestPage {
  /** Files of the page, relative to the manifest (`index.html`, the runtime bundle, the weights). */
  files: string[];
  /** The checkpoint the page loads at start, when one was given; otherwise it initializes the parameters from `seed`. */
  weights?: string;
  seed: number;
}

/** A manifest that cannot be used: one line saying why. */
export class ManifestError extends Error {}

function fail(where: string, why: string): never {
  throw new ManifestError(`${where}: ${why}`);
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function natural(v: unknown): v is number {
  return typeof v === "number" && Number.isSafeInteger(v) && v >= 0;
}

const BUFFER_KINDS: readonly BufferKind[] = ["input", "param", "state", "update", "constant", "scratch", "random", "status"];

/** Checks what the runtime relies on (every binding names a buffer, every kernel has code), so a damaged file fails here with its place named rather than on the device. */
export function checkProgramManifest(p: unknown, where: string): ProgramManifest {
  if (!isObject(p)) fail(where, "is not an object");
  if (p["kind"] !== "forward" && p["kind"] !== "train" && p["kind"] !== "backward") fail(where, `has kind ${JSON.stringify(p["kind"])}, expected forward, train or backward`);
  for (const key of ["buffers", "kernels", "values"] as const) if (!Array.isArray(p[key])) fail(where, `has no ${key} list`);
  if (!isObject(p["messages"])) fail(where, "has no messages object");
  const buffers = p["buffers"] as unknown[];
  buffers.forEach((b, i) => {
    const at = `${where}.buffers[${i}]`;
    if (!isObject(b)) fail(at, "is not an object");
    if (b["id"] !== i) fail(at, `has id ${JSON.stringify(b["id"])}, expected ${i}`);
    if (!BUFFER_KINDS.includes(b["kind"] as BufferKind)) fail(at, `has kind ${JSON.stringify(b["kind"])}`);
    if (!natural(b["bytes"]) || b["bytes"] % 4 !== 0) fail(at, `has ${JSON.stringify(b["bytes"])} bytes, expected a multiple of 4`);
    if (["input", "param", "state", "update"].includes(b["kind"] as string) && typeof b["name"] !== "string") fail(at, `(${String(b["kind"])}) has no name`);
    if (b["kind"] === "constant") {
      if (typeof b["data"] !== "string") fail(at, "(constant) has no data");
      const data = b["data"];
      if (data.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(data)) fail(at, "(constant) data is not base64");
      const decoded = (data.length / 4) * 3 - (data.endsWith("==") ? 2 : data.endsWith("=") ? 1 : 0);
      if (decoded !== b["bytes"]) fail(at, `(constant) data holds ${decoded} bytes, expected ${String(b["bytes"])}`);
    }
    if (b["shape"] !== undefined) {
      if (!Array.isArray(b["shape"]) || !b["shape"].every(natural)) fail(at, "has a malformed shape");
      const elements = (b["shape"] as number[]).reduce((n, d) => n * d, 1);
      if (4 * elements > (b["bytes"] as number)) fail(at, `is ${String(b["bytes"])} bytes, too small for shape [${(b["shape"] as number[]).join(", ")}] (${4 * elements} bytes)`);
    }
    if (b["kind"] === "random" && (typeof b["rate"] !== "number" || !natural(b["count"]))) fail(at, "(random) needs a rate and a count");
  });
  const bufferIds = buffers.length;
  (p["kernels"] as unknown[]).forEach((k, i) => {
    const at = `${where}.kernels[${i}]`;
    if (!isObject(k)) fail(at, "is not an object");
    if (typeof k["wgsl"] !== "string") fail(at, typeof k["file"] === "string" ? `names ${k["file"]}, which was not loaded` : "has no WGSL");
    if (k["wgsl"].trim() === "") fail(at, `has empty WGSL${typeof k["file"] === "string" ? ` (${k["file"]})` : ""}`);
    if (typeof k["entryPoint"] !== "string") fail(at, "has no entry point");
    const d = k["dispatch"];
    if (!Array.isArray(d) || d.length !== 3 || !d.every(natural)) fail(at, "has no dispatch size [x, y, z]");
    if (d.some((n) => n === 0)) fail(at, `dispatches [${d.join(", ")}] workgroups, which runs nothing`);
    if (!Array.isArray(k["bindings"])) fail(at, "has no bindings");
    for (const b of k["bindings"] as unknown[]) {
      if (!isObject(b) || !natural(b["binding"]) || !natural(b["buffer"]) || (b["access"] !== "read" && b["access"] !== "read_write")) fail(at, `has a malformed binding ${JSON.stringify(b)}`);
      if ((b["buffer"] as number) >= bufferIds) fail(at, `binds buffer ${String(b["buffer"])}, which does not exist`);
    }
  });
  if ((p["kernels"] as unknown[]).length === 0) fail(where, "has no kernels, so it computes nothing");
  (p["values"] as unknown[]).forEach((v, i) => {
    const at = `${where}.values[${i}]`;
    if (!isObject(v) || typeof v["name"] !== "string" || !natural(v["node"]) || !natural(v["buffer"]) || (v["buffer"] as number) >= bufferIds || !Array.isArray(v["shape"]) || !v["shape"].every(natural))
      fail(at, "is malformed");
    const elements = (v["shape"] as number[]).reduce((n, d) => n * d, 1);
    const bytes = (buffers[v["buffer"] as number] as { bytes: number }).bytes;
    if (4 * elements > bytes) fail(at, `(${String(v["name"])}) needs ${4 * elements} bytes but its buffer ${String(v["buffer"])} has ${bytes}`);
  });
  return p as unknown as ProgramManifest;
}

function checkTensors(list: unknown, where: string): void {
  if (!Array.isArray(list)) fail(where, "is not a list");
  list.forEach((t, i) => {
    if (!isObject(t) || typeof t["name"] !== "string" || (t["dtype"] !== "f32" && t["dtype"] !== "i32") || !Array.isArray(t["shape"]) || !t["shape"].every(natural))
      fail(`${where}[${i}]`, "is not a {name, dtype, shape} tensor");
  });
}

/** A parsed manifest.json, checked; `source` names the file in messages. */
export function checkModelManifest(m: unknown, source: string): ModelManifest {
  if (!isObject(m) || m["format"] !== "dlg-model") fail(source, "is not a dlg model manifest (no \"format\": \"dlg-model\")");
  if (m["version"] !== 1) fail(source, `has version ${JSON.stringify(m["version"])}; this runtime reads version 1`);
  if (typeof m["model"] !== "string" || !natural(m["batch"])) fail(source, "has no model name or batch size");
  checkTensors(m["inputs"], `${source}: inputs`);
  checkTensors(m["outputs"], `${source}: outputs`);
  checkTensors(m["params"], `${source}: params`);
  const params = new Map<string, number[]>();
  for (const [i, t] of (m["params"] as { name: string; shape: number[] }[]).entries()) {
    if (params.has(t.name)) fail(`${source}: params[${i}]`, `repeats parameter \`${t.name}\``);
    params.set(t.name, t.shape);
  }
  const rows = m["rows"];
  if (rows !== undefined) {
    if (!isObject(rows) || typeof rows["mask"] !== "string" || typeof rows["count"] !== "string" || rows["max"] !== m["batch"] || !isObject(rows["outputs"]))
      fail(`${source}: rows`, "is not {\"symbol\", \"max\": the batch, \"mask\", \"count\", \"outputs\"}");
  }
  const classifier = m["classifier"];
  if (classifier !== undefined && !(isObject(classifier) && typeof classifier["output"] === "string" && typeof classifier["labels"] === "string"))
    fail(`${source}: classifier`, "is not {\"output\": name, \"labels\": name}");
  const page = m["page"];
  if (page !== undefined) {
    const files = isObject(page) ? page["files"] : undefined;
    if (!isObject(page) || !Array.isArray(files) || !files.every((f) => typeof f === "string") || !natural(page["seed"]) || (page["weights"] !== undefined && typeof page["weights"] !== "string"))
      fail(`${source}: page`, "is not {\"files\": [names], \"seed\": integer, \"weights\"?: name}");
  }
  const programs = m["programs"];
  if (!isObject(programs)) fail(source, "has no programs");
  const checked = [checkProgramManifest(programs["forward"], `${source}: programs.forward`)];
  if (programs["train"] !== undefined) checked.push(checkProgramManifest(programs["train"], `${source}: programs.train`));
  // A program's parameter buffers must be the model's parameters, at their shapes.
  for (const program of checked) {
    for (const b of program.buffers) {
      if (b.kind !== "param") continue;
      const shape = params.get(b.name!);
      const where = `${source}: programs.${program.kind}.buffers[${b.id}]`;
      if (shape === undefined) fail(where, `reads parameter \`${b.name}\`, which the model does not list`);
      if (4 * shape.reduce((n, d) => n * d, 1) !== b.bytes) fail(where, `is ${b.bytes} bytes for parameter \`${b.name}\` [${shape.join(", ")}]`);
    }
  }
  return m as unknown as ModelManifest;
}

/** Bytes to base64 and back, without Node's Buffer (the runtime also runs in browsers). */
export function toBase64(bytes: Uint8Array): string {
  let s = "";
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(s);
}

export function fromBase64(text: string): Uint8Array {
  const s = atob(text);
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}
