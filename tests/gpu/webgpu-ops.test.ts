// Every op of the registry on the GPU against its CPU reference (the `interpret` oracle), one kernel per op on random
// shapes with awkward sizes (1, primes, around the 64-wide workgroup and the 128-long cooperative reductions),
// fast-check seeded. Cases of one op run one after another so identical kernels reuse their pipelines.
import { planProgram, toManifest } from "../../compiler/index.js";
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import { Dim } from "../../compiler/ir/dims.js";
import { IRBuilder } from "../../compiler/ir/builder.js";
import { emitKernel } from "../../compiler/5-codegen-wgsl/emit-kernel.js";
import { DEFAULT_LIMITS, type KernelLimits } from "../../compiler/wgsl/limits.js";
import type { Graph, NodeId } from "../../compiler/ir/graph.js";
import { interpret, type HostValue } from "../../compiler/ir/interpret.js";
import { ops as registry } from "../../compiler/ops/index.js";
import type { GpuContext } from "../../runtime/device.js";
import { drawRandomBits, ProgramInstance, type NamedBuffers } from "../../runtime/gpu-program.js";
import { Random } from "../../runtime/random.js";
import { adapterTest, EXACT, expectClose, openTestGpu } from "./gpu-helpers.js";
import { uniformStream } from "../helpers.js";
import { BOUND, buildCase, kernelCases, SUM, ULP, type Case } from "./kernel-cases.js";

const gpu = await openTestGpu();
const SEED = 20240611;

const NO_NAMED: NamedBuffers = {
  current: (name) => {
    throw new Error(`internal: no named buffer ${name} in an op test`);
  },
  next: (name) => {
    throw new Error(`internal: no named buffer ${name} in an op test`);
  },
};

interface Outcome {
  cpu: HostValue;
  gpu: HostValue;
}

function runCpu(graph: Graph, out: NodeId, values: Map<string, HostValue>, training = false): HostValue {
  const random = new Random(7);
  return interpret(graph, values, { keep: [out], training, random: () => random.nextFloat() }).get(out)!;
}

/** Runs one graph on the GPU without folding (every node a kernel), dropout drawing from the same stream as runCpu. */
async function runGpu(ctx: GpuContext, graph: Graph, out: NodeId, values: Map<string, HostValue>, training = false, limits?: KernelLimits): Promise<HostValue> {
  const random = new Random(7);
  const shapes = new Map(graph.inputs.map((i) => [i.name, values.get(i.name)!.shape] as const));
  const plan = planProgram(graph, shapes, { limits: limits ?? ctx.limits, training, fold: false });
  const manifest = toManifest(graph, plan, { kind: training ? "train" : "forward", read: [{ node: out }] });
  const instance = await ProgramInstance.create(ctx, manifest, NO_NAMED);
  try {
    const inputs = new Map(graph.inputs.map((i) => [i.name, values.get(i.name)!.data as Float32Array | Int32Array] as const));
    const result = await instance.run({ parity: 0, inputs, randoms: drawRandomBits(manifest, () => random.nextFloat()) }, [out]);
    return result.get(out)!;
  } finally {
    instance.destroy();
  }
}

async function runBoth(ctx: GpuContext, graph: Graph, out: NodeId, values: Map<string, HostValue>, training = false, limits?: KernelLimits): Promise<Outcome> {
  return { cpu: runCpu(graph, out, values, training), gpu: await runGpu(ctx, graph, out, values, training, limits) };
}

/**
 * Worst absolute and relative differences seen per op, printed after the suite (the tolerances' evidence; every case
 * asserts its own tolerance).
 */
const worst = new Map<string, { cases: number; abs: number; rel: number }>();

function record(op: string, o: Outcome): void {
  const w = worst.get(op) ?? { cases: 0, abs: 0, rel: 0 };
  w.cases++;
  for (let i = 0; i < o.cpu.data.length; i++) {
    const a = o.cpu.data[i]!;
    const g = o.gpu.data[i]!;
    if (!Number.isFinite(a) || !Number.isFinite(g)) continue;
    const d = Math.abs(a - g);
    w.abs = Math.max(w.abs, d);
    if (Math.abs(a) > 1e-3) w.rel = Math.max(w.rel, d / Math.abs(a));
  }
  worst.set(op, w);
}

