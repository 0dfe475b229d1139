// The peers' MLP problem (../shared/peers: 784-512-512-10 ReLU, softmax cross-entropy, batch 128, SGD lr 0.01, the
// same weights and data), driven through dlg's public entry points (`dlg`, `dlg/node`), printing the JSON line
// run_vs.sh reads, so `DLG_CMD="node dist/bench/peer-mlp.js" run_vs.sh` compares dlg with TF.js and jax-js:
//   node dist/bench/peer-mlp.js vulkan|gles [--trials=N] [--steps=N] [--nofuse]
// The problem's numbers are generated here exactly as the peers' lib/mlpdata.mjs generates them (mulberry32, seed
// 1234); `loss0_ok` says whether the first loss matches the float64 reference, as every peer must.
import { hostTensor } from "../sessions/index.js";
import { mulberry32, peerArguments, runPeerBenchmark } from "./peer-common.js";

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

const problem = makeMlp();
const params = new Map(["h1", "h2", "logits"].flatMap((name, l) => {
  const p = problem.params[l]!;
  return [[`${name}.weight`, hostTensor("f32", p.shapeW, p.W)], [`${name}.bias`, hostTensor("f32", p.shapeB, p.b)]] as const;
}));
await runPeerBenchmark({
  source: SOURCE,
  params,
  batch: { x: hostTensor("f32", [BATCH, 784], problem.X), label: hostTensor("i32", [BATCH], problem.labels) },
  referenceLoss: referenceLoss(problem),
  flopsPerStep: FLOPS_PER_STEP,
  bench: "mlp_train",
}, peerArguments("node dist/bench/peer-mlp.js"));
