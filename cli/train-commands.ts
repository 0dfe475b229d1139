// `dlg train`, `dlg run`, `dlg init`, `dlg grad`: the CPU reference backend driven from the command line.
import cliProgress from "cli-progress";
import type { Graph } from "../compiler/ir/graph.js";
import { ExecutionError as ReferenceExecutionError } from "../compiler/ir/define-op.js";
import { ExecutionError } from "../runtime/errors.js";
import { CodegenError } from "../compiler/wgsl/limits.js";
import { optimizers, stateName, STEP_STATE } from "../compiler/optimizers/index.js";
import { CheckpointError, checkTensorsMatch, joinProblems, type Checkpoint } from "../runtime/checkpoint.js";
import { ManifestError } from "../runtime/manifest.js";
import { bufferSpecs, CpuSession, initialBuffers, initialParams } from "../sessions/cpu-session.js";
import { GpuDeviceError, GpuUnavailableError, type GpuContext } from "../runtime/device.js";
import { GpuSession } from "../sessions/gpu-session.js";
import { nodeDevice, parseAdapterChoice } from "../runtime/node/webgpu-node.js";
import { bindInputs, BUILT_IN_DATASETS, DataError, loadDataset, type ModelInput } from "../runtime/node/data/index.js";
import { checkLabels } from "../runtime/data/bind.js";
import { nameRecord } from "../runtime/records.js";
import { readCheckpoint, writeCheckpoint } from "../runtime/node/checkpoint-file.js";
import { OutputDirError } from "../runtime/node/compiled-dir.js";
import { firstNonFinite, hostTensor, sliceRows, type HostTensor } from "../runtime/tensor.js";
import { checkOutputFile, sameFile, type InputFile, writeOutputFile } from "./output-paths.js";
import { train, TrainingError, type EpochReport, type Split } from "../runtime/train.js";
import type { TextEncoding, Tokenization } from "../runtime/data/text.js";
import { ResourceError, UsageError, type CliIO } from "./io.js";
import { trainingSvg, type TrainingCurves } from "./plot.js";
import { lossOnlyInputs, metricsText, predict, predictionsCsv, predictionTensors } from "./predictions.js";
import { field } from "../runtime/data/dataset.js";
import { totalmem } from "node:os";
import { constants as bufferConstants } from "node:buffer";

/** Failures of data, checkpoints or numbers: one line, exit 1 (the program was fine, its inputs were not). */
export function runtimeFailure(e: unknown): string | undefined {
  if (e instanceof DataError || e instanceof CheckpointError || e instanceof TrainingError || e instanceof ExecutionError || e instanceof ReferenceExecutionError) return e.message;
  if (e instanceof GpuUnavailableError || e instanceof GpuDeviceError || e instanceof CodegenError || e instanceof ManifestError) return e.message;
  if (e instanceof OutputDirError || e instanceof ResourceError) return e.message;
  return undefined;
}

export function positiveInt(flag: string, text: string | undefined, fallback: number): number {
  if (text === undefined) return fallback;
  const n = Number(text);
  if (!/^\d+$/.test(text.trim()) || !Number.isSafeInteger(n) || n < 1) throw new UsageError(`--${flag} expects a positive integer, got '${text}'`);
  return n;
}

export function seedOf(text: string | undefined): number {
  if (text === undefined) return 0;
  const n = Number(text);
  if (!/^\d+$/.test(text.trim()) || !Number.isSafeInteger(n)) throw new UsageError(`--seed expects a non-negative integer, got '${text}'`);
  return n;
}

export function positiveNumber(flag: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (text.trim() === "" || !Number.isFinite(n) || n <= 0) throw new UsageError(`--${flag} expects a positive number, got '${text}'`);
  return n;
}

/** `auto`: the WebGPU adapter when there is one, else the CPU reference with a warning. */
export type Backend = "cpu" | "webgpu" | "auto";

