// Training on the GPU against training on the CPU: the example models with small sizes, random data, 20 Adam steps
// from one seed (so identical initial parameters and identical dropout masks), then every parameter and optimizer
// state tensor compared. The losses are compared at every step.
import { ROOT } from "../helpers.js";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { compile } from "../../compiler/index.js";
import type { Graph } from "../../compiler/ir/graph.js";
import { CpuSession } from "../../sessions/cpu-session.js";
import { GpuSession } from "../../sessions/gpu-session.js";
import { Random } from "../../runtime/random.js";
import { hostTensor, type HostTensor } from "../../runtime/tensor.js";
import { adapterTest, expectClose, openTestGpu } from "./gpu-helpers.js";
import { randomBatch } from "../helpers.js";

const gpu = await openTestGpu();
const STEPS = 20;

function example(file: string, overrides: Record<string, string>): Graph {
  const path = join(ROOT, "dsl-examples", file);
  const r = compile(readFileSync(path, "utf8"), `dsl-examples/${file}`, { overrides });
  expect(r.diagnostics).toEqual([]);
  return r.check!.graph;
}


const models: { file: string; overrides: Record<string, string>; rows: number; classes: number }[] = [
  { file: "iris-mlp.dlg", overrides: { h: "8" }, rows: 12, classes: 3 },
  // With dropout (0.2): both backends must draw the same masks from the seed.
  { file: "mnist-mlp.dlg", overrides: { h1: "32", h2: "16" }, rows: 16, classes: 10 },
];

/** Float rounding differs (f32 sums on the GPU, float64 inside the CPU's ops), and Adam carries it over 20 steps. */
const TOL = { atol: 5e-5, rtol: 5e-5 };

describe("WebGPU training: 20 steps agree with the CPU", () => {
  adapterTest(gpu, "webgpu-train");

  describe.skipIf(!gpu.ctx)("examples", () => {
    for (const m of models) {
      it(`${m.file} (${Object.entries(m.overrides).map(([k, v]) => `${k}=${v}`).join(", ")}, batch ${m.rows})`, async () => {
        const graph = example(m.file, m.overrides);
        const cpu = new CpuSession(graph, { seed: 11 });
        const session = new GpuSession(graph, { seed: 11, gpu: gpu.ctx! });
        try {
          const start = await session.params.toMap();
          for (const [name, t] of cpu.params) expectClose(start.get(name)!.data, t.data, { atol: 0, rtol: 0 }, `initial ${name}`);
          const data = new Random(3);
          let worst = 0;
          const started = performance.now();
          for (let step = 0; step < STEPS; step++) {
            const batch = randomBatch(graph, m.rows, m.classes, data);
            const want = cpu.trainStep(batch);
            const got = await session.trainStep(batch);
            expectClose([got], [want], TOL, `${m.file}: loss at step ${step + 1}`);
            worst = Math.max(worst, Math.abs(got - want));
          }
          const seconds = (performance.now() - started) / 1000;
          const params = await session.params.toMap();
          const state = await session.state.toMap();
          let worstParam = 0;
          for (const [name, t] of cpu.params) {
            const g = params.get(name)!;
            expectClose(g.data, t.data, TOL, `${m.file}: ${name} after ${STEPS} steps`);
            for (let i = 0; i < t.data.length; i++) worstParam = Math.max(worstParam, Math.abs(g.data[i]! - t.data[i]!));
          }
          expect([...state.keys()].sort()).toEqual([...cpu.state.keys()].sort());
          for (const [name, t] of cpu.state) expectClose(state.get(name)!.data, t.data, TOL, `${m.file}: ${name} after ${STEPS} steps`);
          // Inference and gradients agree too, from identical parameters (the CPU's, uploaded): the 20 steps' drift
          // would otherwise be amplified by the 784-wide sums.
          for (const [name, t] of cpu.params) session.params.set(name, t);
          const batch = randomBatch(graph, m.rows + 3, m.classes, data);
          const out = graph.outputs[0]!.node;
          expectClose((await session.run(batch, [out])).get(out)!.data, cpu.run(batch, [out]).get(out)!.data, TOL, `${m.file}: outputs`);
          const gg = await session.gradients(batch);
          const cg = cpu.gradients(batch);
          for (const [name, t] of cg.grads) expectClose(gg.grads.get(name)!.data, t.data, TOL, `${m.file}: gradient of ${name}`);
          console.log(`${m.file}: ${STEPS} steps in ${seconds.toFixed(2)} s (first includes pipeline compilation); worst loss difference ${worst.toExponential(1)}, worst parameter difference ${worstParam.toExponential(1)}`);
        } finally {
          await session.destroy();
        }
      });
    }
  });
});
