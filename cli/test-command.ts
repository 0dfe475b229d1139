// `dlg test FILE`: property tests of the user's model (testing/model-properties.ts), a summary line, and for a
// failure the smallest case and a command that reproduces it.
import { testModel, ModelPropertyError, type ModelTestOptions } from "../testing/model-properties.js";
import type { CliIO } from "./io.js";

export interface TestFlags extends ModelTestOptions {
  file: string;
  runs: number;
  seed: number;
}

/** Quotes an argument for a POSIX shell when it needs it. */
function shellWord(s: string): string {
  return /^[A-Za-z0-9_./=:-]+$/.test(s) ? s : `'${s.replace(/'/g, "'\\''")}'`;
}

export function testCommand(source: string, flags: TestFlags, io: CliIO): number {
  let report;
  try {
    report = testModel(source, flags.file, flags);
  } catch (e) {
    if (e instanceof ModelPropertyError) {
      io.stderr(`dlg: test: ${e.message}\n`);
      return 1;
    }
    throw e;
  }
  if (!report.failure) {
    io.stdout(`${report.model}: ${report.runs} runs passed (seed ${report.seed}): shapes as inferred, finite outputs, loss and gradients, gradients match finite differences, evaluation deterministic${flags.gpu === false ? "" : ", kernels within WebGPU's core limits"}\n`);
    return 0;
  }
  const { case: c, message, shrinks } = report.failure;
  const values = [...Object.entries(c.dims), ...Object.entries(c.hyperparameters)].map(([k, v]) => `${k}=${v}`);
  const pins = [
    ...(flags.model !== undefined ? ["--model", flags.model] : []),
    ...Object.entries({ ...flags.set, ...Object.fromEntries(Object.entries(c.hyperparameters).map(([k, v]) => [k, String(v)])) }).flatMap(([k, v]) => ["--set", `${k}=${v}`]),
    ...Object.entries({ ...flags.dims, ...c.dims }).flatMap(([k, v]) => ["--dim", `${k}=${v}`]),
    "--data-seed", String(c.dataSeed),
  ];
  io.stdout(`${report.model}: FAILED (seed ${report.seed}): ${message}\n`);
  io.stdout(`  smallest failing case (after ${shrinks} shrinks): ${[...values, `data seed ${c.dataSeed}`].join(", ")}\n`);
  io.stdout(`  reproduce: ${["dlg", "test", flags.file, "--runs", "1", "--seed", String(report.seed), ...pins].map(shellWord).join(" ")}\n`);
  return 1;
}
