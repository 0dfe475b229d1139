// `dlg test` and `dlg/testing`: property tests of a user's own model. Every example passes; a model run on an executor
// that disagrees with shape inference (relu's reference planted to drop an element at odd batch sizes) fails, shrinks
// to the smallest odd batch and smallest hyperparameters, and prints a command that reproduces exactly that failure.
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { afterEach, describe, expect, it, vi } from "vitest";
import { getOp } from "../../compiler/ir/registry.js";
import type { HostData } from "../../compiler/ir/define-op.js";
import { modelProperty } from "../../testing/model-properties.js";
import { ROOT, runCli } from "../helpers.js";

const dir = mkdtempSync(join(tmpdir(), "dlg-test-"));
const EXAMPLES = readdirSync(join(ROOT, "dsl-examples")).filter((f) => f.endsWith(".dlg")).sort();
const MODEL = `model Small(h: int = 5) {
  input x: f32[N, 3]
  input y: i32[N]
  z = dense(x, h) -> relu
  logits = dense(z, 2)
  output logits
  train cross_entropy(logits, y) with sgd(lr: 0.1)
}
`;

afterEach(() => vi.restoreAllMocks());

/** Plants the disagreement: relu's reference returns one element too few when its input has an odd number of rows. */
function plantOddRowBug(): void {
  const relu = getOp("relu");
  const reference = relu.reference.bind(relu);
  vi.spyOn(relu, "reference").mockImplementation((inputs, attrs, ctx) => {
    const out = reference(inputs, attrs, ctx) as HostData;
    return ctx.inputs[0]!.shape[0]! % 2 === 1 ? (out.subarray(0, out.length - 1) as HostData) : out;
  });
}

describe("dlg test", () => {
  it.each(EXAMPLES)("passes on %s", async (file) => {
    const r = await runCli(["test", `dsl-examples/${file}`, "--runs", "4", "--seed", "7"]);
    expect(r.stderr).toBe("");
    expect(r.stdout).toMatch(/^\w+: 4 runs passed \(seed 7\): shapes as inferred, .*kernels within WebGPU's core limits\n$/);
    expect(r.code).toBe(0);
  }, 120_000);

  it("fails on an executor that disagrees with inference, shrinks to the smallest odd batch, and prints a reproducing command", async () => {
    const file = join(dir, "small.dlg");
    writeFileSync(file, MODEL);
    expect((await runCli(["test", file, "--runs", "30"])).code).toBe(0);
    plantOddRowBug();
    const r = await runCli(["test", file, "--runs", "30", "--seed", "3"]);
    expect(r.code).toBe(1);
    const lines = r.stdout.trimEnd().split("\n");
    expect(lines[0]).toMatch(/^Small: FAILED \(seed 3\): execution disagrees with shape inference: relu produced \d+ elements, its inferred type f32\[N, 1\] has \d+$/);
    expect(lines[1]).toMatch(/^ {2}smallest failing case \(after \d+ shrinks\): N=1, h=1, data seed 0$/);
    expect(lines[2]).toBe(`  reproduce: dlg test ${file} --runs 1 --seed 3 --set h=1 --dim N=1 --data-seed 0`);
    // The command reproduces the failure, and only the planted bug causes it.
    const again = await runCli(lines[2]!.replace(/^ {2}reproduce: dlg /, "").split(" "));
    expect(again.code).toBe(1);
    expect(again.stdout.split("\n")[0]).toBe(lines[0]);
    vi.restoreAllMocks();
    expect((await runCli(lines[2]!.replace(/^ {2}reproduce: dlg /, "").split(" "))).code).toBe(0);
  });

  it("is a fast-check property for a project's own tests (dlg/testing)", () => {
    fc.assert(modelProperty(MODEL, "small.dlg"), { seed: 1, numRuns: 10 });
    plantOddRowBug();
    let failure: unknown;
    try {
      fc.assert(modelProperty(MODEL, "small.dlg"), { seed: 1, numRuns: 30 });
    } catch (e) {
      failure = e;
    }
    expect(String(failure)).toContain('Counterexample: [{"hyperparameters":{"h":1},"dims":{"N":1},"dataSeed":0}]');
    expect(String((failure as Error).cause)).toMatch(/relu produced \d+ elements/);
  });

  it("says in one line what it cannot test", async () => {
    const file = join(dir, "broken.dlg");
    writeFileSync(file, "model B {\n  input x: f32[N, 3]\n  y = x @ x\n  output y\n}\n");
    const r = await runCli(["test", file]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^dlg: test: .*broken\.dlg does not check with its defaults: matmul: inner dims differ/);
    expect(r.stderr.trimEnd().split("\n")).toHaveLength(1);
    expect((await runCli(["test", file, "--runs", "0"])).code).toBe(2);
  });
});
