// The `dlg` command: check, fmt, graph. Usage mistakes exit 2 with one line; source errors exit 1 with diagnostics.
import { readFileSync } from "node:fs";
import { parseArgs, type ParseArgsConfig } from "node:util";
import { formatProgram } from "../compiler/1-parse/format.js";
import { parse } from "../compiler/1-parse/parse.js";
import { compile, type CheckOptions } from "../compiler/index.js";
import { printGraph } from "../compiler/ir/print.js";
import { bindDims } from "../compiler/ir/interpret.js";
import type { Graph } from "../compiler/ir/graph.js";
import type { OpAttrs } from "../compiler/ir/registry.js";
import type { Split } from "../runtime/train.js";
import type { Tokenization } from "../runtime/data/text.js";
import type { SourceFile } from "../compiler/diagnostics/span.js";
import { compileCommand } from "./compile-command.js";
import { checkOutputFile, writeOutputFile } from "./output-paths.js";
import { graphCommand } from "./graph-command.js";
import { exportCommand } from "./export-command.js";
import { testCommand } from "./test-command.js";
import { startServer } from "../lsp/server.js";
import { profileCommand } from "./profile-command.js";
import { encodeSafetensors } from "../runtime/checkpoint.js";
import { sampleCommand } from "./sample-command.js";
import { FileSystemError, UsageError, type CliIO } from "./io.js";
import { ioReason } from "../runtime/node/atomic-write.js";
import { checkReport, checkToJson, diagnosticsText } from "./render.js";
import {
  gradCommand, initCommand, modelWeights, positiveInt, positiveNumber, requireAdapter, requireBackend, runCommand, runtimeFailure, seedOf, trainCommand,
} from "./train-commands.js";

const USAGE = `usage: dlg <command> [options]

commands:
  check FILE [--model NAME] [--set k=v]... [--dim D=n]... [--json] [--dump-ir]
                      parse and shape-check a model; print bindings, parameters and their count
  fmt FILE [--write | --check]
                      print FILE in canonical form (--write rewrites it, --check exits 1 if it differs)
  graph FILE [--backward] [--fused [--batch N]] [--format dot|mermaid|svg] [-o FILE]
                      the graph of primitive ops (with --backward its gradients too); --fused groups and colours
                      the nodes by the kernel that computes them at batch N (default 64)
  train FILE --data SOURCE [--epochs E] [--batch B] [--lr X] [--seed S] [--backend auto|webgpu|cpu] [--adapter A]
             [--save F] [--resume F] [--holdout P | --test-data F] [--tokens bytes|chars] [--plot F.svg] [--json]
                      train; SOURCE is mnist, iris, a .safetensors, .csv or .txt file (a text, also any file
                      with --tokens: windows of the model's tokens: i32[B, T], the last 10% held out); auto (the default)
                      uses the WebGPU adapter when there is one, else the CPU reference with a warning
  run FILE --weights F --data SOURCE [--batch B] [--backend auto|webgpu|cpu] [-o PRED.csv|PRED.safetensors] [--json]
                      evaluate saved weights on the held-out split (a classifier's confusion matrix and per-class
                      precision/recall); -o writes every row's outputs; data without the loss's targets is predicted whole
  init FILE [--seed S] -o W.safetensors
                      the initial parameters, as training would start from them
  grad FILE --weights W --data SOURCE [--batch B] [--backend cpu|webgpu|auto] -o G.safetensors
                      loss and gradients on the first B training rows (no shuffling, no dropout; CPU by default)
  compile FILE --batch N (-o DIR | --web DIR [--weights W] [--seed S]) [--fixed-batch] [--report F.html] [--lr X] [--no-fuse] [--json]
                      WGSL kernels and a manifest.json for any batch up to N, loadable without the compiler; --web adds
                      a page (index.html and the browser runtime) that runs, and trains, the model in a browser
  export FILE --weights W --format onnx -o FILE.onnx | export FILE --format torch -o FILE.py
                      ONNX: the inference graph (evaluation mode, opset 17, the batch dim symbolic) with the weights;
                      torch: one Python file, an nn.Module with dlg's names, its loss and optimizer, a predict/train
                      script (data-parallel under torchrun)
  test FILE [--runs N] [--seed S] [--max-dim K] [--set k=v]... [--dim D=n]... [--data-seed S] [--no-gpu]
                      property tests of the model: sizes and integer hyperparameters drawn (pinned by --set/--dim),
                      executed on the CPU reference: shapes as inferred, finite values, gradients against finite
                      differences, deterministic evaluation, kernels within WebGPU's limits; a failure is shrunk
  profile FILE --data SOURCE [--batch B] [--steps N] [--adapter A] [--json] [--html F.html]
                      GPU time of a training step per kernel, by .dlg line (device timestamps where available)
  lsp [--stdio]        a language server for editors (diagnostics as you type, hover types, definitions,
                      completion, formatting) on stdin and stdout
  sample FILE --weights W [--prompt TEXT] [--length N] [--temperature X] [--top-k K] [--seed S] [--backend B]
                      text from a model trained on text (causal: tokens see only the past)

model options (every command that reads a model): --model NAME, --set k=v (a hyperparameter),
  --dim D=n (a size for a symbolic input dim, e.g. a sequence length)

exit status: 0 ok, 1 errors in the program, 2 bad usage`;

