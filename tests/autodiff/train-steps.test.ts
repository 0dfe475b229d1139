// Several SGD training steps against PyTorch (tests/torch/train_steps.py, float64), on the CPU reference and on
// WebGPU: batch_norm (BatchNorm2d on channels-last maps, BatchNorm1d on features: batch statistics in training,
// running statistics after the steps, evaluation outputs with them) and the recurrent layers (LSTM, GRU, RNN through
// time), conv1d (every padding, stride and dilation) and the 1-D poolings. Also: evaluation and gradients never change the running statistics.
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import type { Graph } from "../../compiler/ir/graph.js";
import { decodeSafetensors, encodeSafetensors } from "../../runtime/checkpoint.js";
import { Random } from "../../runtime/random.js";
import { hostTensor, sliceRows, type HostTensor } from "../../runtime/tensor.js";
import { CpuSession, initialBuffers, initialParams } from "../../sessions/cpu-session.js";
import { GpuSession } from "../../sessions/gpu-session.js";
import { openTestGpu } from "../gpu/gpu-helpers.js";
import { compileText } from "../helpers.js";

const PYTHON = process.env["DLG_TORCH_PYTHON"] ?? "/usr/bin/python3";
const SCRIPT = fileURLToPath(new URL("../torch/train_steps.py", import.meta.url));
const IN_CI = process.env["CI"] === "true";
const TORCH = spawnSync(PYTHON, ["-c", "import numpy, torch"]).status === 0;
if (!TORCH && !IN_CI) console.warn("skipping the PyTorch training-step tests: /usr/bin/python3 cannot import torch (install python3-torch)");

const BATCH_NORM_DLG = `
model BatchNormSteps {
  input x: f32[N, 4, 5, 3]
  input label: i32[N]
  a = batch_norm(x) -> relu                   # BatchNorm2d(3), channels last
  f = dense(mean(a, axis: [1, 2]), 6)
  g = batch_norm(f) -> tanh                   # BatchNorm1d(6)
  logits = dense(g, 2)
  output logits
  train cross_entropy(logits, label) with sgd(lr: 0.5)
}`;

const RECURRENT_DLG = `
model RecurrentSteps {
  input x: f32[N, 4, 5, 3]
  input label: i32[N]
  s = slice(reshape(x, [N, 4, 15]), 2, 0, 3)
  a = lstm(s, 4)
  b = gru(a, 5)
  c = rnn(b, 3, activation: "relu", last: true)
  logits = dense(c, 2)
  output logits
  train cross_entropy(logits, label) with sgd(lr: 0.5)
}`;

const CONV1D_DLG = `
model Conv1dSteps {
  input x: f32[N, 4, 5, 3]
  input label: i32[N]
  s = reshape(x, [N, 20, 3])
  a = conv1d(s, 4, kernel: 3, stride: 2, dilation: 2) -> tanh    # f32[N, 8, 4]
  b = conv1d(a, 5, kernel: 4, padding: "same") -> relu           # f32[N, 8, 5]
  c = conv1d(b, 3, kernel: 3, dilation: 2, padding: "causal")    # f32[N, 8, 3]
  d = max_pool1d(c, 2) -> avg_pool1d(2, stride: 1)               # f32[N, 3, 3]
  logits = dense(mean(d, axis: 1), 2)
  output logits
  train cross_entropy(logits, label) with sgd(lr: 0.5)
}`;

const BATCH = 6;
const STEPS = 3;
const LR = 0.5;
const dir = mkdtempSync(join(tmpdir(), "dlg-steps-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function data(): Record<string, HostTensor> {
  const random = new Random(5);
  const rows = BATCH * STEPS;
  return {
    x: hostTensor("f32", [rows, 4, 5, 3], Float32Array.from({ length: rows * 60 }, () => random.normal() * 1.5 + 0.3)),
    label: hostTensor("i32", [rows], Int32Array.from({ length: rows }, () => random.nextInt(2))),
  };
}

interface Session {
  trainStep(batch: Record<string, HostTensor>): number | Promise<number>;
  flush?(): Promise<void>;
  run(batch: Record<string, HostTensor>): Map<number, { shape: readonly number[]; data: ArrayLike<number> }> | Promise<Map<number, { shape: readonly number[]; data: ArrayLike<number> }>>;
  gradients(batch: Record<string, HostTensor>): unknown;
}

async function snapshot(session: CpuSession | GpuSession): Promise<Map<string, HostTensor>> {
  if (session instanceof CpuSession) return new Map([...session.params, ...session.state].map(([k, v]) => [k, hostTensor("f32", v.shape, Float32Array.from(v.data))]));
  return new Map([...(await session.params.toMap()), ...(await session.state.toMap())]);
}

function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, what: string, tol = 2e-4): void {
  expect(actual.length, what).toBe(expected.length);
  const scale = Math.max(1, ...Array.from(expected, Math.abs));
  for (let i = 0; i < expected.length; i++) expect(Math.abs(actual[i]! - expected[i]!), `${what}[${i}]: ${actual[i]} vs ${expected[i]}`).toBeLessThan(tol * scale);
}

