// `npm run bench`, GPU part: matmul throughput (GFLOP/s) on this machine's WebGPU adapter. dlg's two schedules (tiled
// in workgroup memory, and register-blocked without it) against the textbook one-invocation-per-element kernel, in one
// process on the same buffers; the last column is the schedule dlg picks for this adapter over naive. Every kernel's
// result is checked against the CPU reference first.
// DLG_ADAPTER=vulkan|gles|auto picks the adapter, as in the tests.
import { performance } from "node:perf_hooks";
import { Dim } from "../compiler/ir/dims.js";
import { IRBuilder } from "../compiler/ir/builder.js";
import "../compiler/ops/index.js";
import { emitKernel, type KernelPlan } from "../compiler/5-codegen-wgsl/emit-kernel.js";
import type { KernelLimits } from "../compiler/wgsl/limits.js";
import { matmulKernel } from "../compiler/ops/matmul.js";
import { GpuUnavailableError, type GpuContext } from "../runtime/device.js";
import { mapForReading, pipelineFor, upload, Usage } from "../runtime/gpu-program.js";
import type { ManifestKernel } from "../runtime/manifest.js";
import { nodeDevice, parseAdapterChoice } from "../runtime/node/webgpu-node.js";

interface Shape {
  name: string;
  m: number;
  k: number;
  p: number;
}

const SHAPES: Shape[] = [
  ...[128, 256, 512, 1024].map((n) => ({ name: `square ${n}`, m: n, k: n, p: n })),
  // The MNIST MLP 784-512-512-10 at batch 64: the three forward layers and the first layer's weight gradient.
  { name: "mlp fc1", m: 64, k: 784, p: 512 },
  { name: "mlp fc2", m: 64, k: 512, p: 512 },
  { name: "mlp fc3", m: 64, k: 512, p: 10 },
  { name: "mlp dW1 = x^T g", m: 784, k: 64, p: 512 },
];

/** Each timed batch of dispatches should take about this long, so that per-submit overhead is noise. */
const TARGET_MS = 250;
const ROUNDS = 3;

/** One invocation per element of C, a plain loop over k: the baseline every tuned kernel is measured against. */
function naiveKernel({ m, k, p }: Shape): ManifestKernel {
  const wgsl = `
@group(0) @binding(0) var<storage, read> a: array<f32>;
@group(0) @binding(1) var<storage, read> b: array<f32>;
@group(0) @binding(2) var<storage, read_write> c: array<f32>;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3u) {
  let i = gid.x;
  if (i >= ${m * p}u) { return; }
  let row = i / ${p}u;
  let col = i % ${p}u;
  var acc = 0.0;
  for (var j = 0u; j < ${k}u; j++) {
    acc = acc + a[row * ${k}u + j] * b[j * ${p}u + col];
  }
  c[i] = acc;
}
`;
  const bindings = [0, 1, 2].map((i) => ({ binding: i, buffer: i, access: i === 2 ? "read_write" as const : "read" as const }));
  return { label: "naive matmul", wgsl, entryPoint: "main", dispatch: [Math.ceil((m * p) / 64), 1, 1], bindings };
}

/** dlg's kernel for one matmul node at these sizes and limits. */
function dlgKernel({ m, k, p }: Shape, limits: KernelLimits): ManifestKernel {
  const b = new IRBuilder();
  const span = { start: 0, end: 0 };
  const x = b.input("x", { dtype: "f32", shape: [Dim.const(m), Dim.const(k)] }, span);
  const w = b.input("w", { dtype: "f32", shape: [Dim.const(k), Dim.const(p)] }, span);
  const y = b.op("matmul", [x, w]);
  const types = b.graph.nodes.map((n) => ({ dtype: "f32" as const, shape: n.id === x.node ? [m, k] : n.id === w.node ? [k, p] : [m, p] }));
  const plan: KernelPlan = emitKernel(b.graph.nodes[y.node]!, types, () => 0, { limits, training: false })!;
  const buffers = new Map([[x.node, 0], [w.node, 1], [y.node, 2]]);
  const bindings = plan.bindings.map((bd) => ({
    binding: bd.binding,
    buffer: buffers.get(bd.role.kind === "input" || bd.role.kind === "output" ? bd.role.node : -1)!,
    access: bd.access,
  }));
  return { label: plan.what, wgsl: plan.wgsl, entryPoint: plan.entryPoint, dispatch: plan.dispatch, bindings };
}

interface Variant {
  name: string;
  kernel: ManifestKernel;
  pipeline: GPUComputePipeline;
  group: GPUBindGroup;
  best: number;
}

/** Records `count` dispatches of a kernel in one pass, submits them, and waits until the queue has run them. */
async function run(ctx: GpuContext, v: Variant, count: number): Promise<number> {
  const device = ctx.device;
  const encoder = device.createCommandEncoder();
  const pass = encoder.beginComputePass();
  pass.setPipeline(v.pipeline);
  pass.setBindGroup(0, v.group);
  const [x, y, z] = v.kernel.dispatch;
  for (let i = 0; i < count; i++) pass.dispatchWorkgroups(x, y, z);
  pass.end();
  const t0 = performance.now();
  device.queue.submit([encoder.finish()]);
  await device.queue.onSubmittedWorkDone();
  return performance.now() - t0;
}