const modelOptions = {
  model: { type: "string" },
  set: { type: "string", multiple: true },
  dim: { type: "string", multiple: true },
} as const satisfies ParseArgsConfig["options"];

function checkOptionsOf(values: { set?: string[]; dim?: string[]; model?: string }): CheckOptions {
  const dims = dimsFrom(values.dim);
  return { overrides: overridesFrom(values.set), ...(values.model !== undefined ? { model: values.model } : {}), ...(Object.keys(dims).length > 0 ? { dims } : {}) };
}

/** `--dim T=28`: a size for a symbolic input dim (a recurrence over T is unrolled for it). */
function dimsFrom(texts: readonly string[] | undefined): Record<string, number> {
  const out = Object.create(null) as Record<string, number>;
  for (const text of texts ?? []) {
    const eq = text.indexOf("=");
    if (eq <= 0) throw new UsageError(`--dim expects NAME=SIZE, got '${text}'`);
    const name = text.slice(0, eq).trim();
    const raw = text.slice(eq + 1).trim();
    const size = /^[0-9]+$/.test(raw) ? Number(raw) : NaN;
    if (!(Number.isSafeInteger(size) && size >= 1)) throw new UsageError(`--dim ${name}: the size must be a positive integer, got '${raw}'`);
    if (Object.hasOwn(out, name)) throw new UsageError(`--dim ${name} is given twice`);
    out[name] = size;
  }
  return out;
}

export async function main(argv: readonly string[], io: CliIO): Promise<number> {
  try {
    return await run(argv, io);
  } catch (e) {
    if (e instanceof UsageError) {
      io.stderr(`dlg: ${e.message}\n`);
      return 2;
    }
    const failure = runtimeFailure(e) ?? fileSystemFailure(e);
    if (failure !== undefined) {
      io.stderr(`dlg: ${failure}\n`);
      return 1;
    }
    throw e;
  }
}

/** A file-system error no command words itself (a disk that fills, a directory that vanishes): one line. */
function fileSystemFailure(e: unknown): string | undefined {
  if (e instanceof FileSystemError) return e.message;
  if (!(e instanceof Error) || !("syscall" in e) || !("code" in e)) return undefined;
  const path = "path" in e && typeof e.path === "string" ? `${e.path}: ` : "";
  return `${path}${String(e.syscall)} failed: ${ioReason(e)}`;
}

