// A LeNet-style CNN training step, dlg against TF.js on the same adapter (the convolutional companion of peer-mlp):
// 28x28x1 -> conv 5x5 16 "same" -> relu -> max pool 2 -> conv 5x5 32 -> relu -> max pool 2 -> dense 128 -> relu ->
// dense 84 -> relu -> dense 10, softmax cross-entropy, batch 64, SGD lr 0.01, NHWC with HWIO kernels (TF's layout
// and dlg's). Weights and data come from the peers' generator (mulberry32, seed 4321), Glorot-uniform kernels and
// zero biases; bench/peers/bench_tfjs_lenet.mjs builds the same numbers from this module (dist/bench/peer-lenet.js
// exports them), and both print the float64 initial loss computed here.
//   node dist/bench/peer-lenet.js vulkan|gles [--trials=N] [--steps=N] [--nofuse]
import { hostTensor } from "../sessions/index.js";
import { mulberry32, peerArguments, runPeerBenchmark } from "./peer-common.js";

export const LENET_BATCH = 64;
const C1 = 16, C2 = 32, F1 = 128, F2 = 84, CLASSES = 10, K = 5;

export const LENET_SOURCE = `model PeerLeNet() {
  input image: f32[N, 28, 28]
  input label: i32[N]
  x = reshape(image, [N, 28, 28, 1])
  conv1 = conv2d(x, ${C1}, kernel: ${K}, padding: "same") -> relu
  pool1 = max_pool2d(conv1, 2)
  conv2 = conv2d(pool1, ${C2}, kernel: ${K}) -> relu
  pool2 = max_pool2d(conv2, 2)
  features = flatten(pool2)
  fc1 = dense(features, ${F1}) -> relu
  fc2 = dense(fc1, ${F2}) -> relu
  logits = dense(fc2, ${CLASSES})
  output logits
  loss = cross_entropy(logits, label)
  train loss with sgd(lr: 0.01)
}
`;

export interface LenetParam {
  name: string;
  shape: number[];
  data: Float32Array;
}

export interface LenetProblem {
  params: LenetParam[];
  /** [batch, 28, 28] in [0, 1). */
  images: Float32Array;
  labels: Int32Array;
}

/** Weight shapes in dlg's names: conv kernels [k, k, in, out], dense [in, out]; each followed by its bias. */
const LAYERS: [string, number[]][] = [
  ["conv1", [K, K, 1, C1]], ["conv2", [K, K, C1, C2]], ["fc1", [5 * 5 * C2, F1]], ["fc2", [F1, F2]], ["logits", [F2, CLASSES]],
];

export function makeLenet(seed = 4321): LenetProblem {
  const r = mulberry32(seed);
  const params: LenetParam[] = [];
  for (const [name, shape] of LAYERS) {
    // Glorot uniform as Keras and dlg compute it: a kernel's fans include its receptive field.
    const field = shape.length === 4 ? shape[0]! * shape[1]! : 1;
    const fanIn = field * shape[shape.length - 2]!, fanOut = field * shape[shape.length - 1]!;
    const s = Math.sqrt(6 / (fanIn + fanOut));
    const data = new Float32Array(shape.reduce((a, b) => a * b, 1));
    for (let i = 0; i < data.length; i++) data[i] = (r() * 2 - 1) * s;
    params.push({ name: `${name}.weight`, shape, data }, { name: `${name}.bias`, shape: [shape[shape.length - 1]!], data: new Float32Array(shape[shape.length - 1]!) });
  }
  const images = new Float32Array(LENET_BATCH * 28 * 28);
  for (let i = 0; i < images.length; i++) images[i] = r();
  const labels = new Int32Array(LENET_BATCH);
  for (let i = 0; i < LENET_BATCH; i++) labels[i] = Math.floor(r() * CLASSES);
  return { params, images, labels };
}

