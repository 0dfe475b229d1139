// `npm run bench`: front-end throughput. Checks generated deep models (dense stacks, repeated residual blocks) and
// reports wall time per phase, best and median of several runs. No peer compiler checks .dlg, so figures are absolute.
import { performance } from "node:perf_hooks";
import { parse } from "../compiler/1-parse/parse.js";
import { compile } from "../compiler/index.js";

function denseStack(layers: number): string {
  const lines = ["model Deep() {", "  input x: f32[N, 64]", "  input y: i32[N]", "  h = x"];
  for (let i = 0; i < layers; i++) lines.push(`  h = dense(h, 64) -> relu`);
  lines.push("  logits = dense(h, 10)", "  output logits", "  train cross_entropy(logits, y) with adam(lr: 1e-3)", "}");
  return lines.join("\n") + "\n";
}

function repeatedBlocks(blocks: number): string {
  return `block Residual(x: f32[B, D]) -> f32[B, D] {
  h = layer_norm(x)
  h = dense(h, 4 * D) -> gelu
  return x + dense(h, D)
}
model DeepResidual() {
  input x: f32[N, 64]
  repeat ${blocks} as blocks {
    x = Residual(x)
  }
  output x
}
`;
}

function time(label: string, runs: number, f: () => void): { best: number; median: number } {
  const samples: number[] = [];
  f(); // warm-up: JIT and chevrotain's first-parse caches
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    f();
    samples.push(performance.now() - t0);
  }
  samples.sort((a, b) => a - b);
  const result = { best: samples[0]!, median: samples[Math.floor(samples.length / 2)]! };
  console.log(`${label.padEnd(52)} best ${result.best.toFixed(1).padStart(8)} ms   median ${result.median.toFixed(1).padStart(8)} ms`);
  return result;
}

const stack = denseStack(2000);
const residual = repeatedBlocks(500);
console.log(`dense stack: ${stack.split("\n").length} lines; residual: 500 blocks x 4 layers`);
time("parse, 2,000-layer dense stack", 7, () => parse(stack, "deep.dlg"));
const full = time("parse + check + lower, 2,000-layer dense stack", 7, () => {
  const r = compile(stack, "deep.dlg");
  if (!r.ok) throw new Error("benchmark model failed to check");
});
time("parse + check + lower, 500 repeated residual blocks", 7, () => {
  const r = compile(residual, "res.dlg");
  if (!r.ok) throw new Error("benchmark model failed to check");
});
const nodes = compile(stack, "deep.dlg").check!.graph.nodes.length;
console.log(`IR nodes for the 2,000-layer stack: ${nodes}; target < 1000 ms: ${full.median < 1000 ? "met" : "MISSED"}`);

const { matmulBench } = await import("./matmul-bench.js");
matmulBench();
