// `dlg export --format torch` on every example model: the file's module loads dlg's checkpoint under dlg's names, and
// in PyTorch (Debian's python3-torch) its evaluation outputs equal `dlg run`'s and its training-mode loss and every
// gradient equal `dlg grad`'s. Its script predicts like `dlg run -o`. Running statistics are randomized so that
// batch_norm's evaluation path is exercised.
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { compile } from "../../compiler/index.js";
import { writeCheckpoint } from "../../runtime/node/checkpoint-file.js";
import { Random } from "../../runtime/random.js";
import { initialBuffers, initialParams } from "../../sessions/cpu-session.js";
import { randomModelData as randomData, randomRunningStatistics, ROOT, runCli } from "../helpers.js";

const PYTHON = process.env["DLG_TORCH_PYTHON"] ?? "/usr/bin/python3";
const IN_CI = process.env["CI"] === "true";
const probe = spawnSync(PYTHON, ["-c", "import torch; print(torch.__version__)"], { encoding: "utf8" });
const TORCH = probe.status === 0 ? probe.stdout.trim() : undefined;
const dir = mkdtempSync(join(tmpdir(), "dlg-torch-export-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const EXAMPLES = readdirSync(join(ROOT, "dsl-examples")).filter((f) => f.endsWith(".dlg")).sort();
const ROWS = 6;

describe.runIf(TORCH === undefined && IN_CI)("PyTorch export (CI)", () => {
  it("has PyTorch available (CI installs python3-torch)", () => {
    throw new Error(`CI=true but ${PYTHON} cannot import torch: install python3-torch`);
  });
});

describe.skipIf(TORCH === undefined)(`dlg export --format torch (torch ${TORCH})`, () => {
  it("every example's module computes dlg's outputs, loss and gradients", async () => {
    const cases = [];
    for (const [index, file] of EXAMPLES.entries()) {
      const graph = compile(readFileSync(join(ROOT, "dsl-examples", file), "utf8"), file).check!.graph;
      const random = new Random(100 + index);
      const buffers = randomRunningStatistics(initialBuffers(graph), random);
      const base = join(dir, file.replace(/\.dlg$/, ""));
      const paths = { module: `${base}.py`, weights: `${base}-w.safetensors`, data: `${base}-d.safetensors`, outputs: `${base}-o.safetensors`, grads: `${base}-g.safetensors` };
      await writeCheckpoint(paths.weights, new Map([...initialParams(graph, 5), ...buffers]));
      await writeCheckpoint(paths.data, randomData(graph, ROWS, random));
      const exported = await runCli(["export", `dsl-examples/${file}`, "--format", "torch", "-o", paths.module]);
      expect(exported.code, exported.stderr).toBe(0);
      const data = ["--data", paths.data, "--test-data", paths.data, "--backend", "cpu"];
      const ran = await runCli(["run", `dsl-examples/${file}`, "--weights", paths.weights, ...data, "-o", paths.outputs]);
      expect(ran.code, ran.stderr).toBe(0);
      const grad = await runCli(["grad", `dsl-examples/${file}`, "--weights", paths.weights, ...data, "--batch", String(ROWS), "-o", paths.grads]);
      expect(grad.code, grad.stderr).toBe(0);
      cases.push({ name: file, ...paths });
    }
    const list = join(dir, "cases.json");
    writeFileSync(list, JSON.stringify(cases));
    const r = spawnSync(PYTHON, [join(ROOT, "tests/torch/check_export.py"), list], { encoding: "utf8", maxBuffer: 1 << 24, env: { ...process.env, PYTHONDONTWRITEBYTECODE: "1" } });
    expect(r.status, r.stderr).toBe(0);
    const results = r.stdout.trim().split("\n").map((l) => JSON.parse(l) as { name: string; outputs: Record<string, number>; loss: number; grads: Record<string, number | null>; missing: string[] });
    expect(results.map((x) => x.name)).toEqual(EXAMPLES);
    for (const result of results) {
      for (const [name, e] of Object.entries(result.outputs)) expect(e, `${result.name}: output ${name}`).toBeLessThan(1e-4);
      expect(result.loss, `${result.name}: loss`).toBeLessThan(1e-5);
      expect(result.missing, `${result.name}: gradients dlg has and the module lacks`).toEqual([]);
      for (const [name, e] of Object.entries(result.grads)) expect(e, `${result.name}: gradient of ${name}`).toBeLessThan(1e-4);
    }
  }, 600_000);
});
