// Device acquisition and failure modes: no adapter is a one-line GpuUnavailableError saying how to get one; rejected
// work and a lost device are GpuDeviceErrors; a failed training step changes nothing; the session API behaves as the
// CPU session's does (shape cache, ragged batches, uploaded checkpoints, missing inputs).
import { escapeRegExp, expectRejects, expectThrows, ROOT } from "../helpers.js";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { compile } from "../../compiler/index.js";
import { ExecutionError } from "../../runtime/errors.js";
import { ExecutionError as ReferenceExecutionError } from "../../compiler/ir/define-op.js";
import type { Graph } from "../../compiler/ir/graph.js";
import { CpuSession } from "../../sessions/cpu-session.js";
import { describeAdapter, GpuDeviceError, GpuUnavailableError, guarded, openDevice } from "../../runtime/device.js";
import { GpuSession } from "../../sessions/gpu-session.js";
import { nodeDevice, parseAdapterChoice } from "../../runtime/node/webgpu-node.js";
import { hostTensor } from "../../runtime/tensor.js";
import { adapterTest, expectClose, openTestGpu } from "./gpu-helpers.js";

const gpu = await openTestGpu();

function iris(): Graph {
  const path = join(ROOT, "dsl-examples", "iris-mlp.dlg");
  return compile(readFileSync(path, "utf8"), "iris-mlp.dlg", { overrides: { h: "6" } }).check!.graph;
}

function irisBatch(rows: number, labels?: number[]) {
  return {
    features: hostTensor("f32", [rows, 4], Float32Array.from({ length: rows * 4 }, (_, i) => Math.sin(i))),
    label: hostTensor("i32", [rows], Int32Array.from(labels ?? Array.from({ length: rows }, (_, i) => i % 3))),
  };
}

describe("acquiring a device", () => {
  const fakeGpu = (requestAdapter: () => Promise<GPUAdapter | null>) => ({ requestAdapter }) as unknown as GPU;

  it("says how to get an adapter when there is none, in one line", async () => {
    await expectRejects(openDevice([{ backend: "vulkan", gpu: fakeGpu(async () => null) }, { backend: "gles", gpu: fakeGpu(async () => { throw new Error("EGL: no display"); }) }], "install X"),
      GpuUnavailableError, "no WebGPU adapter found (tried vulkan, gles (EGL: no display)); install X");
  });

  it("names the Debian package in Node's hint", async () => {
    const { INSTALL_HINT } = await import("../../runtime/node/webgpu-node.js");
    expect(INSTALL_HINT).toContain("apt-get install -t bookworm-backports mesa-vulkan-drivers");
  });

  it("parses --adapter choices", () => {
    expect(parseAdapterChoice(undefined)).toBe("auto");
    expect(parseAdapterChoice("gles")).toBe("gles");
    expect(parseAdapterChoice("metal")).toBeUndefined();
  });

  it("describes an adapter in one line", () => {
    const info = { vendor: "mesa", architecture: "software", device: "", description: "llvmpipe (LLVM 15)", isFallbackAdapter: true } as unknown as GPUAdapterInfo;
    expect(describeAdapter(info, "vulkan")).toBe("mesa software: llvmpipe (LLVM 15) [vulkan, fallback adapter]");
  });
});

describe("WebGPU device and session behaviour", () => {
  adapterTest(gpu, "webgpu-device");

  describe.skipIf(!gpu.ctx)("on the device", () => {
    it("turns work the GPU rejects into a GpuDeviceError naming it", async () => {
      const ctx = gpu.ctx!;
      // MAP_READ may only be combined with COPY_DST: a validation error, caught by the scope.
      // The rest of the message is the implementation's validation text.
      await expectRejects(guarded(ctx, "creating a bad buffer", () => ctx.device.createBuffer({ size: 16, usage: 0x1 | 0x80 })), GpuDeviceError, /^the GPU rejected creating a bad buffer: ./);
    });

    it("reports a lost device as a GpuDeviceError", async () => {
      const own = await nodeDevice(gpu.ctx!.backend === "gles" ? "gles" : "auto");
      const session = new GpuSession(iris(), { seed: 1, gpu: own });
      await session.run(irisBatch(4));
      own.device.destroy();
      await new Promise((resolve) => setTimeout(resolve, 10));
      await expectRejects(session.run(irisBatch(4)), GpuDeviceError, new RegExp(`^the GPU device \\(${escapeRegExp(own.adapter)}\\) is destroyed(: .+)?$`));
    });

    it("leaves parameters and optimizer state untouched when a step fails at run time", async () => {
      const graph = iris();
      const session = new GpuSession(graph, { seed: 2, gpu: gpu.ctx! });
      try {
        await session.trainStep(irisBatch(6));
        const before = await session.params.toMap();
        const stateBefore = await session.state.toMap();
        await expectRejects(session.trainStep(irisBatch(6, [0, 1, 5, 2, 0, 1])), ExecutionError, "cross_entropy: label 5 is outside the classes 0..2");
        const after = await session.params.toMap();
        for (const [name, t] of before) expect(Array.from(after.get(name)!.data)).toEqual(Array.from(t.data));
        const stateAfter = await session.state.toMap();
        for (const [name, t] of stateBefore) expect(Array.from(stateAfter.get(name)!.data)).toEqual(Array.from(t.data));
        // And training goes on from there.
        expect(Number.isFinite(await session.trainStep(irisBatch(6)))).toBe(true);
      } finally {
        await session.destroy();
      }
    });

    it("runs several batch sizes (a ragged last batch), checkpoint uploads and missing inputs as the CPU session does", async () => {
      const graph = iris();
      const cpu = new CpuSession(graph, { seed: 3 });
      const session = new GpuSession(graph, { seed: 3, gpu: gpu.ctx! });
      try {
        for (const rows of [8, 8, 3, 8]) expectClose([await session.trainStep(irisBatch(rows))], [cpu.trainStep(irisBatch(rows))], { atol: 1e-5, rtol: 1e-5 }, `batch of ${rows}`);
        // A checkpoint's values, parameters and optimizer state alike, are what the next step starts from.
        for (const [name, t] of cpu.params) session.params.set(name, t);
        for (const [name, t] of cpu.state) session.state.set(name, t);
        expectClose([await session.trainStep(irisBatch(5))], [cpu.trainStep(irisBatch(5))], { atol: 1e-5, rtol: 1e-5 }, "after upload");
        expectThrows(() => session.params.set(graph.params[0]!.name, hostTensor("f32", [1], [0])), ExecutionError, "`hidden.weight` is f32[4, 6], got f32[1]");
        const { label: _, ...noLabels } = irisBatch(2);
        // The CPU session runs the compiler's interpreter, which has its own error class for bad run-time data.
        expectThrows(() => cpu.run(noLabels), ReferenceExecutionError, "no value for input `label` (i32[N])");
        await expectRejects(session.run(noLabels), ExecutionError, "no value for input `label` (i32[N])");
        await expectRejects(session.run({ ...irisBatch(2), features: hostTensor("f32", [2, 5], new Float32Array(10)) }), ExecutionError, "input `features` is declared f32[N, 4] but got shape [2, 5]");
      } finally {
        await session.destroy();
      }
    });
  });
});