/** `dlg COMMAND --help`: the usage lines of that command, from the one usage text. */
function commandUsage(command: string): string | undefined {
  const lines = USAGE.split("\n");
  const start = lines.findIndex((l) => l.startsWith(`  ${command} `));
  if (start < 0) return undefined;
  let end = start + 1;
  while (end < lines.length && lines[end]!.startsWith("   ")) end++;
  return `usage: dlg${lines.slice(start, end).join("\n").slice(1)}`;
}

async function run(argv: readonly string[], io: CliIO): Promise<number> {
  const [command, ...rest] = argv;
  if (command !== undefined && (rest.includes("--help") || rest.includes("-h"))) {
    const usage = commandUsage(command);
    if (usage !== undefined) {
      io.stdout(usage + "\n");
      return 0;
    }
  }
  switch (command) {
    case "check":
      return checkCommand(rest, io);
    case "fmt":
      return fmtCommand(rest, io);
    case "graph":
      return graphFileCommand(rest, io);
    case "train":
    case "run":
    case "init":
    case "grad":
    case "profile":
      return executeCommand(command, rest, io);
    case "compile":
      return compileFileCommand(rest, io);
    case "export":
      return exportFileCommand(rest, io);
    case "test":
      return testFileCommand(rest, io);
    case "lsp":
      if (rest.some((a) => a !== "--stdio")) throw new UsageError(`lsp: takes no options but --stdio (it speaks the Language Server Protocol on stdin and stdout), got ${rest.join(" ")}`);
      startServer();
      return 0;
    case "sample":
      return sampleFileCommand(rest, io);
    case "help":
    case "--help":
    case "-h":
      io.stdout(USAGE + "\n");
      return 0;
    case undefined:
      io.stderr(USAGE + "\n");
      return 2;
    default:
      throw new UsageError(`unknown command '${command}' (commands: check, fmt, graph, train, run, init, grad, compile, export, test, lsp, profile, sample; see dlg --help)`);
  }
}

function parseCommandArgs<O extends NonNullable<ParseArgsConfig["options"]>>(command: string, args: readonly string[], options: O) {
  try {
    const parsed = parseArgs({ args: negativeValuesJoined(args, options), options, allowPositionals: true, strict: true });
    if (parsed.positionals.length !== 1)
      throw new UsageError(parsed.positionals.length === 0 ? `${command}: missing FILE` : `${command}: expected one FILE, got ${parsed.positionals.join(" ")}`);
    return { file: parsed.positionals[0]!, values: parsed.values };
  } catch (e) {
    if (e instanceof UsageError) throw e;
    // parseArgs's messages are one line already; keep only the first sentence.
    const message = e instanceof Error ? e.message.split(/\.(?:\s|$)/)[0]! : String(e);
    throw new UsageError(`${command}: ${message}`);
  }
}

/**
 * `--epochs -1` as `--epochs=-1`: parseArgs takes a value that starts with `-` for an option ("ambiguous"), but a
 * negative number after an option that expects a value is that value, and its check then says what is wrong with it.
 */
function negativeValuesJoined(args: readonly string[], options: NonNullable<ParseArgsConfig["options"]>): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    const next = args[i + 1];
    const option = arg.startsWith("--") && Object.hasOwn(options, arg.slice(2)) ? options[arg.slice(2)] : undefined;
    if (option?.type === "string" && next !== undefined && /^-(\d|\.\d|inf|nan)/i.test(next)) {
      out.push(`${arg}=${next}`);
      i++;
    } else out.push(arg);
  }
  return out;
}

function readSource(path: string): SourceFile {
  try {
    return { path, text: readFileSync(path, "utf8") };
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const reason = code === "ENOENT" ? "no such file" : code === "EISDIR" ? "it is a directory" : code === "EACCES" ? "permission denied" : (e as Error).message;
    throw new UsageError(`cannot read ${path}: ${reason}`);
  }
}