/** NHWC convolution, stride 1, `pad` zeros on every side, plus bias and ReLU, in float64. */
function convRelu(x: Float64Array, h: number, w: number, cin: number, kernel: Float32Array, bias: Float32Array, cout: number, pad: number) {
  const oh = h + 2 * pad - K + 1, ow = w + 2 * pad - K + 1;
  const out = new Float64Array(LENET_BATCH * oh * ow * cout);
  for (let n = 0; n < LENET_BATCH; n++)
    for (let i = 0; i < oh; i++)
      for (let j = 0; j < ow; j++)
        for (let di = 0; di < K; di++) {
          const y = i + di - pad;
          if (y < 0 || y >= h) continue;
          for (let dj = 0; dj < K; dj++) {
            const xx = j + dj - pad;
            if (xx < 0 || xx >= w) continue;
            for (let c = 0; c < cin; c++) {
              const v = x[((n * h + y) * w + xx) * cin + c]!;
              const kBase = ((di * K + dj) * cin + c) * cout;
              const oBase = ((n * oh + i) * ow + j) * cout;
              for (let o = 0; o < cout; o++) out[oBase + o]! += v * kernel[kBase + o]!;
            }
          }
        }
  for (let e = 0; e < out.length; e++) out[e] = Math.max(0, out[e]! + bias[e % cout]!);
  return { out, h: oh, w: ow };
}

function maxPool2(x: Float64Array, h: number, w: number, c: number) {
  const oh = h >> 1, ow = w >> 1;
  const out = new Float64Array(LENET_BATCH * oh * ow * c).fill(-Infinity);
  for (let n = 0; n < LENET_BATCH; n++)
    for (let i = 0; i < 2 * oh; i++)
      for (let j = 0; j < 2 * ow; j++)
        for (let k = 0; k < c; k++) {
          const o = ((n * oh + (i >> 1)) * ow + (j >> 1)) * c + k;
          out[o] = Math.max(out[o]!, x[((n * h + i) * w + j) * c + k]!);
        }
  return { out, h: oh, w: ow };
}

function dense(x: Float64Array, inDim: number, weight: Float32Array, bias: Float32Array, outDim: number, relu: boolean): Float64Array {
  const out = new Float64Array(LENET_BATCH * outDim);
  for (let n = 0; n < LENET_BATCH; n++)
    for (let o = 0; o < outDim; o++) {
      let s = bias[o]!;
      for (let i = 0; i < inDim; i++) s += x[n * inDim + i]! * weight[i * outDim + o]!;
      out[n * outDim + o] = relu ? Math.max(0, s) : s;
    }
  return out;
}

/** The initial loss in float64: what dlg's and TF.js's first steps must reproduce. */
export function lenetReferenceLoss({ params, images, labels }: LenetProblem): number {
  const p = (name: string) => params.find((q) => q.name === name)!.data;
  const c1 = convRelu(Float64Array.from(images), 28, 28, 1, p("conv1.weight"), p("conv1.bias"), C1, 2);
  const p1 = maxPool2(c1.out, c1.h, c1.w, C1);
  const c2 = convRelu(p1.out, p1.h, p1.w, C1, p("conv2.weight"), p("conv2.bias"), C2, 0);
  const p2 = maxPool2(c2.out, c2.h, c2.w, C2);
  const f1 = dense(p2.out, 5 * 5 * C2, p("fc1.weight"), p("fc1.bias"), F1, true);
  const f2 = dense(f1, F1, p("fc2.weight"), p("fc2.bias"), F2, true);
  const logits = dense(f2, F2, p("logits.weight"), p("logits.bias"), CLASSES, false);
  let loss = 0;
  for (let n = 0; n < LENET_BATCH; n++) {
    const row = logits.subarray(n * CLASSES, (n + 1) * CLASSES);
    const m = Math.max(...row);
    loss += Math.log(row.reduce((s, v) => s + Math.exp(v - m), 0)) + m - row[labels[n]!]!;
  }
  return loss / LENET_BATCH;
}

/** Multiply-adds count two; a training step as three times the forward pass (forward, input and weight gradients). */
export const LENET_FLOPS_PER_STEP = 3 * 2 * LENET_BATCH * (28 * 28 * C1 * K * K * 1 + 10 * 10 * C2 * K * K * C1 + 5 * 5 * C2 * F1 + F1 * F2 + F2 * CLASSES);

// Run as a program (not when bench_tfjs_lenet.mjs imports the problem).
if (process.argv[1]?.endsWith("peer-lenet.js")) {
  const problem = makeLenet();
  await runPeerBenchmark({
    source: LENET_SOURCE,
    params: new Map(problem.params.map((p) => [p.name, hostTensor("f32", p.shape, p.data)])),
    batch: { image: hostTensor("f32", [LENET_BATCH, 28, 28], problem.images), label: hostTensor("i32", [LENET_BATCH], problem.labels) },
    referenceLoss: lenetReferenceLoss(problem),
    flopsPerStep: LENET_FLOPS_PER_STEP,
    bench: "lenet_train",
  }, peerArguments("node dist/bench/peer-lenet.js"));
}
