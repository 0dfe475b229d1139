// Shared test helpers: compile a source string, render its diagnostics, run the CLI in-process, expect an error of a
// class and message, compare with golden files.
import { compile, type CompileResult } from "../compiler/index.js";
import { renderAll } from "../compiler/diagnostics/diagnostic.js";
import { main } from "../cli/main.js";
import type { CheckOptions } from "../compiler/2-check/check.js";
import { formatType } from "../compiler/ir/types.js";
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { Random } from "../runtime/random.js";
import { hostTensor, type HostTensor } from "../runtime/tensor.js";
import type { Graph } from "../compiler/ir/graph.js";
import { expect } from "vitest";

/** Uniform [0, 1) numbers from the project's seeded generator; any integer seed (fast-check draws negatives too). */
export function uniformStream(seed: number): () => number {
  const r = new Random(seed >>> 0);
  return () => r.nextFloat();
}

export function compileText(text: string, options: CheckOptions = {}, file = "test.dlg"): CompileResult {
  return compile(text, file, options);
}

export function rendered(result: CompileResult, text: string, file = "test.dlg"): string {
  return renderAll(result.diagnostics, { path: file, text });
}

/** The type of a model-level binding (last one of that name), as text. */
export function bindingType(result: CompileResult, name: string): string | undefined {
  const b = [...(result.check?.bindings ?? [])].reverse().find((x) => x.name === name);
  return b?.type ? formatType(b.type) : b?.description;
}

export async function runCli(argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = "";
  let stderr = "";
  const code = await main(argv, { stdout: (t) => void (stdout += t), stderr: (t) => void (stderr += t), color: false });
  return { code, stdout, stderr };
}

/** One random batch for the graph's inputs: floats in [0, 1), integer labels below `classes`. */
export function randomBatch(graph: Graph, rows: number, classes: number, random: Random): Record<string, HostTensor> {
  return Object.fromEntries(graph.inputs.map((i) => {
    const shape = i.type.shape.map((d, k) => (k === 0 ? rows : d.constValue()!));
    const n = shape.reduce((a, b) => a * b, 1);
    return [i.name, i.type.dtype === "i32"
      ? hostTensor("i32", shape, Int32Array.from({ length: n }, () => random.nextInt(classes)))
      : hostTensor("f32", shape, Float32Array.from({ length: n }, () => random.nextFloat()))];
  }));
}

/** The repository root, for tests that read examples, goldens or the built CLI wherever their own file sits. */
export const ROOT = join(import.meta.dirname, "..");

/** `text` as a RegExp source matching exactly it, to embed a path or a name in a message pattern. */
export function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** An error class, for the helpers below; `never[]` lets any constructor signature fit. */
export type ErrorClass<E extends Error> = new (...args: never[]) => E;

const describeExpected = (errorClass: ErrorClass<Error>, message: string | RegExp) =>
  `${errorClass.name} (${typeof message === "string" ? JSON.stringify(message) : String(message)})`;

function expectedError<E extends Error>(thrown: unknown, errorClass: ErrorClass<E>, message: string | RegExp): E {
  // Exact class, not instanceof: a subclass (or a same-named class from another module) is a different contract.
  if (!(thrown instanceof Error) || thrown.constructor !== errorClass) {
    const got = thrown instanceof Error ? `${thrown.constructor.name} (${JSON.stringify(thrown.message)})` : `the non-error ${String(thrown)}`;
    const twin = thrown instanceof Error && thrown.constructor.name === errorClass.name ? ", a different class of the same name" : "";
    expect.fail(`expected ${describeExpected(errorClass, message)}, got ${got}${twin}`);
  }
  const error = thrown as E;
  if (typeof message === "string") expect(error.message, `message of the ${errorClass.name}`).toBe(message);
  else expect(error.message, `message of the ${errorClass.name}`).toMatch(message);
  expect(error.message, `the ${errorClass.name}'s message is one line`).not.toMatch(/[\r\n]/);
  return error;
}

/**
 * Calls `fn` and asserts it throws an instance of exactly `errorClass` whose message is `message` (a string: equal;
 * a RegExp: matching) and is one line. Returns the error for further checks.
 */
