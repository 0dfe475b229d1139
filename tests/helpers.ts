// Shared test helpers: compile a source string, render its diagnostics, run the CLI in-process.
import { compile, type CompileResult } from "../compiler/index.js";
import { renderAll } from "../compiler/diagnostics/diagnostic.js";
import { main } from "../cli/main.js";
import type { CheckOptions } from "../compiler/2-check/check.js";
import { formatType } from "../compiler/ir/types.js";
import { join } from "node:path";
import { Random } from "../runtime/random.js";
import { hostTensor, type HostTensor } from "../runtime/tensor.js";
import type { Graph } from "../compiler/ir/graph.js";

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