export function requireBackend(text: string | undefined, fallback: Backend): Backend {
  if (text === undefined) return fallback;
  if (text === "cpu" || text === "webgpu" || text === "auto") return text;
  throw new UsageError(`--backend must be auto, webgpu or cpu, got '${text}'`);
}

export function requireAdapter(text: string | undefined): "auto" | "vulkan" | "gles" {
  const choice = parseAdapterChoice(text);
  if (!choice) throw new UsageError(`--adapter must be auto, vulkan or gles, got '${text}'`);
  return choice;
}

export type Session = CpuSession | GpuSession;

export interface BackendFlags {
  backend: Backend;
  adapter: "auto" | "vulkan" | "gles";
}

const gib = (bytes: number) => `${(bytes / 2 ** 30).toFixed(1)} GiB`;

/**
 * Refuses a model whose parameters (with the optimizer's copies of them, when `training`) cannot be held in this
 * machine's memory, or one of whose tensors is larger than a typed array may be, before anything is allocated: the
 * figures come from the checked shapes, so the answer is a line, not an allocation failure.
 */
export function checkHostMemory(graph: Graph, modelName: string, training: boolean): void {
  let elements = 0;
  let largest = { name: "", bytes: 0 };
  for (const p of graph.params) {
    const n = p.type.shape.reduce((a, d) => a * (d.constValue() ?? 0), 1);
    elements += n;
    if (4 * n > largest.bytes) largest = { name: p.name, bytes: 4 * n };
  }
  const slots = training && graph.optimizer ? optimizers[graph.optimizer.name].slots.length : 0;
  // Parameters, their state slots, and when training a gradient per parameter.
  const copies = 1 + slots + (training ? 1 : 0);
  const needed = 4 * elements * copies;
  const available = totalmem();
  // Node 20 caps a buffer at 4 GiB (later versions allow more), and WebGPU indexes a binding with 32 bits.
  const perTensor = Math.min(bufferConstants.MAX_LENGTH, 2 ** 32);
  if (largest.bytes > perTensor) {
    throw new ResourceError(`model ${modelName}: parameter \`${largest.name}\` needs ${gib(largest.bytes)}, more than one tensor can hold here (${gib(perTensor)})`);
  }
  if (needed > available) {
    throw new ResourceError(`model ${modelName} needs about ${gib(needed)} of memory for ${elements.toLocaleString("en-US")} parameters${copies > 1 ? ` (${copies} copies: parameters${slots ? ", optimizer state" : ""}${training ? ", gradients" : ""})` : ""}; this machine has ${gib(available)}`);
  }
}

/** A session on the chosen backend; the GPU one says which adapter it got. */
export async function openSession(graph: Graph, flags: BackendFlags, options: ConstructorParameters<typeof CpuSession>[1], io: CliIO, quiet: boolean): Promise<Session> {
  if (flags.backend === "cpu") return new CpuSession(graph, options);
  let gpu: GpuContext;
  try {
    gpu = await nodeDevice(flags.adapter);
  } catch (e) {
    if (flags.backend !== "auto" || !(e instanceof GpuUnavailableError)) throw e;
    // One line, even under --json (which writes to stdout): the user learns why it is slow and how to fix it.
    io.stderr(`dlg: warning: using the CPU reference backend: ${e.message}\n`);
    return new CpuSession(graph, options);
  }
  if (!quiet) io.stderr(`adapter: ${gpu.adapter}\n`);
  return new GpuSession(graph, { ...options, gpu });
}

function adapterOf(session: Session): string | undefined {
  return session instanceof GpuSession ? session.adapter : undefined;
}

function modelInputs(graph: Graph): ModelInput[] {
  return graph.inputs.map((i) => ({
    name: i.name,
    dtype: i.type.dtype === "i32" ? "i32" : "f32",
    shape: i.type.shape.map((d) => d.constValue() ?? d.toString()),
  }));
}

