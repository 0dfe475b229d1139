// The peers' MLP problem (../shared/peers: 784-512-512-10 ReLU, softmax cross-entropy, batch 128, SGD lr 0.01, the
// same weights and data), driven through dlg's public entry points (`dlg`, `dlg/node`), printing the JSON line
// run_vs.sh reads, so `DLG_CMD="node dist/bench/peer-mlp.js" run_vs.sh` compares dlg with TF.js and jax-js:
//   node dist/bench/peer-mlp.js vulkan|gles [--trials=N] [--steps=N] [--nofuse]
// The problem's numbers are generated here exactly as the peers' lib/mlpdata.mjs generates them (mulberry32, seed
// 1234); `loss0_ok` says whether the first loss matches the float64 reference, as every peer must.
import { compile, GpuSession, hostTensor } from "../sessions/index.js";
import { nodeDevice, type AdapterChoice } from "../runtime/node/index.js";

const DIMS = [784, 512, 512, 10] as const;
const BATCH = 128;
const SOURCE = `model PeerMLP() {
  input x: f32[N, 784]
  input label: i32[N]
  h1 = dense(x, 512) -> relu
  h2 = dense(h1, 512) -> relu
  logits = dense(h2, 10)
  output logits
  loss = cross_entropy(logits, label)
  train loss with sgd(lr: 0.01)
}
`;
// Forward plus two backward matmuls per layer.
const FLOPS_PER_STEP = 3 * [0, 1, 2].reduce((f, l) => f + 2 * BATCH * DIMS[l]! * DIMS[l + 1]!, 0);

function mulberry32(seed: number): () => number {
  let a = seed;
  return () => {
    a |= 0;
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Problem {
  params: { W: Float32Array; b: Float32Array; shapeW: number[]; shapeB: number[] }[];
  X: Float32Array;
  labels: Int32Array;
}

function makeMlp(seed = 1234): Problem {
  const r = mulberry32(seed);
  const params: Problem["params"] = [];
  for (let l = 0; l < 3; l++) {
    const fi = DIMS[l]!, fo = DIMS[l + 1]!, s = Math.sqrt(6 / (fi + fo));
    const W = new Float32Array(fi * fo);
    for (let i = 0; i < W.length; i++) W[i] = (r() * 2 - 1) * s;
    params.push({ W, b: new Float32Array(fo), shapeW: [fi, fo], shapeB: [fo] });
  }
  const X = new Float32Array(BATCH * DIMS[0]);
  for (let i = 0; i < X.length; i++) X[i] = r();
  const labels = new Int32Array(BATCH);
  for (let i = 0; i < BATCH; i++) labels[i] = Math.floor(r() * 10);
  return { params, X, labels };
}

/** The initial loss in float64: what every peer's first step must reproduce. */
function referenceLoss({ params, X, labels }: Problem): number {
  let h = Float64Array.from(X);
  let dIn: number = DIMS[0];
  for (let l = 0; l < 3; l++) {
    const { W, b } = params[l]!, dOut = DIMS[l + 1]!, o = new Float64Array(BATCH * dOut);
    for (let n = 0; n < BATCH; n++) for (let k = 0; k < dIn; k++) {
      const v = h[n * dIn + k]!;
      if (v === 0) continue;
      for (let j = 0; j < dOut; j++) o[n * dOut + j]! += v * W[k * dOut + j]!;
    }
    for (let n = 0; n < BATCH; n++) for (let j = 0; j < dOut; j++) {
      o[n * dOut + j]! += b[j]!;
      if (l < 2 && o[n * dOut + j]! < 0) o[n * dOut + j] = 0;
    }
    h = o;
    dIn = dOut;
  }
  let loss = 0;
  for (let n = 0; n < BATCH; n++) {
    let m = -Infinity;
    for (let j = 0; j < 10; j++) m = Math.max(m, h[n * 10 + j]!);
    let s = 0;
    for (let j = 0; j < 10; j++) s += Math.exp(h[n * 10 + j]! - m);
    loss += Math.log(s) + m - h[n * 10 + labels[n]!]!;
  }
  return loss / BATCH;
}

async function main(): Promise<void> {
  const which = (process.argv[2] ?? "vulkan") as AdapterChoice;
  if (which !== "vulkan" && which !== "gles") {
    console.error("usage: node dist/bench/peer-mlp.js vulkan|gles [--trials=N] [--steps=N] [--nofuse]");
    process.exit(2);
  }
  const arg = (key: string, fallback: number) => Number(process.argv.find((a) => a.startsWith(`--${key}=`))?.split("=")[1] ?? fallback);
  const trials = arg("trials", 3), steps = arg("steps", 20);
  const fuse = !process.argv.includes("--nofuse");
  if (which === "gles") process.env["EGL_PLATFORM"] ??= "surfaceless";
  const checked = compile(SOURCE, "mlp.dlg");
  if (!checked.ok || !checked.check) throw new Error(checked.diagnostics.map((d) => d.message).join("; "));
  const gpu = await nodeDevice(which);
  const session = new GpuSession(checked.check.graph, { gpu, seed: 0, fuse });
  const problem = makeMlp();
  ["h1", "h2", "logits"].forEach((name, l) => {
    const p = problem.params[l]!;
    session.params.set(`${name}.weight`, hostTensor("f32", p.shapeW, p.W));
    session.params.set(`${name}.bias`, hostTensor("f32", p.shapeB, p.b));
  });
  const batch = { x: hostTensor("f32", [BATCH, 784], problem.X), label: hostTensor("i32", [BATCH], problem.labels) };
  let start = performance.now();
  const first = session.trainStep(batch);
  await session.flush();
  const loss0 = await first;
  const firstStepMs = performance.now() - start;
  const times: number[] = [];
  let lossAfter = loss0;
  for (let t = 0; t < trials; t++) {
    start = performance.now();
    const pending: Promise<number>[] = [];
    for (let i = 0; i < steps; i++) pending.push(session.trainStep(batch));
    await session.flush();
    const losses = await Promise.all(pending);
    lossAfter = losses[losses.length - 1]!;
    times.push((performance.now() - start) / steps);
  }
  const sorted = [...times].sort((a, b) => a - b);
  const min = sorted[0]!, median = sorted[Math.floor(sorted.length / 2)]!;
  const ref = referenceLoss(problem);
  console.log(JSON.stringify({
    peer: fuse ? "dlg" : "dlg-nofuse", adapter: which, adapterLine: gpu.adapter, bench: "mlp_train", batch: BATCH, steps_per_trial: steps,
    first_step_ms: +firstStepMs.toFixed(1), ms_min: +min.toFixed(2), ms_med: +median.toFixed(2),
    steps_per_s_best: +(1000 / min).toFixed(2), steps_per_s_med: +(1000 / median).toFixed(2), gflops_equiv_best: +(FLOPS_PER_STEP / min / 1e6).toFixed(2),
    loss0, ref_loss0: +ref.toFixed(5), loss0_ok: Math.abs(loss0 - ref) < 1e-3, loss_after: lossAfter,
  }));
  await session.destroy();
  process.exit(0);
}

await main();
