// Writes a seeded synthetic forecasting task for dsl-examples/forecast.dlg: noisy sums of sines whose frequencies,
// amplitudes and level change at a random moment (a regime change) in half of the series. Each row is 64 past values
// `x: f32[rows, 64, 1]` and the value that follows, `y: f32[rows, 1]`. Prints the mean squared error of the naive
// forecast (the last value) on the test file, the baseline the model is measured against.
//
//   node dsl-examples/data/make-series.mjs DIR        # writes DIR/series-train.safetensors, DIR/series-test.safetensors
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";

const STEPS = 64;

/** xorshift32: small, seeded, the same numbers on every platform. */
function generator(seed) {
  let s = seed >>> 0 || 1;
  const next = () => {
    s ^= s << 13; s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5; s >>>= 0;
    return s / 2 ** 32;
  };
  const normal = () => Math.sqrt(-2 * Math.log(1 - next())) * Math.cos(2 * Math.PI * next());
  return { next, normal };
}

function regime(r) {
  return Array.from({ length: 3 }, () => ({ amplitude: 0.2 + r.next(), period: 4 + 28 * r.next(), phase: 2 * Math.PI * r.next() }));
}

function series(r) {
  const before = regime(r);
  const after = regime(r);
  const levels = [r.normal() * 0.5, r.normal() * 0.5];
  const change = r.next() < 0.5 ? Math.floor(8 + r.next() * (STEPS - 8)) : STEPS + 1;
  return Float32Array.from({ length: STEPS + 1 }, (_, t) => {
    const [waves, level] = t < change ? [before, levels[0]] : [after, levels[1]];
    return level + waves.reduce((v, w) => v + w.amplitude * Math.sin((2 * Math.PI * t) / w.period + w.phase), 0) + 0.1 * r.normal();
  });
}

function safetensors(tensors) {
  let offset = 0;
  const header = {};
  for (const [name, { shape, data }] of Object.entries(tensors)) {
    header[name] = { dtype: "F32", shape, data_offsets: [offset, offset + data.byteLength] };
    offset += data.byteLength;
  }
  let json = JSON.stringify(header);
  json += " ".repeat((8 - (json.length % 8)) % 8);
  const out = new Uint8Array(8 + json.length + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(new TextEncoder().encode(json), 8);
  let at = 8 + json.length;
  for (const { data } of Object.values(tensors)) {
    out.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), at);
    at += data.byteLength;
  }
  return out;
}

function split(rows, seed) {
  const r = generator(seed);
  const x = new Float32Array(rows * STEPS);
  const y = new Float32Array(rows);
  let naive = 0;
  for (let i = 0; i < rows; i++) {
    const s = series(r);
    x.set(s.subarray(0, STEPS), i * STEPS);
    y[i] = s[STEPS];
    naive += (s[STEPS] - s[STEPS - 1]) ** 2;
  }
  return { tensors: { x: { shape: [rows, STEPS, 1], data: x }, y: { shape: [rows, 1], data: y } }, naive: naive / rows };
}

const dir = process.argv[2];
if (!dir) {
  console.error("usage: node make-series.mjs DIR");
  process.exit(2);
}
mkdirSync(dir, { recursive: true });
const train = split(8000, 2026);
const test = split(2000, 1202);
writeFileSync(join(dir, "series-train.safetensors"), safetensors(train.tensors));
writeFileSync(join(dir, "series-test.safetensors"), safetensors(test.tensors));
console.log(`wrote 8000 training and 2000 test series of ${STEPS} steps to ${dir}`);
console.log(`naive forecast (the last value) on the test series: MSE ${test.naive.toFixed(4)}`);