/** How a checkpoint's model reads text, from its metadata; undefined for a model not trained on text. */
export function textEncodingOf(metadata: Readonly<Record<string, string>>, path: string): TextEncoding | undefined {
  const tokenization = metadata["tokens"];
  if (tokenization === undefined) return undefined;
  if (tokenization === "bytes") return { tokenization };
  if (tokenization !== "chars") throw new CheckpointError(`${path}: its metadata says tokens are ${JSON.stringify(tokenization)}, not bytes or chars`);
  let vocabulary: unknown;
  try {
    vocabulary = JSON.parse(metadata["vocabulary"] ?? "");
  } catch {
    vocabulary = undefined;
  }
  if (!Array.isArray(vocabulary) || vocabulary.length === 0 || !vocabulary.every((c) => typeof c === "string" && c.length > 0))
    throw new CheckpointError(`${path}: a model of characters needs its vocabulary (a JSON list of characters) in the metadata, and this one has ${metadata["vocabulary"] === undefined ? "none" : "a damaged one"}`);
  return { tokenization, vocabulary: vocabulary as string[] };
}

/** The metadata that lets a checkpoint read and write text again. */
function textMetadata(text: TextEncoding | undefined): Record<string, string> {
  if (!text) return {};
  return { tokens: text.tokenization, ...(text.vocabulary ? { vocabulary: JSON.stringify(text.vocabulary) } : {}) };
}

/** The window of a model that reads text: T of its input `tokens: i32[B, T]`. */
function textWindow(graph: Graph): number | undefined {
  return graph.inputs.find((i) => i.name === "tokens")?.type.shape[1]?.constValue();
}

export interface DataFlags {
  /** For a text source: tokenize by bytes or characters (`--tokens`), or as a checkpoint's model did. */
  tokens?: Tokenization;
  text?: TextEncoding;
  /** The model again with the lengths of its recurrences taken from the data (see `needsLengths`). */
  bindLengths?: (graph: Graph, split: Split) => Graph;
  data: string;
  holdout?: number;
  testFile?: string;
  /** Inputs the data may lack all of (the loss's targets, for pure inference); they are then left unbound. */
  unlabeled?: readonly string[];
}

/**
 * Loads a data source and binds it to the model's inputs by name, then checks every value a step would trip on
 * (labels outside the classes, in either split) so that no run stops after its first epoch for a bad row.
 */
export async function loadBoundData(graph: Graph, flags: DataFlags): Promise<{
  train: Split;
  test: Split;
  /** Inputs the data lacks (see DataFlags.unlabeled). */
  missing: string[];
  sourceRows: { train: Int32Array; test: Int32Array } | undefined;
  notes: string[];
  text?: TextEncoding;
}> {
  if (flags.text && flags.tokens !== undefined && flags.tokens !== flags.text.tokenization)
    throw new UsageError(`--tokens ${flags.tokens}: the weights are of a model trained on ${flags.text.tokenization}`);
  const tokenization = flags.text?.tokenization ?? flags.tokens ?? "bytes";
  let dataset = await loadDataset(flags.data, {
    ...(flags.holdout !== undefined ? { holdout: flags.holdout } : {}),
    ...(flags.testFile !== undefined ? { testFile: flags.testFile } : {}),
    text: { window: textWindow(graph), tokenization, forced: flags.tokens !== undefined, ...(flags.text?.vocabulary ? { vocabulary: flags.text.vocabulary } : {}) },
  });
  if (dataset.text?.vocabulary) {
    const classes = graph.labelInputs?.find((l) => l.input === "targets")?.classes;
    if (classes !== undefined && classes < dataset.text.vocabulary.length)
      throw new DataError(`${flags.data} uses ${dataset.text.vocabulary.length} distinct characters, more than the model's ${classes} classes (its vocabulary)`);
  }
  // Data for pure inference (`dlg run`) may lack what only the loss reads: then every row is predicted, none scored.
  let missing: string[] = [];
  if (flags.unlabeled && flags.unlabeled.length > 0 && flags.unlabeled.every((name) => field(dataset.train, name) === undefined)) {
    missing = [...flags.unlabeled];
    if (flags.testFile === undefined && flags.holdout === undefined && dataset.sourceRows) {
      dataset = await loadDataset(flags.data, { holdout: 0 });
      dataset = { ...dataset, test: dataset.train, sourceRows: { train: dataset.sourceRows!.train, test: dataset.sourceRows!.train } };
    }
  }
  const bound = bindInputs(modelInputs(graph).filter((i) => !missing.includes(i.name)), dataset);
  const train = nameRecord<HostTensor>();
  const test = nameRecord<HostTensor>();
  for (const [name, b] of Object.entries(bound)) {
    train[name] = b.train;
    test[name] = b.test;
  }
  for (const { input, classes } of graph.labelInputs ?? []) {
    if (!Object.hasOwn(bound, input)) continue;
    const field = bound[input]!.fields[0]!;
    const where = (split: "train" | "test") => (row: number) => {
      const source = split === "test" && flags.testFile !== undefined ? flags.testFile : flags.data;
      const fileRow = dataset.sourceRows ? dataset.sourceRows[split][row]! : row;
      return `${source}: row ${fileRow + 1}${split === "test" && flags.testFile === undefined && dataset.sourceRows ? " (held out)" : ""}`;
    };
    checkLabels(train[input]!, classes, field, where("train"));
    checkLabels(test[input]!, classes, field, where("test"));
  }
  return { train, test, missing, sourceRows: dataset.sourceRows, notes: dataset.notes ?? [], ...(dataset.text ? { text: dataset.text } : {}) };
}