async function readBack(ctx: GpuContext, buffer: GPUBuffer, bytes: number): Promise<Float32Array> {
  const staging = ctx.device.createBuffer({ size: bytes, usage: Usage.MAP_READ | Usage.COPY_DST });
  const encoder = ctx.device.createCommandEncoder();
  encoder.copyBufferToBuffer(buffer, 0, staging, 0, bytes);
  ctx.device.queue.submit([encoder.finish()]);
  await mapForReading(ctx, staging);
  const out = new Float32Array(staging.getMappedRange().slice(0));
  staging.destroy();
  return out;
}

async function benchShape(ctx: GpuContext, shape: Shape): Promise<void> {
  const { m, k, p } = shape;
  const device = ctx.device;
  const a = Float32Array.from({ length: m * k }, (_, i) => Math.sin(i * 0.37));
  const b = Float32Array.from({ length: k * p }, (_, i) => Math.cos(i * 0.11));
  const want = new Float64Array(m * p);
  matmulKernel(a, 0, b, 0, want, 0, m, k, p);
  const buffers = [a, b, new Float32Array(m * p)].map((data) => {
    const buffer = device.createBuffer({ size: data.byteLength, usage: Usage.STORAGE | Usage.COPY_SRC | Usage.COPY_DST });
    upload(device, buffer, data);
    return buffer;
  });
  const kernels: [string, ManifestKernel][] = [
    ["naive", naiveKernel(shape)],
    // dlg's kernel without workgroup memory: what it emits on software adapters or where the tiles do not fit.
    ["blocked", dlgKernel(shape, { ...ctx.limits, workgroupTiling: false })],
    ["tiled", dlgKernel(shape, { ...ctx.limits, workgroupTiling: true })],
  ];
  const pipelines = await Promise.all(kernels.map(([, kernel]) => pipelineFor(ctx, kernel)));
  const variants: Variant[] = kernels.map(([name, kernel], i) => ({
    name,
    kernel,
    pipeline: pipelines[i]!.pipeline,
    group: device.createBindGroup({
      layout: pipelines[i]!.layout,
      entries: kernel.bindings.map((bd) => ({ binding: bd.binding, resource: { buffer: buffers[bd.buffer]! } })),
    }),
    best: Infinity,
  }));
  // Sums of k products of values in [-1, 1] in f32: rounding grows with k; a wrong index is off by O(sqrt(k)).
  const tolerance = 1e-5 * (k + 1);
  const counts = new Map<Variant, number>();
  for (const v of variants) {
    device.queue.writeBuffer(buffers[2]!, 0, new Float32Array(m * p));
    const once = await run(ctx, v, 1);
    const got = await readBack(ctx, buffers[2]!, m * p * 4);
    let worst = 0;
    for (let i = 0; i < want.length; i++) worst = Math.max(worst, Math.abs(got[i]! - want[i]!));
    if (!(worst <= tolerance)) throw new Error(`${v.name} matmul ${m}x${k}x${p} differs from the CPU reference by ${worst}`);
    counts.set(v, Math.max(1, Math.min(200, Math.round(TARGET_MS / Math.max(once, 1e-3)))));
  }
  for (let round = 0; round < ROUNDS; round++)
    for (const v of variants) {
      const n = counts.get(v)!;
      v.best = Math.min(v.best, (await run(ctx, v, n)) / n);
    }
  for (const buffer of buffers) buffer.destroy();
  const gflops = (v: Variant) => (2 * m * k * p) / v.best / 1e6;
  const [naive, blocked, tiled] = variants as [Variant, Variant, Variant];
  const cell = (v: Variant) => gflops(v).toFixed(2).padStart(8);
  const chosen = ctx.limits.workgroupTiling === false ? blocked : tiled;
  console.log(`${shape.name.padEnd(16)} ${`${m}x${k}x${p}`.padEnd(15)} ${cell(naive)} ${cell(blocked)} ${cell(tiled)} ${(gflops(chosen) / gflops(naive)).toFixed(2).padStart(10)}x`);
}

async function main(): Promise<void> {
  const choice = parseAdapterChoice(process.env["DLG_ADAPTER"]);
  if (!choice) throw new GpuUnavailableError(`DLG_ADAPTER must be auto, vulkan or gles, got '${process.env["DLG_ADAPTER"]}'`);
  const ctx = await nodeDevice(choice);
  console.log(`\nGPU matmul on ${ctx.adapter}, GFLOP/s (best of ${ROUNDS} batches of dispatches; each result checked against the CPU first)`);
  const chosen = ctx.limits.workgroupTiling === false ? "blocked" : "tiled";
  console.log(`${"shape".padEnd(16)} ${"MxKxP".padEnd(15)} ${"naive".padStart(8)} ${"blocked".padStart(8)} ${"tiled".padStart(8)} ${`${chosen}/naive`.padStart(11)}`);
  for (const shape of SHAPES) await benchShape(ctx, shape);
  ctx.device.destroy();
}

try {
  await main();
} catch (e) {
  if (!(e instanceof GpuUnavailableError)) throw e;
  console.error(`gpu-matmul-bench: ${e.message}`);
  process.exitCode = 1;
}