export function expectThrows<E extends Error>(fn: () => unknown, errorClass: ErrorClass<E>, message: string | RegExp): E {
  let result: unknown;
  try {
    result = fn();
  } catch (e) {
    return expectedError(e, errorClass, message);
  }
  if (result instanceof Promise) {
    result.catch(() => undefined);
    expect.fail(`expected ${describeExpected(errorClass, message)} to be thrown, but the function returned a promise (use expectRejects)`);
  }
  return expect.fail(`expected ${describeExpected(errorClass, message)} to be thrown, but nothing was thrown`);
}

/** As `expectThrows`, for a promise that must reject. */
export async function expectRejects<E extends Error>(promise: Promise<unknown>, errorClass: ErrorClass<E>, message: string | RegExp): Promise<E> {
  try {
    await promise;
  } catch (e) {
    return expectedError(e, errorClass, message);
  }
  return expect.fail(`expected ${describeExpected(errorClass, message)} as the rejection, but the promise resolved`);
}

const UPDATE_GOLDEN = process.env["UPDATE_GOLDEN"] === "1";

/** A missing golden is written outside CI (a new example gets one on its first run) and is a failure under CI=true. */
function missingGolden(path: string): boolean {
  if (existsSync(path)) return false;
  if (process.env["CI"] === "true") expect.fail(`${relative(ROOT, path)} is missing: run this test with UPDATE_GOLDEN=1 and commit what it writes`);
  return true;
}

/** Compares `actual` with the golden file at `path`; UPDATE_GOLDEN=1 rewrites the file instead. */
export function expectGolden(path: string, actual: string): void {
  if (UPDATE_GOLDEN || missingGolden(path)) {
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, actual);
  }
  expect(actual, relative(ROOT, path)).toBe(readFileSync(path, "utf8"));
}

/**
 * Compares `files` (name -> text) with the golden folder `dir`: the same names, each with the same text, every
 * difference reported. UPDATE_GOLDEN=1 replaces the folder, so a file no longer produced goes with it.
 */
export function expectGoldenDir(dir: string, files: ReadonlyMap<string, string>): void {
  if (UPDATE_GOLDEN || missingGolden(dir)) {
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    for (const [name, text] of files) writeFileSync(join(dir, name), text);
  }
  const where = relative(ROOT, dir);
  expect([...files.keys()].sort(), `the files of ${where}`).toEqual(readdirSync(dir).sort());
  for (const [name, text] of files) expect.soft(text, `${where}/${name}`).toBe(readFileSync(join(dir, name), "utf8"));
}

/** Rows for every input: floats in [0, 1), class labels below their class count, token ids below the vocabulary. */
export function randomModelData(graph: Graph, rows: number, random: Random): Map<string, HostTensor> {
  const vocab = graph.nodes.find((n) => n.op === "gather")?.inputs[0];
  const tokens = vocab === undefined ? 2 : graph.nodes[vocab]!.type.shape[0]!.constValue()!;
  return new Map(graph.inputs.map((i) => {
    const shape = i.type.shape.map((d, k) => (k === 0 ? rows : d.constValue()!));
    const n = shape.reduce((a, b) => a * b, 1);
    const classes = graph.labelInputs?.find((l) => l.input === i.name)?.classes ?? tokens;
    return [i.name, i.type.dtype === "i32"
      ? hostTensor("i32", shape, Int32Array.from({ length: n }, () => random.nextInt(classes)))
      : hostTensor("f32", shape, Float32Array.from({ length: n }, () => random.nextFloat()))];
  }));
}

/**
 * batch_norm's running statistics as a trained model would have them (means in [-0.5, 0.5), variances in [0.5, 1.5)),
 * so that evaluation-mode normalization is exercised with values other than the initial zeros and ones.
 */
export function randomRunningStatistics(buffers: Map<string, HostTensor>, random: Random): Map<string, HostTensor> {
  for (const [name, t] of buffers) {
    for (let i = 0; i < t.data.length; i++) {
      if (name.endsWith("running_var")) t.data[i] = 0.5 + random.nextFloat();
      else if (name.endsWith("running_mean")) t.data[i] = random.nextFloat() - 0.5;
    }
  }
  return buffers;
}
