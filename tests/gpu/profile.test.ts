// `dlg profile`: a training step's GPU time per kernel, attributed to .dlg lines. On the MNIST MLP at least 90% of the
// measured time must land on named lines (the bar), the shares must add up, and the layers must be there.
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runCli } from "../helpers.js";
import { adapterTest, openTestGpu } from "./gpu-helpers.js";
import type { Profile } from "../../cli/profile-command.js";

const gpu = await openTestGpu();
const dir = mkdtempSync(join(tmpdir(), "dlg-profile-"));

describe("dlg profile", () => {
  adapterTest(gpu, "profile");

  it.skipIf(!gpu.ctx)("attributes at least 90% of the MNIST MLP's step time to .dlg lines", async () => {
    const html = join(dir, "profile.html");
    const r = await runCli(["profile", "dsl-examples/mnist-mlp.dlg", "--data", "mnist", "--steps", "2", "--batch", "32", "--json", "--html", html]);
    expect(r.code, r.stderr).toBe(0);
    const p = JSON.parse(r.stdout) as Profile;
    console.log(`profile: ${p.method}, ${p.stepMilliseconds.toFixed(2)} ms per step, ${(100 * p.attributed).toFixed(1)}% attributed`);
    expect(p.batch).toBe(32);
    expect(p.stepMilliseconds).toBeGreaterThan(0);
    expect(p.attributed).toBeGreaterThanOrEqual(0.9);
    expect(p.rows.reduce((a, row) => a + row.share, 0)).toBeCloseTo(1, 6);
    expect(p.rows.reduce((a, row) => a + row.kernels, 0)).toBe(p.dispatches);
    const source = readFileSync("dsl-examples/mnist-mlp.dlg", "utf8").split("\n");
    for (const row of p.rows) if (row.line !== null) expect(row.text).toBe(source[row.line - 1]!.trim());
    const hidden1 = p.rows.find((row) => row.text.startsWith("hidden1 = dense"))!;
    expect(hidden1.gflops).toBeGreaterThan(0);
    expect(p.rows.some((row) => row.text.startsWith("train loss with adam"))).toBe(true);
    expect(readFileSync(html, "utf8")).toContain('<table id="profile">');

    const text = await runCli(["profile", "dsl-examples/mnist-mlp.dlg", "--data", "mnist", "--steps", "1", "--batch", "32"]);
    expect(text.stdout).toMatch(/^MnistMLP: training step at batch 32, \d+ dispatches, [\d.]+ ms of GPU time/);
    expect(text.stdout).toMatch(/% of the step's GPU time is attributed to \.dlg lines; adapter /);
  }, 120_000);

  it("refuses what it cannot profile, in one line", async () => {
    const file = join(dir, "no-train.dlg");
    writeFileSync(file, "model M {\n  input x: f32[N, 3]\n  y = dense(x, 2)\n  output y\n}\n");
    expect(await runCli(["profile", file, "--data", "iris"])).toMatchObject({ code: 2, stderr: "dlg: profile: model M has no `train` statement, so no training step to profile\n" });
    expect((await runCli(["profile", "dsl-examples/iris-mlp.dlg", "--data", "iris", "--html", join(dir, "p.txt")])).stderr)
      .toBe(`dlg: profile: --html ${join(dir, "p.txt")}: the report is written as an .html file\n`);
  });
});
