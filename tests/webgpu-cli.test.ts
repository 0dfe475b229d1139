// `dlg train|run --backend webgpu`: the command line on the GPU session gives the CPU's results (same seed, same
// initial weights, same batches), reports the adapter, and writes checkpoints the CPU backend reads.
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { adapterTest, openTestGpu } from "./gpu-helpers.js";
import { runCli } from "./helpers.js";

const gpu = await openTestGpu();
const iris = "dsl-examples/iris-mlp.dlg";
const dir = mkdtempSync(join(tmpdir(), "dlg-webgpu-cli-"));

describe("dlg train and run with --backend webgpu", () => {
  adapterTest(gpu, "webgpu-cli");

  it.runIf(gpu.ctx !== undefined)("trains like the CPU backend and names the adapter in every JSON line", async () => {
    const args = ["train", iris, "--data", "iris", "--epochs", "4", "--batch", "16", "--seed", "9", "--json"];
    const cpu = (await runCli(args)).stdout.trim().split("\n").map((l) => JSON.parse(l));
    const r = await runCli([...args, "--backend", "webgpu"]);
    expect(r.code).toBe(0);
    const gpuLines = r.stdout.trim().split("\n").map((l) => JSON.parse(l));
    expect(gpuLines).toHaveLength(4);
    gpuLines.forEach((line, i) => {
      expect(line.backend).toBe("webgpu");
      expect(typeof line.adapter).toBe("string");
      expect(Math.abs(line.loss - cpu[i].loss)).toBeLessThan(1e-4 * (1 + Math.abs(cpu[i].loss)));
      expect(line.accuracy).toBe(cpu[i].accuracy);
    });
  });

  it.runIf(gpu.ctx !== undefined)("saves a checkpoint from the GPU that the CPU backend evaluates identically", async () => {
    const ckpt = join(dir, "gpu.safetensors");
    expect((await runCli(["train", iris, "--data", "iris", "--epochs", "2", "--backend", "webgpu", "--save", ckpt])).code).toBe(0);
    const onCpu = JSON.parse((await runCli(["run", iris, "--weights", ckpt, "--data", "iris", "--json"])).stdout);
    const onGpu = JSON.parse((await runCli(["run", iris, "--weights", ckpt, "--data", "iris", "--json", "--backend", "webgpu"])).stdout);
    expect(onGpu.backend).toBe("webgpu");
    expect(onGpu.accuracy).toBe(onCpu.accuracy);
    expect(Math.abs(onGpu.loss - onCpu.loss)).toBeLessThan(1e-5);
  });

  it("rejects an unknown adapter name as bad usage", async () => {
    const r = await runCli(["train", iris, "--data", "iris", "--backend", "webgpu", "--adapter", "metal9"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe("dlg: --adapter must be auto, vulkan or gles, got 'metal9'\n");
  });
});
