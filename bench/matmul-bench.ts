// The CPU reference executor's matmul throughput (GFLOP/s), register-blocked kernel vs the textbook i-k-j loop,
// interleaved in one process on the same inputs.
import { performance } from "node:perf_hooks";
import { matmulKernel } from "../compiler/ops/matmul.js";

function naive(a: Float32Array, b: Float32Array, out: Float32Array, m: number, k: number, p: number): void {
  out.fill(0);
  for (let i = 0; i < m; i++)
    for (let kk = 0; kk < k; kk++) {
      const av = a[i * k + kk]!;
      for (let j = 0; j < p; j++) out[i * p + j]! += av * b[kk * p + j]!;
    }
}

export function matmulBench(): void {
  for (const [m, k, p] of [[64, 784, 512], [256, 256, 256], [512, 512, 512]] as const) {
    const a = Float32Array.from({ length: m * k }, (_, i) => Math.sin(i));
    const b = Float32Array.from({ length: k * p }, (_, i) => Math.cos(i));
    const out = new Float32Array(m * p);
    const flops = 2 * m * k * p;
    const best = { blocked: Infinity, naive: Infinity };
    for (let rep = 0; rep < 5; rep++) {
      let t = performance.now();
      matmulKernel(a, 0, b, 0, out, 0, m, k, p);
      best.blocked = Math.min(best.blocked, performance.now() - t);
      t = performance.now();
      naive(a, b, out, m, k, p);
      best.naive = Math.min(best.naive, performance.now() - t);
    }
    const g = (ms: number) => (flops / ms / 1e6).toFixed(2);
    console.log(`matmul ${m}x${k}x${p}: blocked ${g(best.blocked)} GFLOP/s, textbook ${g(best.naive)} GFLOP/s, ratio ${(best.naive / best.blocked).toFixed(2)}x`);
  }
}