type BoundData = Awaited<ReturnType<typeof loadBoundData>>;

/** A model holding a recurrence over a symbolic length: it runs only once that length is bound. */
export function needsLengths(graph: Graph): boolean {
  return graph.nodes.some((n) => n.op === "recurrence");
}

/** Loads the data, and binds the model's recurrence lengths from it when it needs them. */
async function modelForData(graph: Graph, flags: DataFlags): Promise<{ graph: Graph; data: BoundData }> {
  const data = await loadBoundData(graph, flags);
  return { graph: needsLengths(graph) && flags.bindLengths ? flags.bindLengths(graph, data.train) : graph, data };
}

function expectedParams(graph: Graph) {
  return graph.params.map((p) => ({ name: p.name, dtype: (p.type.dtype === "i32" ? "i32" : "f32") as "f32" | "i32", shape: p.type.shape.map((d) => d.constValue()!) }));
}

/**
 * A checkpoint's tensors sorted into the model's parameters, its running statistics and optimizer state, the first two
 * checked against the model (names, dtypes, shapes, finite): a checkpoint made for another model is refused here.
 */
function modelPartOf(graph: Graph, checkpoint: Checkpoint, path: string): { params: Map<string, HostTensor>; buffers: Map<string, HostTensor>; state: Map<string, HostTensor> } {
  const params = new Map<string, HostTensor>();
  const state = new Map<string, HostTensor>();
  const buffers = new Map<string, HostTensor>();
  const bufferNames = new Set((graph.buffers ?? []).map((b) => b.name));
  for (const [name, t] of checkpoint.tensors) (bufferNames.has(name) ? buffers : stateOwner(name, graph) !== undefined ? state : params).set(name, t);
  // Running statistics are part of the model: a checkpoint of it holds them, as a PyTorch state dict does.
  const problems = [...checkTensorsMatch(expectedParams(graph), params), ...checkTensorsMatch(bufferSpecs(graph), buffers, { what: "running statistic" })];
  if (problems.length > 0) throw new CheckpointError(`${path} does not fit this model: ${joinProblems(problems)}`);
  return { params, buffers, state };
}

/** A checkpoint's model tensors (parameters and running statistics, not optimizer state): what a web page loads. */
export async function modelWeights(graph: Graph, path: string): Promise<Map<string, HostTensor>> {
  const { params, buffers } = modelPartOf(graph, await readCheckpoint(path), path);
  return new Map([...params, ...buffers]);
}