function overridesFrom(sets: readonly string[] | undefined): Record<string, string> {
  // No prototype: `--set __proto__=1` is a hyperparameter the model lacks, reported as such.
  const out = Object.create(null) as Record<string, string>;
  for (const s of sets ?? []) {
    const eq = s.indexOf("=");
    if (eq <= 0) throw new UsageError(`--set expects k=v, got '${s}'`);
    const key = s.slice(0, eq).trim();
    if (Object.hasOwn(out, key)) throw new UsageError(`--set ${key} is given twice ('${key}=${out[key]}' and '${s}')`);
    out[key] = s.slice(eq + 1);
  }
  return out;
}

function checkCommand(args: readonly string[], io: CliIO): number {
  const { file, values } = parseCommandArgs("check", args, { ...modelOptions, json: { type: "boolean" }, "dump-ir": { type: "boolean" } });
  const source = readSource(file);
  const options = checkOptionsOf(values);
  const result = compile(source.text, source.path, options);
  if (values.json) {
    io.stdout(JSON.stringify(checkToJson(result, source), null, 2) + "\n");
    return result.ok ? 0 : 1;
  }
  io.stderr(diagnosticsText(result, source, io.color));
  if (!result.ok || !result.check) return 1;
  io.stdout(checkReport(result));
  if (values["dump-ir"]) io.stdout("\n" + printGraph(result.check.graph));
  return 0;
}

async function fmtCommand(args: readonly string[], io: CliIO): Promise<number> {
  const { file, values } = parseCommandArgs("fmt", args, { write: { type: "boolean" }, check: { type: "boolean" } });
  if (values.write && values.check) throw new UsageError("fmt: --write and --check exclude each other");
  const source = readSource(file);
  const parsed = parse(source.text, source.path);
  if (parsed.diagnostics.errorCount > 0) {
    io.stderr(diagnosticsText({ program: parsed.program, diagnostics: parsed.diagnostics.items, ok: false }, source, io.color));
    return 1;
  }
  const formatted = formatProgram(parsed.program, source.text);
  if (values.check) {
    if (formatted === source.text) return 0;
    io.stderr(`${file}: not formatted (run dlg fmt --write ${file})\n`);
    return 1;
  }
  if (values.write) {
    if (formatted !== source.text) {
      await writeOutputFile(file, formatted);
    }
    return 0;
  }
  io.stdout(formatted);
  return 0;
}

async function graphFileCommand(args: readonly string[], io: CliIO): Promise<number> {
  const { file, values } = parseCommandArgs("graph", args, {
    ...modelOptions,
    format: { type: "string", default: "dot" },
    backward: { type: "boolean" },
    fused: { type: "boolean" },
    batch: { type: "string" },
    output: { type: "string", short: "o" },
  });
  const format = values.format as string;
  if (format !== "dot" && format !== "mermaid" && format !== "svg") throw new UsageError(`graph: --format must be dot, mermaid or svg, got '${format}'`);
  if (values.batch !== undefined && !values.fused) throw new UsageError("graph: --batch is for --fused (the batch size the kernels are compiled for)");
  const batch = positiveInt("batch", values.batch, 64);
  const source = readSource(file);
  const options = checkOptionsOf(values);
  const result = compile(source.text, source.path, options);
  io.stderr(diagnosticsText(result, source, io.color));
  if (!result.ok || !result.check) return 1;
  return graphCommand(result.check.graph, result.check.model ?? "model", {
    format, backward: values.backward ?? false, ...(values.fused ? { fusedBatch: batch } : {}), ...(values.output !== undefined ? { out: values.output } : {}),
  }, io);
}

function testFileCommand(args: readonly string[], io: CliIO): number {
  const { file, values } = parseCommandArgs("test", args, {
    ...modelOptions,
    runs: { type: "string" },
    seed: { type: "string" },
    "max-dim": { type: "string" },
    "data-seed": { type: "string" },
    "no-gpu": { type: "boolean" },
  });
  const runs = positiveInt("runs", values.runs, 50);
  const maxDim = positiveInt("max-dim", values["max-dim"], 6);
  const seed = seedOf(values.seed);
  const dataSeed = values["data-seed"] === undefined ? undefined : seedOf(values["data-seed"]);
  const source = readSource(file);
  const set = overridesFrom(values.set);
  const dims = dimsFrom(values.dim);
  return testCommand(source.text, {
    file, runs, seed, maxDim, set, dims, ...(dataSeed !== undefined ? { dataSeed } : {}), ...(values.model !== undefined ? { model: values.model } : {}),
    ...(values["no-gpu"] ? { gpu: false } : {}),
  }, io);
}

