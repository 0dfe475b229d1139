// The `dlg` command: check, fmt, graph. Usage mistakes exit 2 with one line; source errors exit 1 with diagnostics.
import { readFileSync, renameSync, writeFileSync } from "node:fs";
import { parseArgs, type ParseArgsConfig } from "node:util";
import { formatProgram } from "../compiler/1-parse/format.js";
import { parse } from "../compiler/1-parse/parse.js";
import { compile } from "../compiler/index.js";
import { printGraph } from "../compiler/ir/print.js";
import { renderGraph, type GraphFormat } from "../compiler/ir/render.js";
import type { SourceFile } from "../compiler/diagnostics/span.js";
import { UsageError, type CliIO } from "./io.js";
import { checkReport, checkToJson, diagnosticsText } from "./render.js";

const USAGE = `usage: dlg <command> [options]

commands:
  check FILE [--model NAME] [--set k=v]... [--json] [--dump-ir]
                      parse and shape-check a model; print bindings, parameters and their count
  fmt FILE [--write | --check]
                      print FILE in canonical form (--write rewrites it, --check exits 1 if it differs)
  graph FILE [--model NAME] [--set k=v]... [--format dot|mermaid]
                      the forward graph of primitive ops

exit status: 0 ok, 1 errors in the program, 2 bad usage`;

const modelOptions = {
  model: { type: "string" },
  set: { type: "string", multiple: true },
} as const satisfies ParseArgsConfig["options"];

export async function main(argv: readonly string[], io: CliIO): Promise<number> {
  try {
    return run(argv, io);
  } catch (e) {
    if (e instanceof UsageError) {
      io.stderr(`dlg: ${e.message}\n`);
      return 2;
    }
    throw e;
  }
}

function run(argv: readonly string[], io: CliIO): number {
  const [command, ...rest] = argv;
  switch (command) {
    case "check":
      return checkCommand(rest, io);
    case "fmt":
      return fmtCommand(rest, io);
    case "graph":
      return graphCommand(rest, io);
    case "help":
    case "--help":
    case "-h":
      io.stdout(USAGE + "\n");
      return 0;
    case undefined:
      io.stderr(USAGE + "\n");
      return 2;
    default:
      throw new UsageError(`unknown command '${command}' (commands: check, fmt, graph; see dlg --help)`);
  }
}

function parseCommandArgs<O extends NonNullable<ParseArgsConfig["options"]>>(command: string, args: readonly string[], options: O) {
  try {
    const parsed = parseArgs({ args: [...args], options, allowPositionals: true, strict: true });
    if (parsed.positionals.length !== 1)
      throw new UsageError(parsed.positionals.length === 0 ? `${command}: missing FILE` : `${command}: expected one FILE, got ${parsed.positionals.join(" ")}`);
    return { file: parsed.positionals[0]!, values: parsed.values };
  } catch (e) {
    if (e instanceof UsageError) throw e;
    // parseArgs's messages are one line already; keep only the first sentence.
    const message = e instanceof Error ? e.message.split(". ")[0]!.replace(/\.$/, "") : String(e);
    throw new UsageError(`${command}: ${message}`);
  }
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
  const out: Record<string, string> = {};
  for (const s of sets ?? []) {
    const eq = s.indexOf("=");
    if (eq <= 0) throw new UsageError(`--set expects k=v, got '${s}'`);
    out[s.slice(0, eq).trim()] = s.slice(eq + 1);
  }
  return out;
}

function checkCommand(args: readonly string[], io: CliIO): number {
  const { file, values } = parseCommandArgs("check", args, { ...modelOptions, json: { type: "boolean" }, "dump-ir": { type: "boolean" } });
  const source = readSource(file);
  const options = { overrides: overridesFrom(values.set), ...(values.model !== undefined ? { model: values.model } : {}) };
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

function fmtCommand(args: readonly string[], io: CliIO): number {
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
      // Write beside the file and rename over it, so a crash never leaves half a source file.
      const temp = `${file}.dlg-fmt-${process.pid}.tmp`;
      writeFileSync(temp, formatted);
      renameSync(temp, file);
    }
    return 0;
  }
  io.stdout(formatted);
  return 0;
}

function graphCommand(args: readonly string[], io: CliIO): number {
  const { file, values } = parseCommandArgs("graph", args, { ...modelOptions, format: { type: "string", default: "dot" } });
  const format = values.format as string;
  if (format !== "dot" && format !== "mermaid") throw new UsageError(`graph: --format must be dot or mermaid, got '${format}'`);
  const source = readSource(file);
  const options = { overrides: overridesFrom(values.set), ...(values.model !== undefined ? { model: values.model } : {}) };
  const result = compile(source.text, source.path, options);
  io.stderr(diagnosticsText(result, source, io.color));
  if (!result.ok || !result.check) return 1;
  io.stdout(renderGraph(result.check.graph, result.check.model ?? "model", format as GraphFormat));
  return 0;
}