/** What became of a checkpoint's optimizer state: taken, absent (the optimizer starts fresh), or not asked for. */
export type StateLoaded = "restored" | "fresh" | "ignored";

/**
 * Loads parameters (and, for `withState`, optimizer state) from a checkpoint, refusing one made for another model.
 * Both backends go through here, so they accept and refuse the same files: parameters must match the model exactly
 * and be finite; state, when the file has any, must be exactly what the model's optimizer keeps (names, dtypes,
 * shapes, finite, a whole non-negative step count). A file without state resumes with fresh state.
 */
export async function loadWeights(session: Session, path: string, withState: boolean): Promise<{ metadata: Record<string, string>; state: StateLoaded }> {
  const checkpoint = await readCheckpoint(path);
  const { buffers, state } = modelPartOf(session.forward, checkpoint, path);
  if (withState && state.size > 0) {
    const optimizer = session.forward.optimizer!.name;
    const stateProblems = checkTensorsMatch(session.stateSpecs(), state, {
      what: "optimizer state tensor",
      unexpected: (name) => {
        const owner = stateOwner(name, session.forward)!;
        return owner === optimizer || owner === STEP_STATE
          ? `unexpected optimizer state \`${name}\`: ${optimizer} with this model's arguments keeps no such tensor`
          : `\`${name}\` is ${owner} state, but this model trains with ${optimizer}`;
      },
    });
    const step = state.get(STEP_STATE);
    if (step !== undefined && step.data.length === 1 && !(Number.isInteger(step.data[0]) && step.data[0]! >= 0)) {
      stateProblems.push(`\`${STEP_STATE}\` is ${step.data[0]}, not a step count (a whole number >= 0)`);
    }
    if (stateProblems.length > 0) throw new CheckpointError(`${path}: its optimizer state does not fit this model: ${joinProblems(stateProblems)}`);
  }
  for (const p of session.forward.params) session.params.set(p.name, checkpoint.tensors.get(p.name)!);
  for (const [name, t] of buffers) session.state.set(name, t);
  if (withState) for (const [name, t] of state) session.state.set(name, t);
  return { metadata: checkpoint.metadata, state: !withState ? "ignored" : state.size > 0 ? "restored" : "fresh" };
}

/**
 * Optimizer state tensors are saved beside the parameters, named `<param>.<slot>` after an optimizer's slots, and
 * `optimizer.step`: the optimizer whose slot a name is (or STEP_STATE), or undefined for a name that is no state.
 * Every optimizer's slots are recognized, so another optimizer's state is named as such rather than taken for an
 * unknown parameter.
 */
function stateOwner(name: string, graph: Graph): string | undefined {
  if (name === STEP_STATE) return STEP_STATE;
  for (const [optimizer, definition] of Object.entries(optimizers)) {
    if (graph.params.some((p) => definition.slots.some((slot) => name === stateName(p.name, slot)))) return optimizer;
  }
  return undefined;
}

async function checkpointTensors(session: Session): Promise<Map<string, HostTensor>> {
  if (session instanceof CpuSession) return new Map([...session.params, ...session.state]);
  return new Map([...(await session.params.toMap()), ...(await session.state.toMap())]);
}

function formatReport(r: EpochReport, epochs: number, text: boolean): string {
  const acc = r.accuracy === null ? "" : `  accuracy ${(r.accuracy * 100).toFixed(2)}%`;
  // A text model's cross-entropy in nats per token, as bits: what character models are compared by.
  const bits = text ? ` (${(r.testLoss / Math.LN2).toFixed(3)} bits/token)` : "";
  return `epoch ${String(r.epoch).padStart(String(epochs).length)}/${epochs}  loss ${r.loss.toFixed(4)}  held-out loss ${r.testLoss.toFixed(4)}${bits}${acc}  ${r.seconds.toFixed(1)}s`;
}