async function exportFileCommand(args: readonly string[], io: CliIO): Promise<number> {
  const { file, values } = parseCommandArgs("export", args, {
    ...modelOptions,
    format: { type: "string" },
    weights: { type: "string" },
    output: { type: "string", short: "o" },
  });
  if (values.format === undefined) throw new UsageError("export: missing --format onnx|torch");
  if (values.format !== "onnx" && values.format !== "torch") throw new UsageError(`export: --format must be onnx or torch, got '${values.format}'`);
  if (values.output === undefined) throw new UsageError("export: missing -o FILE");
  const source = readSource(file);
  const result = compile(source.text, source.path, checkOptionsOf(values));
  io.stderr(diagnosticsText(result, source, io.color));
  if (!result.ok || !result.check) return 1;
  return exportCommand(result.check.graph, result.check.model ?? "model", {
    format: values.format, source: file, out: values.output, ...(values.weights !== undefined ? { weights: values.weights } : {}),
  }, io);
}

async function compileFileCommand(args: readonly string[], io: CliIO): Promise<number> {
  const { file, values } = parseCommandArgs("compile", args, {
    ...modelOptions,
    batch: { type: "string" },
    output: { type: "string", short: "o" },
    lr: { type: "string" },
    "no-fuse": { type: "boolean" },
    json: { type: "boolean" },
    web: { type: "string" },
    weights: { type: "string" },
    seed: { type: "string" },
    "fixed-batch": { type: "boolean" },
    report: { type: "string" },
  });
  if (values.batch === undefined) throw new UsageError("compile: missing --batch N (the largest batch the programs run)");
  if (values.output !== undefined && values.web !== undefined) throw new UsageError("compile: give -o DIR or --web DIR (the artifacts and a page), not both");
  const out = values.output ?? values.web;
  if (out === undefined) throw new UsageError("compile: missing -o DIR");
  if (values.web === undefined && (values.weights !== undefined || values.seed !== undefined))
    throw new UsageError(`compile: ${values.weights !== undefined ? "--weights" : "--seed"} is for the page of --web DIR`);
  const batch = positiveInt("batch", values.batch, 1);
  const lr = positiveNumber("lr", values.lr);
  if (values.report !== undefined) {
    if (!/\.html?$/i.test(values.report)) throw new UsageError(`compile: --report ${values.report}: the report is written as an .html file`);
    checkOutputFile("--report", values.report, [{ path: file, role: "the model source" }]);
  }
  const source = readSource(file);
  const options = checkOptionsOf(values);
  const result = compile(source.text, source.path, options);
  io.stderr(diagnosticsText(result, source, io.color));
  if (!result.ok || !result.check) return 1;
  const graph = result.check.graph;
  const fixedDims = options.dims;
  const optimizer = lr !== undefined && graph.optimizer ? { ...graph.optimizer, args: { ...graph.optimizer.args, lr } } : undefined;
  const web = values.web === undefined ? undefined : {
    seed: seedOf(values.seed),
    ...(values.weights !== undefined ? { weights: encodeSafetensors(await modelWeights(graph, values.weights)) } : {}),
  };
  return compileCommand(graph, result.check.model ?? "model", {
    batch, out, fuse: !values["no-fuse"], json: values.json ?? false, ...(optimizer ? { optimizer } : {}), ...(web ? { web } : {}),
    ...(fixedDims ? { fixedDims } : {}), ...(values["fixed-batch"] ? { varyBatch: false } : {}),
    ...(values.report !== undefined ? { report: { path: values.report, source: { path: source.path, text: source.text } } } : {}),
  }, io);
}

