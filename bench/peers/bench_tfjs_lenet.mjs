// TF.js WebGPU on dlg's LeNet peer problem (bench/peer-lenet.ts): the same weights, data and initial loss, trained with
// tf.train.sgd as bench_tfjs.mjs trains the MLP. It runs from the peers' folder (their node_modules hold TF.js), so
// run-lenet-vs.sh copies it there; the problem comes from dlg's build, $DLG_DIST (default ./dist of the working dir).
// usage: node bench_tfjs_lenet.mjs vulkan|gles [--trials=N] [--steps=N]
import { writeSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { makeGpu, KEEP, stats } from './lib/gpu.mjs';
const log = (s) => writeSync(1, s + '\n');
const adapterName = process.argv[2] || 'vulkan';
const arg = (k, d) => { const a = process.argv.find((x) => x.startsWith('--' + k + '=')); return a ? a.split('=')[1] : d; };
const TRIALS = +arg('trials', 3), STEPS = +arg('steps', 20);
const dist = process.env.DLG_DIST || `${process.cwd()}/dist`;
const { makeLenet, lenetReferenceLoss, LENET_BATCH: B, LENET_FLOPS_PER_STEP } = await import(pathToFileURL(`${dist}/bench/peer-lenet.js`).href);
const now = () => performance.now();

const { gpu, adapterOpts } = makeGpu(adapterName);
KEEP.push(gpu);
const wrapped = { requestAdapter: (o) => gpu.requestAdapter({ ...o, ...adapterOpts }), getPreferredCanvasFormat: () => 'rgba8unorm', wgslLanguageFeatures: gpu.wgslLanguageFeatures };
KEEP.push(wrapped);
Object.defineProperty(globalThis, 'navigator', { value: { gpu: wrapped }, configurable: true, writable: true });
const tf = await import('@tensorflow/tfjs-core');
await import('@tensorflow/tfjs');
await import('@tensorflow/tfjs-backend-webgpu');
if (!(await tf.setBackend('webgpu')) || tf.getBackend() !== 'webgpu') { log(JSON.stringify({ peer: 'tfjs-webgpu', adapter: adapterName, error: 'setBackend failed' })); process.exit(1); }
await tf.ready();

const prob = makeLenet();
const v = Object.fromEntries(prob.params.map((p) => [p.name, tf.variable(tf.tensor(p.data, p.shape), true, p.name)]));
const X = tf.tensor(prob.images, [B, 28, 28, 1]);
const Y = tf.oneHot(tf.tensor1d(prob.labels, 'int32'), 10).toFloat();
const opt = tf.train.sgd(0.01);
const lossFn = () => {
  let h = tf.relu(tf.add(tf.conv2d(X, v['conv1.weight'], 1, 'same'), v['conv1.bias']));
  h = tf.maxPool(h, 2, 2, 'valid');
  h = tf.relu(tf.add(tf.conv2d(h, v['conv2.weight'], 1, 'valid'), v['conv2.bias']));
  h = tf.maxPool(h, 2, 2, 'valid');
  h = tf.reshape(h, [B, -1]);
  h = tf.relu(tf.add(tf.matMul(h, v['fc1.weight']), v['fc1.bias']));
  h = tf.relu(tf.add(tf.matMul(h, v['fc2.weight']), v['fc2.bias']));
  const logits = tf.add(tf.matMul(h, v['logits.weight']), v['logits.bias']);
  return tf.losses.softmaxCrossEntropy(Y, logits);
};
const ref0 = lenetReferenceLoss(prob);
let t0 = now(); let l = opt.minimize(lossFn, true); const loss0 = (await l.data())[0]; l.dispose(); const first = now() - t0;
const times = [];
let lossLast;
for (let t = 0; t < TRIALS; t++) {
  t0 = now(); let last; for (let i = 0; i < STEPS; i++) { if (last) last.dispose(); last = opt.minimize(lossFn, true); } lossLast = (await last.data())[0]; last.dispose(); times.push((now() - t0) / STEPS);
}
const st = stats(times);
log(JSON.stringify({ peer: 'tfjs-webgpu', adapter: adapterName, bench: 'lenet_train', batch: B, steps_per_trial: STEPS, first_step_ms: +first.toFixed(1), ms_min: +st.min.toFixed(2), ms_med: +st.median.toFixed(2),
  steps_per_s_best: +(1000 / st.min).toFixed(2), steps_per_s_med: +(1000 / st.median).toFixed(2), gflops_equiv_best: +(LENET_FLOPS_PER_STEP / st.min / 1e6).toFixed(2),
  loss0, ref_loss0: +ref0.toFixed(5), loss0_ok: Math.abs(loss0 - ref0) < 1e-3, loss_after: lossLast }));
process.exit(0);