export interface TrainFlags extends DataFlags, BackendFlags {
  /** The `.dlg` file the model came from: never a place to save to. */
  source: string;
  epochs: number;
  batch: number;
  seed: number;
  lr?: number;
  save?: string;
  resume?: string;
  json: boolean;
  progress: boolean;
  /** `--plot FILE.svg`: the curves, rewritten after every epoch. */
  plot?: string;
}

/** The files a command reads that are files (not the built-in datasets), for refusing to write over them. */
export function inputFiles(flags: DataFlags & { source: string }, weights?: { path: string; role: string }): InputFile[] {
  const files: InputFile[] = [{ path: flags.source, role: "the model source" }];
  if (!BUILT_IN_DATASETS.has(flags.data)) files.push({ path: flags.data, role: "the --data file" });
  if (flags.testFile !== undefined) files.push({ path: flags.testFile, role: "the --test-data file" });
  if (weights) files.push(weights);
  return files;
}

/** Refuses a checkpoint holding NaN or infinity before it replaces anything on disk. */
function checkSavable(tensors: ReadonlyMap<string, HostTensor>, path: string): void {
  const bad = firstNonFinite(tensors);
  if (bad !== undefined) throw new TrainingError(`not saving ${path}: ${bad}; the file was left as it was`);
}

export async function trainCommand(graph: Graph, modelName: string, flags: TrainFlags, io: CliIO): Promise<number> {
  if (graph.loss === undefined || !graph.optimizer) throw new UsageError(`model ${modelName} has no \`train LOSS with OPTIMIZER\` statement, so it cannot be trained`);
  // Every reason the run could not be saved, or could not finish for its data, is found before the first step.
  // Resuming into the file resumed from is the point of --resume, so that one input may be the output.
  if (flags.save !== undefined) {
    const resumeInto = flags.resume !== undefined && sameFile(flags.resume, flags.save);
    checkOutputFile("--save", flags.save, inputFiles(flags, flags.resume !== undefined && !resumeInto ? { path: flags.resume, role: "the --resume checkpoint" } : undefined));
  }
  if (flags.plot !== undefined) {
    if (!/\.svg$/i.test(flags.plot)) throw new UsageError(`--plot ${flags.plot}: the plot is written as an .svg file`);
    checkOutputFile("--plot", flags.plot, inputFiles(flags, flags.resume !== undefined ? { path: flags.resume, role: "the --resume checkpoint" } : undefined));
  }
  if (flags.testFile !== undefined && !BUILT_IN_DATASETS.has(flags.data) && sameFile(flags.testFile, flags.data)) {
    io.stderr(`dlg: warning: --test-data is the --data file, so the held-out figures are measured on the training rows\n`);
  }
  const optimizer = flags.lr !== undefined ? { ...graph.optimizer, args: { ...graph.optimizer.args, lr: flags.lr } } : graph.optimizer;
  checkHostMemory(graph, modelName, true);
  // Resumed training reads the text as the checkpoint's model did (its character ids).
  if (flags.resume !== undefined && flags.data.toLowerCase().endsWith(".txt")) {
    const text = textEncodingOf((await readCheckpoint(flags.resume)).metadata, flags.resume);
    if (text) flags = { ...flags, text };
  }
  const { graph: bound, data } = await modelForData(graph, flags);
  graph = bound;
  const session = await openSession(graph, flags, { seed: flags.seed, optimizer }, io, flags.json);
  if (flags.resume) {
    const loaded = await loadWeights(session, flags.resume, true);
    if (loaded.state === "fresh") io.stderr(`dlg: note: ${flags.resume} holds no optimizer state; ${optimizer.name} starts from fresh state\n`);
  }
  const rows = Object.values(data.train)[0]?.shape[0] ?? 0;
  if (!flags.json) for (const note of data.notes) io.stderr(`${note}\n`);
  if (!flags.json) io.stderr(`training ${modelName} on ${rows} rows (${flags.data}), backend ${session.backend}, batch ${flags.batch}, ${optimizer.name}(lr ${optimizer.args["lr"]})\n`);
  const adapter = adapterOf(session);
  const bar = flags.progress && !flags.json
    ? new cliProgress.SingleBar({ format: "epoch {epoch} [{bar}] {value}/{total} steps  loss {loss}  {eta_formatted} left", hideCursor: true, clearOnComplete: true }, cliProgress.Presets.shades_classic)
    : undefined;
  let shownEpoch = 0;
  const curves: TrainingCurves = { model: modelName, stepsPerEpoch: Math.ceil(rows / flags.batch), epochs: flags.epochs, stepLosses: [], reports: [] };
  const plotPath = flags.plot;
  try {
    await train(session, data, {
      epochs: flags.epochs,
      batch: flags.batch,
      seed: flags.seed,
      onStep: ({ epoch, step, steps, loss }) => {
        curves.stepLosses.push(loss);
        if (!bar) return;
        if (epoch !== shownEpoch) {
          shownEpoch = epoch;
          bar.start(steps, 0, { epoch, loss: loss.toFixed(4) });
        }
        bar.update(step, { epoch, loss: loss.toFixed(4) });
      },
      onEpoch: async (r) => {
        bar?.stop();
        curves.reports.push(r);
        if (plotPath !== undefined) {
          await writeOutputFile(plotPath, trainingSvg(curves));
        }
        if (flags.json) io.stdout(JSON.stringify({ epoch: r.epoch, loss: r.loss, accuracy: r.accuracy, seconds: r.seconds, backend: r.backend, ...(adapter ? { adapter } : {}) }) + "\n");
        else io.stdout(formatReport(r, flags.epochs, data.text !== undefined) + "\n");
      },
    });
  } catch (e) {
    if (e instanceof TrainingError && flags.save !== undefined) throw new TrainingError(`${e.message}; ${flags.save} was not written`);
    throw e;
  } finally {
    bar?.stop();
  }
  if (flags.save) {
    const tensors = await checkpointTensors(session);
    checkSavable(tensors, flags.save);
    await writeCheckpoint(flags.save, tensors, { format: "dlg", model: modelName, optimizer: optimizer.name, ...textMetadata(data.text) });
    const running = session.forward.buffers?.length ?? 0;
    if (!flags.json) io.stderr(`saved ${session.params.size} parameters${running > 0 ? `, ${running} running statistics` : ""} and ${session.state.size - running} optimizer tensors to ${flags.save}\n`);
  }
  return 0;
}

