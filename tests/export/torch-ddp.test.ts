// Scaling out through the PyTorch export: the exported MNIST MLP trains data-parallel under torchrun (two processes,
// gloo on the CPU), its weights come back as a dlg checkpoint that `dlg run` scores, and its script predicts what
// `dlg run -o` does. Data parallelism is checked exactly: two processes on batches of 8 must end where one process
// on the same 16 rows per step ends (iris, which has no dropout).
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { readCheckpoint, writeCheckpoint } from "../../runtime/node/checkpoint-file.js";
import { loadDataset } from "../../runtime/node/data/index.js";
import { sliceRows } from "../../runtime/tensor.js";
import { runCli } from "../helpers.js";
import { expectClose } from "../gpu/gpu-helpers.js";

const PYTHON = process.env["DLG_TORCH_PYTHON"] ?? "/usr/bin/python3";
const IN_CI = process.env["CI"] === "true";
const probe = spawnSync(PYTHON, ["-c", "import torch.distributed.run; print(torch.__version__)"], { encoding: "utf8" });
const TORCH = probe.status === 0 ? probe.stdout.trim() : undefined;
const dir = mkdtempSync(join(tmpdir(), "dlg-ddp-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function python(args: string[]): { status: number | null; out: string } {
  const r = spawnSync(PYTHON, args, { encoding: "utf8", maxBuffer: 1 << 24, timeout: 300_000, env: { ...process.env, PYTHONDONTWRITEBYTECODE: "1", OMP_NUM_THREADS: "1" } });
  return { status: r.status, out: `${r.stdout ?? ""}${r.stderr ?? ""}${r.error ? String(r.error) : ""}` };
}

/** torchrun with two local processes. `--redirects 1 --tee 1`: torch 1.13's defaults ("0") fail on Python 3.11. */
function torchrun(script: string, args: string[]) {
  return python(["-m", "torch.distributed.run", "--standalone", "--nproc_per_node=2", "--redirects=1", "--tee=1", script, ...args]);
}

describe.runIf(TORCH === undefined && IN_CI)("distributed training through the PyTorch export (CI)", () => {
  it("has PyTorch available (CI installs python3-torch)", () => {
    throw new Error(`CI=true but ${PYTHON} cannot import torch.distributed: install python3-torch`);
  });
});

describe.skipIf(TORCH === undefined)("distributed training through the PyTorch export", () => {
  it("two processes train the MNIST MLP with DistributedDataParallel; dlg run scores the weights they save", async () => {
    const script = join(dir, "mnist_mlp.py");
    expect((await runCli(["export", "dsl-examples/mnist-mlp.dlg", "--format", "torch", "-o", script])).code).toBe(0);
    const init = join(dir, "init.safetensors");
    expect((await runCli(["init", "dsl-examples/mnist-mlp.dlg", "--seed", "4", "-o", init])).code).toBe(0);
    const mnist = await loadDataset("mnist");
    const data = join(dir, "digits.safetensors");
    await writeCheckpoint(data, new Map([["image", sliceRows(mnist.train["image"]!, 0, 4096)], ["label", sliceRows(mnist.train["label"]!, 0, 4096)]]));
    const trained = join(dir, "ddp.safetensors");
    const run = torchrun(script, ["--train", "--weights", init, "--data", data, "--steps", "60", "--batch", "32", "--save", trained]);
    expect(run.status, run.out).toBe(0);
    const losses = [...run.out.matchAll(/step (\d+)\/60 {2}loss ([\d.]+)/g)].map((m) => Number(m[2]));
    expect(losses.length).toBeGreaterThanOrEqual(5);
    expect(losses[losses.length - 1]!).toBeLessThan(losses[0]! / 3);

    const scored = await runCli(["run", "dsl-examples/mnist-mlp.dlg", "--weights", trained, "--data", "mnist", "--backend", "cpu", "--json"]);
    expect(scored.code, scored.stderr).toBe(0);
    expect(JSON.parse(scored.stdout).accuracy).toBeGreaterThan(0.85);

    // The script predicts what dlg does with the same weights.
    const heldOut = join(dir, "held-out.safetensors");
    await writeCheckpoint(heldOut, new Map([["image", sliceRows(mnist.test["image"]!, 0, 300)]]));
    const fromTorch = join(dir, "torch-out.safetensors");
    const predicted = python([script, "--weights", trained, "--data", heldOut, "-o", fromTorch]);
    expect(predicted.status, predicted.out).toBe(0);
    const fromDlg = join(dir, "dlg-out.safetensors");
    expect((await runCli(["run", "dsl-examples/mnist-mlp.dlg", "--weights", trained, "--data", heldOut, "--backend", "cpu", "-o", fromDlg])).code).toBe(0);
    const [a, b] = [(await readCheckpoint(fromTorch)).tensors.get("logits")!, (await readCheckpoint(fromDlg)).tensors.get("logits")!];
    expect(a.shape).toEqual([300, 10]);
    expectClose(a.data, b.data, { atol: 1e-4, rtol: 1e-4 }, "logits, exported script vs dlg run");
  }, 300_000);

  it("two processes on 8 rows each end where one process on the same 16 rows per step ends", async () => {
    const script = join(dir, "iris_mlp.py");
    expect((await runCli(["export", "dsl-examples/iris-mlp.dlg", "--format", "torch", "-o", script])).code).toBe(0);
    const init = join(dir, "iris-init.safetensors");
    expect((await runCli(["init", "dsl-examples/iris-mlp.dlg", "--seed", "2", "-o", init])).code).toBe(0);
    const iris = await loadDataset("iris");
    const data = join(dir, "iris.safetensors");
    await writeCheckpoint(data, new Map([["features", iris.train["features"]!], ["label", iris.train["label"]!]]));
    const [parallel, single] = [join(dir, "iris-ddp.safetensors"), join(dir, "iris-one.safetensors")];
    const ddp = torchrun(script, ["--train", "--weights", init, "--data", data, "--steps", "20", "--batch", "8", "--save", parallel]);
    expect(ddp.status, ddp.out).toBe(0);
    const one = python([script, "--train", "--weights", init, "--data", data, "--steps", "20", "--batch", "16", "--save", single]);
    expect(one.status, one.out).toBe(0);
    const [p, s] = [(await readCheckpoint(parallel)).tensors, (await readCheckpoint(single)).tensors];
    const start = (await readCheckpoint(init)).tensors;
    for (const [name, t] of s) {
      expectClose(p.get(name)!.data, t.data, { atol: 1e-5, rtol: 1e-4 }, `${name}: two processes vs one`);
      expect(Array.from(t.data), `${name} moved`).not.toEqual(Array.from(start.get(name)!.data));
    }
  }, 300_000);
});