async function sampleFileCommand(args: readonly string[], io: CliIO): Promise<number> {
  const { file, values } = parseCommandArgs("sample", args, {
    ...modelOptions,
    weights: { type: "string" },
    prompt: { type: "string", default: "" },
    length: { type: "string" },
    temperature: { type: "string" },
    "top-k": { type: "string" },
    seed: { type: "string" },
    backend: { type: "string" },
    adapter: { type: "string" },
  });
  if (values.weights === undefined) throw new UsageError("sample: missing --weights W");
  const length = positiveInt("length", values.length, 200);
  const temperature = values.temperature === undefined ? 1 : Number(values.temperature);
  if (!(Number.isFinite(temperature) && temperature >= 0)) throw new UsageError(`--temperature expects a number >= 0 (0 picks the most likely token), got '${values.temperature}'`);
  const topK = values["top-k"] === undefined ? undefined : positiveInt("top-k", values["top-k"], 1);
  const backend = { backend: requireBackend(values.backend, "auto"), adapter: requireAdapter(values.adapter) };
  const seed = seedOf(values.seed);
  const source = readSource(file);
  const options = checkOptionsOf(values);
  const result = compile(source.text, source.path, options);
  io.stderr(diagnosticsText(result, source, io.color));
  if (!result.ok || !result.check) return 1;
  return sampleCommand(result.check.graph, result.check.model ?? "model", {
    ...backend, weights: values.weights, prompt: values.prompt as string, length, temperature, seed, ...(topK !== undefined ? { topK } : {}),
  }, io);
}

const executeOptions = {
  ...modelOptions,
  data: { type: "string" },
  epochs: { type: "string" },
  batch: { type: "string" },
  lr: { type: "string" },
  seed: { type: "string" },
  backend: { type: "string" },
  adapter: { type: "string" },
  save: { type: "string" },
  resume: { type: "string" },
  plot: { type: "string" },
  steps: { type: "string" },
  html: { type: "string" },
  weights: { type: "string" },
  holdout: { type: "string" },
  "test-data": { type: "string" },
  tokens: { type: "string" },
  output: { type: "string", short: "o" },
  json: { type: "boolean" },
} as const satisfies ParseArgsConfig["options"];

/** Options each command accepts beyond the model options; the rest are refused, not silently ignored. */
const ACCEPTED: Record<string, readonly string[]> = {
  train: ["data", "epochs", "batch", "lr", "seed", "backend", "adapter", "save", "resume", "holdout", "test-data", "tokens", "json", "plot"],
  run: ["data", "weights", "batch", "backend", "adapter", "holdout", "test-data", "tokens", "json", "output"],
  init: ["seed", "output"],
  grad: ["data", "weights", "batch", "backend", "adapter", "holdout", "test-data", "tokens", "output"],
  profile: ["data", "batch", "adapter", "steps", "json", "html", "holdout", "test-data", "tokens"],
};