export interface RunFlags extends DataFlags, BackendFlags {
  /** The `.dlg` file the model came from: never a place to write predictions to. */
  source: string;
  weights: string;
  /** Where to write the predictions (.csv or .safetensors). */
  output?: string;
  batch: number;
  json: boolean;
}

export async function runCommand(graph: Graph, modelName: string, flags: RunFlags, io: CliIO): Promise<number> {
  if (flags.output !== undefined) {
    if (!/\.(csv|safetensors)$/i.test(flags.output)) throw new UsageError(`-o ${flags.output}: predictions are written as .csv or .safetensors`);
    checkOutputFile("-o", flags.output, inputFiles(flags, { path: flags.weights, role: "the --weights checkpoint" }));
  }
  checkHostMemory(graph, modelName, false);
  const dataFlags = { ...flags, unlabeled: lossOnlyInputs(graph) };
  let data: BoundData | undefined;
  if (needsLengths(graph)) ({ graph, data } = await modelForData(graph, dataFlags));
  const session = await openSession(graph, flags, { seed: 0 }, io, flags.json);
  const { metadata } = await loadWeights(session, flags.weights, false);
  const text = textEncodingOf(metadata, flags.weights);
  data ??= await loadBoundData(graph, { ...dataFlags, ...(text ? { text } : {}) });
  const labeled = data.missing.length === 0;
  const sourceRows = flags.testFile === undefined ? data.sourceRows?.test : undefined;
  const p = await predict(session, graph, data.test, flags.batch, data.missing, sourceRows);
  if (flags.output !== undefined) {
    if (/\.csv$/i.test(flags.output)) {
      await writeOutputFile(flags.output, predictionsCsv(p));
    } else await writeCheckpoint(flags.output, predictionTensors(p), { format: "dlg-predictions", model: modelName, rows: String(p.rows) });
  }
  const metrics = p.classifier?.metrics;
  const adapter = adapterOf(session);
  const what = labeled ? "held-out rows" : "rows (no targets: predicted, not scored)";
  if (flags.json) {
    io.stdout(JSON.stringify({
      model: modelName, rows: p.rows, labeled, loss: p.loss ?? null, accuracy: metrics?.accuracy ?? null,
      ...(metrics ? { confusion: metrics.confusion, precision: metrics.precision, recall: metrics.recall, support: metrics.support } : {}),
      ...(flags.output !== undefined ? { output: flags.output } : {}),
      backend: session.backend, ...(adapter ? { adapter } : {}),
    }) + "\n");
  } else {
    const parts = [`${p.rows} ${what}`];
    if (p.loss !== undefined) parts.push(`loss ${p.loss.toFixed(4)}`);
    if (metrics) parts.push(`accuracy ${(metrics.accuracy * 100).toFixed(2)}%`);
    io.stdout(`${modelName}: ${parts.join(", ")}\n`);
    if (metrics) io.stdout(metricsText(metrics));
    if (flags.output !== undefined) io.stdout(`wrote the outputs of ${p.rows} rows to ${flags.output}\n`);
  }
  return 0;
}

