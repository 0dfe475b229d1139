// Backward graphs on the GPU: for every differentiable op, loss = sum(op(x) * w) is differentiated by buildBackward
// (as in op-gradients.test.ts) and the GPU session's gradients are compared with the CPU session's, from the same
// parameter values. This exercises every vjp's ops (sumTo's reductions, broadcasts, transposes, the *_grad kernels)
// through the session API: parameters uploaded with params.set, gradients read back.
// Both sides run the same backward graph, built from the same vjps, so a wrong vjp passes here: this suite proves the
// GPU computes that graph as the CPU does, not that the graph is the gradient. That vjps are correct is proven against
// finite differences by tests/ir/op-gradients.test.ts (every op) and tests/autodiff/model-gradients.test.ts (models).
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { IRBuilder } from "../../compiler/ir/builder.js";
import type { TensorValue } from "../../compiler/ir/value.js";
import type { Graph } from "../../compiler/ir/graph.js";
import { registry, type OpAttrs, type OpName } from "../../compiler/ir/registry.js";
import { CpuSession } from "../../sessions/cpu-session.js";
import { GpuSession } from "../../sessions/gpu-session.js";
import { hostTensor, type HostTensor } from "../../runtime/tensor.js";
import { adapterTest, expectClose, openTestGpu } from "./gpu-helpers.js";
import { uniformStream } from "../helpers.js";
import { dims, gradientCases, type Case } from "../ir/op-cases.js";

const gpu = await openTestGpu();
const SEED = 4242;
const CASES_PER_OP = 5;

/** loss = sum(op(inputs) * w), float inputs as parameters (so they get gradients), integer ones as inputs. */
function lossGraph(op: string, c: Case, seed: number): { graph: Graph; params: Map<string, HostTensor>; batch: Record<string, HostTensor> } {
  const random = uniformStream(seed);
  const b = new IRBuilder();
  const span = { start: 0, end: 0 };
  const params = new Map<string, HostTensor>();
  const batch: Record<string, HostTensor> = {};
  const inputs: TensorValue[] = c.inputs.map((spec, i) => {
    const n = spec.shape.reduce((a, d) => a * d, 1);
    if (spec.intMax !== undefined) {
      batch[`x${i}`] = hostTensor("i32", spec.shape, Int32Array.from({ length: n }, () => Math.floor(random() * spec.intMax!)));
      return b.input(`x${i}`, { dtype: "i32", shape: dims(spec.shape) }, span);
    }
    const [lo, hi] = spec.range ?? [-2, 2];
    params.set(`x${i}`, hostTensor("f32", spec.shape, Float32Array.from({ length: n }, () => lo + (hi - lo) * random())));
    return b.param(`x${i}`, { dtype: "f32", shape: dims(spec.shape) }, { name: "zeros", args: [] }, span);
  });
  const y = b.op(op as OpName, inputs, c.attrs as OpAttrs<OpName>);
  const shape = y.type.shape.map((d) => d.constValue()!);
  const w = b.input("w", { dtype: "f32", shape: y.type.shape }, span);
  batch["w"] = hostTensor("f32", shape, Float32Array.from({ length: shape.reduce((a, d) => a * d, 1) }, () => random() * 2 - 1));
  const loss = b.op("reduce_sum", [b.op("mul", [y, w])], { axes: [...y.type.shape.keys()], keepdims: false });
  b.graph.loss = loss.node;
  return { graph: b.graph, params, batch };
}

describe("WebGPU backward graphs: every differentiable op against the CPU", () => {
  adapterTest(gpu, "webgpu-gradients");

  it("covers every op with a gradient rule", () => {
    const differentiable = [...registry.values()].filter((d) => d.vjp).map((d) => d.name).sort();
    expect(Object.keys(gradientCases).sort()).toEqual(differentiable);
  });

  describe.skipIf(!gpu.ctx)("gradients", () => {
    for (const [op, arb] of Object.entries(gradientCases)) {
      it(`${op}: GPU gradients match the CPU's`, async () => {
        for (const [c, seed] of fc.sample(fc.tuple(arb, fc.integer()), { seed: SEED, numRuns: CASES_PER_OP })) {
          const { graph, params, batch } = lossGraph(op, c, seed);
          const cpu = new CpuSession(graph, { seed: 0 });
          const session = new GpuSession(graph, { seed: 0, gpu: gpu.ctx! });
          try {
            for (const [name, t] of params) {
              cpu.params.set(name, t);
              session.params.set(name, t);
            }
            const want = cpu.gradients(batch);
            const got = await session.gradients(batch);
            const what = `${op}(${c.inputs.map((i) => `[${i.shape.join(", ")}]`).join(", ")})`;
            expectClose([got.loss], [want.loss], { atol: 1e-5, rtol: 1e-5 }, `${what}: loss`);
            for (const [name, g] of want.grads) expectClose(got.grads.get(name)!.data, g.data, { atol: 1e-5, rtol: 1e-5 }, `${what}: d loss / d ${name}`);
          } finally {
            await session.destroy();
          }
        }
      });
    }
  });
});
