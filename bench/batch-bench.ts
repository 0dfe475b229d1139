// `npm run bench`, artifacts for any batch: what running a batch through programs compiled for a larger maximum costs
// against programs compiled for exactly that batch. The MNIST MLP's training step and forward pass, on this machine's
// WebGPU adapter, in one process, interleaved rounds; reported as time ratios (varying / exact, lower is better).
// DLG_ADAPTER=vulkan|gles|auto picks the adapter, as in the tests.
import { readFileSync } from "node:fs";
import { performance } from "node:perf_hooks";
import { compile, compileModel } from "../compiler/index.js";
import { CompiledModel } from "../runtime/compiled-model.js";
import { GpuUnavailableError } from "../runtime/device.js";
import type { ModelManifest } from "../runtime/manifest.js";
import { nodeDevice, parseAdapterChoice } from "../runtime/node/webgpu-node.js";
import { Random } from "../runtime/random.js";
import { hostTensor } from "../runtime/tensor.js";

const MAX = 64;
const ROUNDS = 3;
const STEPS = 20;

async function main(): Promise<void> {
  let gpu;
  try {
    gpu = await nodeDevice(parseAdapterChoice(process.env["DLG_ADAPTER"]) ?? "auto");
  } catch (e) {
    if (e instanceof GpuUnavailableError) {
      console.log(`batch bench: skipped, no WebGPU adapter (${e.message})`);
      return;
    }
    throw e;
  }
  const source = new URL("../../dsl-examples/mnist-mlp.dlg", import.meta.url);
  const graph = compile(readFileSync(source, "utf8"), "mnist-mlp.dlg").check!.graph;
  const varying = compileModel(graph, "MnistMLP", { batch: MAX });
  console.log(`batch bench on ${gpu.adapter}: MNIST MLP, programs for any batch up to ${MAX} vs programs for exactly the batch`);
  console.log(`  dispatches per training step: ${varying.programs.train!.kernels.length} (any batch) vs ${compileModel(graph, "MnistMLP", { batch: MAX, varyBatch: false }).programs.train!.kernels.length} (exact)`);
  const random = new Random(1);
  const batchOf = (rows: number) => ({
    image: hostTensor("f32", [rows, 28, 28], Float32Array.from({ length: rows * 784 }, () => random.nextFloat())),
    label: hostTensor("i32", [rows], Int32Array.from({ length: rows }, () => random.nextInt(10))),
  });
  const time = async (manifest: ModelManifest, rows: number, what: "train" | "forward") => {
    const model = new CompiledModel(manifest, { gpu, seed: 0, readEvery: STEPS });
    try {
      const batches = Array.from({ length: STEPS }, () => batchOf(rows));
      // Warm-up: pipelines are created on first use.
      await (what === "train" ? model.trainStep(batches[0]!) : model.run(batches[0]!));
      const start = performance.now();
      if (what === "train") await Promise.all(batches.map((b) => model.trainStep(b)));
      else for (const b of batches) await model.run(b);
      return (performance.now() - start) / STEPS;
    } finally {
      await model.destroy();
    }
  };
  for (const rows of [1, 7, MAX]) {
    const exact = compileModel(graph, "MnistMLP", { batch: rows, varyBatch: false });
    for (const what of ["train", "forward"] as const) {
      const ratios: number[] = [];
      let line = "";
      for (let round = 0; round < ROUNDS; round++) {
        const a = await time(varying, rows, what);
        const b = await time(exact, rows, what);
        ratios.push(a / b);
        line += ` ${a.toFixed(2)}/${b.toFixed(2)} ms`;
      }
      const best = Math.min(...ratios);
      console.log(`  batch ${String(rows).padStart(2)} ${what.padEnd(7)}: any-batch/exact ${best.toFixed(2)}x (best of ${ROUNDS};${line})`);
    }
  }
  gpu.device.destroy();
}

await main();