const gpu = await openTestGpu();

describe.runIf(!TORCH && IN_CI)("training steps against PyTorch (CI)", () => {
  it("has PyTorch available (CI installs python3-torch)", () => {
    throw new Error("CI=true but /usr/bin/python3 cannot import torch");
  });
});

describe.skipIf(!TORCH)("training steps against PyTorch (float64)", () => {
  for (const [name, text] of [["batch-norm", BATCH_NORM_DLG], ["recurrent", RECURRENT_DLG], ["conv1d", CONV1D_DLG]] as const) {
    describe(name, () => {
      const graph: Graph = compileText(text).check!.graph;
      const batches = data();
      const weights = new Map([...initialParams(graph, 21), ...initialBuffers(graph)]);
      // Non-trivial starting statistics and gains, so a mix-up of running and batch statistics, or of gain and bias, shows.
      const random = new Random(8);
      for (const [key, t] of weights) if (/\.(gain|bias|running_mean)$/.test(key)) t.data.forEach((v, i) => (t.data[i] = v + 0.3 * random.normal()));
      for (const [key, t] of weights) if (key.endsWith(".running_var")) t.data.forEach((v, i) => (t.data[i] = 0.5 + random.nextFloat()));
      const files = { weights: join(dir, `${name}-w.safetensors`), data: join(dir, `${name}-d.safetensors`), out: join(dir, `${name}-torch.safetensors`) };
      writeFileSync(files.weights, encodeSafetensors(weights));
      writeFileSync(files.data, encodeSafetensors(new Map(Object.entries(batches))));
      const py = spawnSync(PYTHON, [SCRIPT, name, files.weights, files.data, String(BATCH), String(STEPS), String(LR), files.out], { encoding: "utf8", env: { ...process.env, PYTHONDONTWRITEBYTECODE: "1" } });
      const torch = py.status === 0 ? decodeSafetensors(new Uint8Array(readFileSync(files.out))) : undefined;
      const batch = (s: number) => Object.fromEntries(Object.entries(batches).map(([k, v]) => [k, sliceRows(v, s * BATCH, (s + 1) * BATCH)]));

      const backends: ["cpu" | "webgpu", () => CpuSession | GpuSession][] = [
        ["cpu", () => new CpuSession(graph, { seed: 1 })],
        ["webgpu", () => new GpuSession(graph, { seed: 1, gpu: gpu.ctx!, readEvery: 1 })],
      ];
      for (const [backend, open] of backends) {
        it.skipIf(backend === "webgpu" && !gpu.ctx)(`${STEPS} steps on ${backend}: losses, parameters, running statistics and evaluation outputs agree`, async () => {
          expect(torch, py.stderr).toBeDefined();
          const session = open();
          for (const [k, v] of weights) (graph.buffers?.some((b) => b.name === k) ? session.state : session.params).set(k, hostTensor("f32", v.shape, Float32Array.from(v.data)));
          // Evaluation and gradients leave the running statistics as they are.
          const before = await snapshot(session);
          await session.run(batch(0));
          await session.gradients(batch(0));
          const after = await snapshot(session);
          for (const b of graph.buffers ?? []) expect(Array.from(after.get(b.name)!.data), b.name).toEqual(Array.from(before.get(b.name)!.data));

          const losses: number[] = [];
          for (let s = 0; s < STEPS; s++) losses.push(await session.trainStep(batch(s)));
          if (session instanceof GpuSession) await session.flush();
          expectClose(losses, torch!.get("losses")!.data, "losses", 1e-5);
          const trained = await snapshot(session);
          for (const [key, t] of torch!) {
            if (key === "losses" || key === "eval_logits") continue;
            expectClose(trained.get(key)!.data, t.data, key);
          }
          const logits = (await session.run(batch(0))).get(graph.outputs[0]!.node)!;
          expectClose(logits.data, torch!.get("eval_logits")!.data, "evaluation logits");
        }, 120_000);
      }
    });
  }
});