/** Ops with two kernel schedules, chosen per adapter (KernelLimits.workgroupTiling). */
const SCHEDULED = new Set(["matmul", "conv2d", "conv2d_grad_input", "conv2d_grad_kernel"]);

describe("WebGPU kernels: every op against the CPU reference", () => {
  adapterTest(gpu, "webgpu-ops");

  it("has cases for every op of the registry with a kernel", () => {
    // A recurrence of symbolic length only stands in the graph until its length is bound: emitting it is refused
    // (tests/check/recurrence.test.ts), so it has no kernel to compare.
    const withKernels = [...registry.values()].filter((d) => d.wgsl.kind !== "bound" && d.name !== "recurrence").map((d) => d.name).sort();
    expect(Object.keys(kernelCases).sort()).toEqual(withKernels);
    expect([...registry.values()].filter((d) => d.wgsl.kind === "bound").map((d) => d.name).sort()).toEqual(BOUND);
  });

  describe.skipIf(!gpu.ctx)("forward, differential", () => {
    for (const [op, { arb, tol, runs }] of Object.entries(kernelCases)) {
      it(`${op} matches the CPU reference`, async () => {
        const ctx = gpu.ctx!;
        const cases = fc.sample(fc.tuple(arb, fc.integer()), { seed: SEED, numRuns: runs ?? 16 });
        for (const [i, [c, seed]] of cases.entries()) {
          const { graph, out, values } = buildCase(op, c, seed);
          const o = await runBoth(ctx, graph, out, values, c.training ?? false);
          record(op, o);
          const shapes = c.inputs.map((i) => `${i.dtype ?? "f32"}[${i.shape.join(", ")}]`).join(", ");
          const what = `${op}(${shapes}) ${JSON.stringify(c.attrs, (_, v) => (v instanceof Dim ? v.toString() : v))}`;
          expectClose(o.gpu.data, o.cpu.data, tol, what);
          // The schedule this adapter does not pick (tiled or register-blocked), on every fourth case: both ship.
          if (SCHEDULED.has(op) && i % 4 === 0) {
            const other = { ...ctx.limits, workgroupTiling: ctx.limits.workgroupTiling === false };
            const gpuOut = await runGpu(ctx, graph, out, values, c.training ?? false, other);
            expectClose(gpuOut.data, o.cpu.data, tol, `${what}, workgroupTiling ${other.workgroupTiling}`);
          }
        }
      });
    }

    it("represents -Infinity and NaN: a masked row's maximum, exp of -inf, NaN through a reduction", async () => {
      const ctx = gpu.ctx!;
      const b = new IRBuilder();
      const x = b.input("x", { dtype: "f32", shape: [Dim.const(3), Dim.const(3)] }, { start: 0, end: 0 });
      const masked = b.op("add", [x, b.op("causal_mask", [], { size: Dim.const(3) })]);
      const rowMax = b.op("reduce_max", [masked], { axes: [1], keepdims: true });
      const e = b.op("exp", [masked]);
      const nan = b.op("mul", [b.op("constant", [], { value: NaN, dtype: "f32" }), x]);
      const nanSum = b.op("reduce_sum", [nan], { axes: [0], keepdims: false });
      const values = new Map([["x", { shape: [3, 3], data: Float32Array.from([1, 2, 3, 4, 5, 6, -Infinity, 8, 9]) }]]);
      for (const node of [masked, rowMax, e, nanSum]) {
        const o = await runBoth(ctx, b.graph, node.node, values);
        expectClose(o.gpu.data, o.cpu.data, node === e ? ULP : EXACT, `node ${node.node}`);
      }
      const o = await runBoth(ctx, b.graph, masked.node, values);
      expect(Array.from(o.gpu.data)).toEqual([1, -Infinity, -Infinity, 4, 5, -Infinity, -Infinity, 8, 9]);
    });

    it("indexes correctly on a two-dimensional grid (a limit of 20 workgroups per dimension forces one)", async () => {
      const ctx = gpu.ctx!;
      const limits = { ...ctx.limits, maxComputeWorkgroupsPerDimension: 20 };
      const cases: [string, Case][] = [
        ["add", { inputs: [{ shape: [65, 129] }, { shape: [129] }], attrs: {} }],
        ["reduce_sum", { inputs: [{ shape: [31, 129] }], attrs: { axes: [1], keepdims: false } }],
        ["reduce_max", { inputs: [{ shape: [1290, 5] }], attrs: { axes: [1], keepdims: false } }],
        ["matmul", { inputs: [{ shape: [5, 129, 13] }, { shape: [13, 65] }], attrs: {} }],
        ["transpose", { inputs: [{ shape: [13, 64, 7] }], attrs: { perm: [2, 0, 1] } }],
      ];
      for (const [op, c] of cases) {
        const { graph, out, values } = buildCase(op, c, 5);
        const plan = planProgram(graph, new Map([...values].map(([k, v]) => [k, v.shape])), { limits, training: false, fold: false });
        expect(plan.kernels[0]!.dispatch[1], `${op} uses a second grid dimension`).toBeGreaterThan(1);
        const o = await runBoth(ctx, graph, out, values, false, limits);
        expectClose(o.gpu.data, o.cpu.data, op === "add" || op === "transpose" || op === "reduce_max" ? EXACT : SUM, op);
      }
    });

    it("runs the tiled matmul past one tile, on ragged edges, batches, broadcasts and size 1, and its fallbacks", async () => {
      const ctx = gpu.ctx!;
      // The default tile is 64 x 64 with K staged 16 deep: sizes on, just under and just over those, primes and 1.
      const shapes: [number[], number[]][] = [
        [[1, 1], [1, 1]], [[1, 300], [300, 1]], [[64, 64], [64, 64]], [[128, 32], [32, 192]], [[65, 17], [17, 129]],
        [[131, 1], [1, 67]], [[1, 70], [70, 130]], [[200, 16], [16, 3]], [[2, 63, 15], [2, 15, 65]], [[3, 1, 70, 33], [5, 33, 66]],
        [[70], [70, 65]], [[4, 66, 70], [70]], [[2, 1, 129, 20], [1, 3, 20, 2]],
      ];
      // Forced on: a software adapter (lavapipe) opts out of the tiled schedule, which would leave it untested here.
      const tiling = { ...ctx.limits, workgroupTiling: true };
      const tiled: [string, KernelLimits, (bytes: number) => boolean] = ["tiled", tiling, (bytes) => bytes > 0];
      const small: [string, KernelLimits, (bytes: number) => boolean] = ["tiled, 32 invocations", { ...tiling, maxComputeInvocationsPerWorkgroup: 32 }, (bytes) => bytes > 0];
      const fallback: [string, KernelLimits, (bytes: number) => boolean] = ["without workgroup memory", { ...tiling, maxComputeWorkgroupStorageSize: 1024 }, (bytes) => bytes === 0];
      // Each kernel costs a pipeline compile (about a second on lavapipe): the other schedules run on a few shapes.
      for (const [i, [a, b]] of shapes.entries()) {
        const { graph, out, values } = buildCase("matmul", { inputs: [{ shape: a }, { shape: b }], attrs: {} }, i);
        const cpu = runCpu(graph, out, values);
        for (const [name, limits, usesTiles] of i % 4 === 3 ? [tiled, small, fallback] : [tiled]) {
          const what = `matmul [${a.join(", ")}] @ [${b.join(", ")}], ${name}`;
          const plan = planProgram(graph, new Map([...values].map(([k, v]) => [k, v.shape])), { limits, training: false, fold: false });
          expect(usesTiles(plan.kernels[0]!.workgroupBytes), `${what}: workgroup memory ${plan.kernels[0]!.workgroupBytes} bytes`).toBe(true);
          expectClose((await runGpu(ctx, graph, out, values, false, limits)).data, cpu.data, SUM, what);
        }
      }
    }, 180_000);

    it("fuses a bias add and relu into either matmul schedule's stores", async () => {
      const ctx = gpu.ctx!;
      const b = new IRBuilder();
      const span = { start: 0, end: 0 };
      const x = b.input("x", { dtype: "f32", shape: [Dim.const(70), Dim.const(33)] }, span);
      const w = b.input("w", { dtype: "f32", shape: [Dim.const(33), Dim.const(130)] }, span);
      const bias = b.input("bias", { dtype: "f32", shape: [Dim.const(130)] }, span);
      const y = b.op("relu", [b.op("add", [b.op("matmul", [x, w]), bias])]);
      b.graph.outputs.push({ name: "y", node: y.node, type: y.type });
      const random = uniformStream(3);
      const values = new Map<string, HostValue>([[70, 33], [33, 130], [130]].map((shape, i) =>
        [["x", "w", "bias"][i]!, { shape, data: Float32Array.from({ length: shape.reduce((p, d) => p * d, 1) }, () => random() * 4 - 2) }]));
      for (const workgroupTiling of [true, false]) {
        const limits = { ...ctx.limits, workgroupTiling };
        const plan = planProgram(b.graph, new Map([...values].map(([k, v]) => [k, v.shape])), { limits, training: false, fold: false });
        expect(plan.kernels.map((k) => k.op)).toEqual(["matmul"]);
        expect(plan.kernels[0]!.workgroupBytes > 0).toBe(workgroupTiling);
        const gpuOut = await runGpu(ctx, b.graph, y.node, values, false, limits);
        expectClose(gpuOut.data, runCpu(b.graph, y.node, values).data, SUM, `relu(x @ w + bias), tiling ${workgroupTiling}`);
      }
    });

    it("indexes correctly past 65,535 workgroups on the adapter's own limits", async () => {
      const ctx = gpu.ctx!;
      // 64-wide workgroups: 2^22 + 3 elements need 65,537 of them; 70,001 rows of a cooperative reduction, one each.
      const cases: [string, Case][] = [
        ["mul", { inputs: [{ shape: [4194307] }, { shape: [1] }], attrs: {} }],
        ["reduce_sum", { inputs: [{ shape: [70001, 129] }], attrs: { axes: [1], keepdims: false } }],
      ];
      for (const [op, c] of cases) {
        const { graph, out, values } = buildCase(op, c, 9);
        const plan = planProgram(graph, new Map([...values].map(([k, v]) => [k, v.shape])), { limits: ctx.limits, training: false, fold: false });
        const [gx, gy] = plan.kernels[0]!.dispatch;
        expect(gx * gy, `${op} dispatches more than 65,535 workgroups`).toBeGreaterThan(65535);
        const o = await runBoth(ctx, graph, out, values);
        expectClose(o.gpu.data, o.cpu.data, op === "mul" ? EXACT : SUM, op);
      }
    });

    it("reports out-of-range ids and labels as the CPU does, without touching memory outside the table", async () => {
      const ctx = gpu.ctx!;
      const gather = buildCase("gather", { inputs: [{ shape: [5, 3] }, { shape: [4], dtype: "i32", range: [0, 5] }], attrs: {} }, 1);
      (gather.values.get("x1")!.data as Int32Array)[2] = 7;
      expect(() => runCpu(gather.graph, gather.out, gather.values)).toThrow("embedding: id 7 is outside the table's rows 0..4");
      await expect(runGpu(ctx, gather.graph, gather.out, gather.values)).rejects.toThrow("embedding: id 7 is outside the table's rows 0..4");
      const pick = buildCase("pick", { inputs: [{ shape: [4, 3] }, { shape: [4], dtype: "i32", range: [0, 3] }], attrs: {} }, 1);
      const labels = pick.values.get("x1")!.data as Int32Array;
      labels[1] = -2;
      expect(() => runCpu(pick.graph, pick.out, pick.values)).toThrow("cross_entropy: label -2 is outside the classes 0..2");
      await expect(runGpu(ctx, pick.graph, pick.out, pick.values)).rejects.toThrow("cross_entropy: label -2 is outside the classes 0..2");
    });

    afterAll(() => {
      const rows = [...worst].map(([op, w]) => `${op.padEnd(20)} ${String(w.cases).padStart(3)} cases  max abs ${w.abs.toExponential(1)}  max rel ${w.rel.toExponential(1)}`);
      console.log(`webgpu-ops on ${gpu.ctx!.adapter}\n${rows.join("\n")}`);
    });
  });

  it("leaves sources to the runtime: input, param and state have no kernel", () => {
    const b = new IRBuilder();
    const x = b.input("x", { dtype: "f32", shape: [Dim.const(2)] }, { start: 0, end: 0 });
    const types = [{ dtype: "f32" as const, shape: [2] }];
    expect(emitKernel(b.graph.nodes[x.node]!, types, () => 0, { limits: DEFAULT_LIMITS, training: false })).toBeUndefined();
  });
});