export async function initCommand(graph: Graph, modelName: string, seed: number, out: string, source: string, io: CliIO): Promise<number> {
  checkOutputFile("-o", out, [{ path: source, role: "the model source" }]);
  checkHostMemory(graph, modelName, false);
  const params = new Map([...initialParams(graph, seed), ...initialBuffers(graph)]);
  await writeCheckpoint(out, params, { format: "dlg", model: modelName, seed: String(seed) });
  const running = graph.buffers?.length ?? 0;
  io.stderr(`wrote ${params.size - running} initial parameters${running > 0 ? ` and ${running} running statistics` : ""} (seed ${seed}) to ${out}\n`);
  return 0;
}

export interface GradFlags extends DataFlags, BackendFlags {
  source: string;
  weights: string;
  batch: number;
  out: string;
}

export async function gradCommand(graph: Graph, modelName: string, flags: GradFlags, io: CliIO): Promise<number> {
  if (graph.loss === undefined) throw new UsageError(`model ${modelName} has no loss (\`train LOSS with ...\`), so it has no gradient`);
  checkOutputFile("-o", flags.out, inputFiles(flags, { path: flags.weights, role: "the --weights checkpoint" }));
  checkHostMemory(graph, modelName, true);
  let data: BoundData | undefined;
  if (needsLengths(graph)) ({ graph, data } = await modelForData(graph, flags));
  const session = await openSession(graph, flags, { seed: 0 }, io, false);
  const { metadata } = await loadWeights(session, flags.weights, false);
  const text = textEncodingOf(metadata, flags.weights);
  data ??= await loadBoundData(graph, { ...flags, ...(text ? { text } : {}) });
  const rows = Object.values(data.train)[0]?.shape[0] ?? 0;
  const take = Math.min(flags.batch, rows);
  const batch = Object.fromEntries(Object.entries(data.train).map(([k, v]) => [k, sliceRows(v, 0, take)]));
  const { loss, grads } = await session.gradients(batch);
  const tensors = new Map<string, HostTensor>([...grads, ["loss", hostTensor("f32", [], Float32Array.of(loss))]]);
  await writeCheckpoint(flags.out, tensors, { format: "dlg", model: modelName, rows: String(take) });
  io.stderr(`loss ${loss} on the first ${take} training rows; wrote ${grads.size} gradients to ${flags.out}\n`);
  return 0;
}