async function executeCommand(command: string, args: readonly string[], io: CliIO): Promise<number> {
  const { file, values } = parseCommandArgs(command, args, executeOptions);
  for (const key of Object.keys(values)) {
    if (key !== "model" && key !== "set" && !ACCEPTED[command]!.includes(key)) throw new UsageError(`${command}: --${key} does not apply to ${command}`);
  }
  const need = (key: "data" | "weights" | "output", flag: string): string => {
    const v = values[key];
    if (v === undefined) throw new UsageError(`${command}: missing ${flag}`);
    return v;
  };
  const tokens = values.tokens as Tokenization | undefined;
  if (tokens !== undefined && tokens !== "bytes" && tokens !== "chars") throw new UsageError(`--tokens must be bytes or chars, got '${tokens}'`);
  if (values.holdout !== undefined && values["test-data"] !== undefined) throw new UsageError(`${command}: --holdout and --test-data exclude each other`);
  const holdout = values.holdout === undefined ? undefined : Number(values.holdout);
  if (holdout !== undefined && !(holdout > 0 && holdout < 1)) throw new UsageError(`--holdout expects a fraction between 0 and 1, got '${values.holdout}'`);
  // Training and inference default to the GPU when there is one; gradients, for checking a model, to the reference.
  const backend = { backend: requireBackend(values.backend, command === "grad" ? "cpu" : "auto"), adapter: requireAdapter(values.adapter) };
  // Validate every flag before the (possibly slow) compile and data load.
  const batch = positiveInt("batch", values.batch, command === "grad" ? 32 : 64);
  const epochs = positiveInt("epochs", values.epochs, 10);
  const seed = seedOf(values.seed);
  const lr = positiveNumber("lr", values.lr);
  const dataFlags = () => ({
    data: need("data", "--data SOURCE"),
    ...(holdout !== undefined ? { holdout } : {}),
    ...(values["test-data"] !== undefined ? { testFile: values["test-data"] } : {}),
    ...(tokens !== undefined ? { tokens } : {}),
  });
  if (command === "init") need("output", "-o W.safetensors");
  if (command === "grad") need("output", "-o G.safetensors");
  if (command === "run" || command === "grad") need("weights", "--weights F");
  if (command !== "init") dataFlags();

  const source = readSource(file);
  const options = checkOptionsOf(values);
  const result = compile(source.text, source.path, options);
  io.stderr(diagnosticsText(result, source, io.color));
  if (!result.ok || !result.check) return 1;
  const graph = result.check.graph;
  const name = result.check.model ?? "model";
  // A recurrence over a symbolic length (`T`) is unrolled once T is known: the model is checked again with the
  // sizes the data gives its inputs.
  const bindLengths = (unbound: Graph, split: Split): Graph => {
    const env = bindDims(unbound, new Map(unbound.inputs.map((i) => [i.name, split[i.name]?.shape ?? []])));
    const dims: Record<string, number> = { ...options.dims };
    for (const node of unbound.nodes) {
      if (node.op !== "recurrence") continue;
      for (const sym of (node.attrs as OpAttrs<"recurrence">).length.symbols()) dims[sym] = env.get(sym)!;
    }
    const bound = compile(source.text, source.path, { ...options, dims });
    if (!bound.ok || !bound.check) {
      io.stderr(diagnosticsText(bound, source, io.color));
      throw new UsageError(`the model does not check with the sizes of the data (${Object.entries(dims).map(([k, v]) => `${k}=${v}`).join(", ")})`);
    }
    return bound.check.graph;
  };
  switch (command) {
    case "profile":
      return profileCommand(graph, name, { path: source.path, text: source.text }, {
        ...dataFlags(), batch, steps: positiveInt("steps", values.steps, 10), json: values.json ?? false, adapter: backend.adapter,
        ...(values.html !== undefined ? { html: values.html } : {}),
      }, io);
    case "train":
      return trainCommand(graph, name, {
        ...dataFlags(), bindLengths, ...backend, source: file, epochs, batch, seed, json: values.json ?? false, progress: Boolean(process.stderr.isTTY),
        ...(lr !== undefined ? { lr } : {}),
        ...(values.save !== undefined ? { save: values.save } : {}),
        ...(values.resume !== undefined ? { resume: values.resume } : {}),
        ...(values.plot !== undefined ? { plot: values.plot } : {}),
      }, io);
    case "run":
      return runCommand(graph, name, {
        ...dataFlags(), bindLengths, ...backend, source: file, weights: need("weights", "--weights F"), batch, json: values.json ?? false,
        ...(values.output !== undefined ? { output: values.output } : {}),
      }, io);
    case "init":
      return initCommand(graph, name, seed, need("output", "-o W.safetensors"), file, io);
    default:
      return gradCommand(graph, name, { ...dataFlags(), bindLengths, ...backend, source: file, weights: need("weights", "--weights F"), batch, out: need("output", "-o G.safetensors") }, io);
  }
}
