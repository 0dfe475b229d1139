// `dlg train|run --backend webgpu`: the command line on the GPU session gives the CPU's results (same seed, same
// initial weights, same batches), reports the adapter, and writes checkpoints the CPU backend reads.
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { adapterTest, openTestGpu } from "./gpu-helpers.js";
import { runCli } from "../helpers.js";

const gpu = await openTestGpu();
const iris = "dsl-examples/iris-mlp.dlg";
const dir = mkdtempSync(join(tmpdir(), "dlg-webgpu-cli-"));

describe("dlg train and run on WebGPU", () => {
  adapterTest(gpu, "webgpu-cli");

  it.runIf(gpu.ctx !== undefined)("trains like the CPU backend and names the adapter in every JSON line", async () => {
    const args = ["train", iris, "--data", "iris", "--epochs", "4", "--batch", "16", "--seed", "9", "--json"];
    const cpu = (await runCli([...args, "--backend", "cpu"])).stdout.trim().split("\n").map((l) => JSON.parse(l));
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
    const onCpu = JSON.parse((await runCli(["run", iris, "--weights", ckpt, "--data", "iris", "--backend", "cpu", "--json"])).stdout);
    const onGpu = JSON.parse((await runCli(["run", iris, "--weights", ckpt, "--data", "iris", "--json", "--backend", "webgpu"])).stdout);
    expect(onGpu.backend).toBe("webgpu");
    expect(onGpu.accuracy).toBe(onCpu.accuracy);
    expect(Math.abs(onGpu.loss - onCpu.loss)).toBeLessThan(1e-5);
  });

  it.runIf(gpu.ctx !== undefined)("trains on the adapter by default", async () => {
    const r = await runCli(["train", iris, "--data", "iris", "--epochs", "1", "--json"]);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ backend: "webgpu", adapter: gpu.ctx!.adapter });
  });

  it("falls back to the CPU with a one-line warning when there is no adapter, unless WebGPU was asked for", async () => {
    process.env["DLG_WEBGPU"] = "off";
    try {
      const r = await runCli(["train", iris, "--data", "iris", "--epochs", "1", "--json"]);
      expect(r.code).toBe(0);
      expect(r.stderr).toBe("dlg: warning: using the CPU reference backend: WebGPU is turned off (DLG_WEBGPU=off)\n");
      expect(JSON.parse(r.stdout)).toMatchObject({ backend: "cpu" });
      expect(JSON.parse(r.stdout).adapter).toBeUndefined();
      const forced = await runCli(["train", iris, "--data", "iris", "--epochs", "1", "--backend", "webgpu"]);
      expect(forced).toMatchObject({ code: 1, stdout: "", stderr: "dlg: WebGPU is turned off (DLG_WEBGPU=off)\n" });
    } finally {
      delete process.env["DLG_WEBGPU"];
    }
  });

  it("rejects an unknown adapter name as bad usage", async () => {
    const r = await runCli(["train", iris, "--data", "iris", "--backend", "webgpu", "--adapter", "metal9"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe("dlg: --adapter must be auto, vulkan or gles, got 'metal9'\n");
  });
});
