// An independent second oracle: every example model (and one extra convolution model) rebuilt by hand in PyTorch,
// float64, by tests/torch/parity.py. For each: `dlg init` (seeded) gives weights, tests/torch/make_data.py (seeded
// numpy) writes a small train and test file named after the model's inputs, `dlg grad` computes the loss and every
// gradient on the first B training rows (the test file is given with --test-data, so the training split is the train
// file in file order), `dlg run --json` the loss and accuracy on the test file; parity.py compares all of it with
// torch and prints a per-tensor error table and a PARITY_SUMMARY line, parsed here.
//
// Needs PyTorch for Debian's system Python (`/usr/bin/python3`, package python3-torch; DLG_TORCH_PYTHON overrides
// the interpreter). Without it the tests are skipped with a warning, except in CI (CI=true), where they fail.
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../helpers.js";

const PYTHON = process.env["DLG_TORCH_PYTHON"] ?? "/usr/bin/python3";
const SCRIPTS = fileURLToPath(new URL("../torch/", import.meta.url));
const IN_CI = process.env["CI"] === "true";

const probe = spawnSync(PYTHON, ["-c", "import numpy, torch; print(torch.__version__)"], { encoding: "utf8" });
const TORCH = probe.status === 0 ? probe.stdout.trim() : undefined;
const WHY_NOT = TORCH === undefined
  ? `${PYTHON} cannot import torch and numpy (${(probe.error?.message ?? probe.stderr ?? "").trim().split("\n").pop()}); install python3-torch`
  : "";
if (TORCH === undefined && !IN_CI) console.warn(`skipping the PyTorch parity tests: ${WHY_NOT}`);

interface Case {
  /** parity.py's model name. */
  name: string;
  /** The .dlg file (conv-extra, seq-extra, conv1d-extra: written from parity.py's EXTRA_DLG). */
  file?: string;
  hyperparams: Record<string, number>;
  seed: number;
}

const CASES: Case[] = [
  { name: "mnist-mlp", file: "dsl-examples/mnist-mlp.dlg", hyperparams: {}, seed: 11 },
  { name: "lenet", file: "dsl-examples/lenet.dlg", hyperparams: {}, seed: 12 },
  { name: "residual-mlp", file: "dsl-examples/residual-mlp.dlg", hyperparams: {}, seed: 13 },
  { name: "gpt", file: "dsl-examples/gpt.dlg", hyperparams: { vocab: 37, d_model: 32, heads: 4, layers: 2, context: 8 }, seed: 14 },
  { name: "iris-mlp", file: "dsl-examples/iris-mlp.dlg", hyperparams: {}, seed: 15 },
  { name: "conv-extra", hyperparams: {}, seed: 16 },
  { name: "seq-extra", hyperparams: {}, seed: 17 },
  { name: "conv1d-extra", hyperparams: {}, seed: 18 },
];

const TRAIN_ROWS = 8;
const TEST_ROWS = 16;
const BATCH = 6; // fewer than the train rows, so using other rows than the first B would show

interface Summary {
  model: string;
  loss_rel_err: number;
  worst_grad_rel_err: number;
  worst_grad: string;
  ok: { loss: boolean; grads: boolean; forward: boolean | null };
  failures: { loss: string[]; grads: string[]; forward: string[] };
  seconds: number;
}

function python(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(PYTHON, args, { encoding: "utf8", maxBuffer: 1 << 24, env: { ...process.env, PYTHONDONTWRITEBYTECODE: "1" } });
  return { status: r.status, stdout: r.stdout ?? "", stderr: (r.stderr ?? "") + (r.error ? String(r.error) : "") };
}

async function dlg(argv: string[]): Promise<string> {
  const r = await runCli(argv);
  if (r.code !== 0) throw new Error(`dlg ${argv.join(" ")} exited ${r.code}: ${r.stderr}`);
  return r.stdout;
}

describe.runIf(TORCH === undefined && IN_CI)("PyTorch parity (CI)", () => {
  it("has PyTorch available (CI installs python3-torch)", () => {
    throw new Error(`CI=true but the PyTorch parity tests cannot run: ${WHY_NOT}`);
  });
});

describe.skipIf(TORCH === undefined)(`PyTorch parity (torch ${TORCH ?? "not available"}, float64 oracle)`, () => {
  let dir = "";
  beforeAll(() => void (dir = mkdtempSync(join(tmpdir(), "dlg-torch-"))));
  afterAll(() => void (dir && rmSync(dir, { recursive: true, force: true })));

  for (const c of CASES) {
    describe(c.name, () => {
      let summary: Summary | undefined;
      let report = "";

      beforeAll(async () => {
        const at = (suffix: string) => join(dir, `${c.name}-${suffix}`);
        const hp = JSON.stringify(c.hyperparams);
        let file = c.file;
        if (file === undefined) {
          const src = python([join(SCRIPTS, "parity.py"), "--print-dlg", c.name]);
          if (src.status !== 0) throw new Error(`parity.py --print-dlg ${c.name}: ${src.stderr}`);
          file = at("model.dlg");
          writeFileSync(file, src.stdout);
        }
        const sets = Object.entries(c.hyperparams).flatMap(([k, v]) => ["--set", `${k}=${v}`]);
        const data = python([join(SCRIPTS, "make_data.py"), c.name, at("train.safetensors"), at("test.safetensors"), String(c.seed), String(TRAIN_ROWS), String(TEST_ROWS), hp]);
        if (data.status !== 0) throw new Error(`make_data.py ${c.name}: ${data.stderr}`);
        const dataFlags = ["--data", at("train.safetensors"), "--test-data", at("test.safetensors")];
        await dlg(["init", file, ...sets, "--seed", String(c.seed), "-o", at("w.safetensors")]);
        await dlg(["grad", file, ...sets, "--weights", at("w.safetensors"), ...dataFlags, "--batch", String(BATCH), "-o", at("g.safetensors")]);
        const run = (await dlg(["run", file, ...sets, "--weights", at("w.safetensors"), ...dataFlags, "--backend", "cpu", "--json"])).trim();
        const parity = python([
          join(SCRIPTS, "parity.py"), c.name, at("w.safetensors"), at("train.safetensors"), at("g.safetensors"), String(BATCH), hp,
          "--test-data", at("test.safetensors"), "--run-json", run,
        ]);
        report = `parity.py exited ${parity.status}\n${parity.stdout}${parity.stderr}`;
        const line = parity.stdout.split("\n").find((l) => l.startsWith("PARITY_SUMMARY "));
        if (line !== undefined) summary = JSON.parse(line.slice("PARITY_SUMMARY ".length)) as Summary;
      }, 120_000);

      const part = (key: keyof Summary["ok"]) => {
        expect(summary, report).toBeDefined();
        expect(summary!.failures[key], report).toEqual([]);
        expect(summary!.ok[key]).toBe(true);
      };

      it(`dlg grad's loss on the first ${BATCH} rows agrees`, () => part("loss"));
      it("every gradient agrees, and the parameter names map one to one", () => part("grads"));
      it("dlg run's loss and accuracy on the test file agree (forward only)", () => part("forward"));
    });
  }
});
