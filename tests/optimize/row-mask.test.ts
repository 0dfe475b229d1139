// Programs for any batch up to a maximum (compiler/4-optimize/row-mask.ts): on the CPU reference, every example run
// at a maximum batch with n real rows and zero padding gives exactly what the model gives on the n rows alone: the
// outputs of those rows, the loss, every gradient and batch_norm's running-statistic updates.
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { compile } from "../../compiler/index.js";
import { maskRows, ROW_COUNT, ROW_MASK } from "../../compiler/4-optimize/row-mask.js";
import { Random } from "../../runtime/random.js";
import { hostTensor, type HostTensor } from "../../runtime/tensor.js";
import { CpuSession, initialBuffers } from "../../sessions/cpu-session.js";
import { ROOT } from "../helpers.js";
import { expectClose } from "../gpu/gpu-helpers.js";
import { randomModelData as randomData, randomRunningStatistics } from "../helpers.js";

const EXAMPLES = readdirSync(join(ROOT, "dsl-examples")).filter((f) => f.endsWith(".dlg")).sort();
const TOL = { atol: 1e-5, rtol: 1e-4 };

/** `rows` real rows padded with zeros to `max`, with the mask and count inputs. */
function padded(batch: Map<string, HostTensor>, rows: number, max: number): Record<string, HostTensor> {
  const out: Record<string, HostTensor> = {};
  for (const [name, t] of batch) {
    const p = hostTensor(t.dtype, [max, ...t.shape.slice(1)]);
    p.data.set(t.data);
    out[name] = p;
  }
  out[ROW_MASK] = hostTensor("f32", [max], Float32Array.from({ length: max }, (_, i) => (i < rows ? 1 : 0)));
  out[ROW_COUNT] = hostTensor("f32", [], Float32Array.of(rows));
  return out;
}

describe("row masking", () => {
  it.each(EXAMPLES)("%s: n real rows in a batch of 8 give what the n rows give alone", (file) => {
    const graph = compile(readFileSync(join(ROOT, "dsl-examples", file), "utf8"), file).check!.graph;
    const result = maskRows(graph);
    if (!("graph" in result)) throw new Error(result.reason);
    const random = new Random(EXAMPLES.indexOf(file) + 40);
    const rows = 5;
    const data = randomData(graph, rows, random);
    const plain = new CpuSession(graph, { seed: 1 });
    const masked = new CpuSession(result.graph, { seed: 1 });
    const buffers = randomRunningStatistics(initialBuffers(graph), random);
    for (const [name, t] of buffers) {
      plain.state.set(name, t);
      masked.state.set(name, t);
    }
    const names = graph.outputs.map((o) => o.name);
    const want = plain.evaluateBatch(Object.fromEntries(data), names);
    const got = masked.evaluateBatch(padded(data, rows, 8), names);
    expect(got.loss).toBeCloseTo(want.loss!, 5);
    for (const name of names) {
      const w = want.outputs.get(name)!;
      const g = got.outputs.get(name)!;
      expectClose(Array.from(g.data).slice(0, w.data.length), w.data, TOL, `${file}: ${name}`);
    }
    if (graph.loss === undefined) return;
    const gw = plain.gradients(Object.fromEntries(data));
    const gg = masked.gradients(padded(data, rows, 8));
    expect(gg.loss).toBeCloseTo(gw.loss, 5);
    for (const [name, t] of gw.grads) expectClose(gg.grads.get(name)!.data, t.data, TOL, `${file}: gradient of ${name}`);
    // One SGD step (dropout draws differ between the two batch sizes, so models without dropout): the same updated
    // parameters and the same running statistics, which count the real rows only.
    if (graph.optimizer && !graph.nodes.some((node) => node.op === "dropout_mask")) {
      // SGD: Adam's first step is about lr * sign(g), which turns rounding noise in a near-zero gradient into lr.
      const sgd = { name: "sgd" as const, args: { lr: 0.1, momentum: 0.9 } };
      const a = new CpuSession({ ...graph, optimizer: sgd }, { seed: 3 });
      const c = new CpuSession({ ...result.graph, optimizer: sgd }, { seed: 3 });
      for (const [name, t] of buffers) {
        a.state.set(name, t);
        c.state.set(name, t);
      }
      expect(c.trainStep(padded(data, rows, 8))).toBeCloseTo(a.trainStep(Object.fromEntries(data)), 5);
      for (const [name, t] of a.params) expectClose(c.params.get(name)!.data, t.data, TOL, `${file}: ${name} after a step`);
      for (const [name, t] of a.state) expectClose(c.state.get(name)!.data, t.data, TOL, `${file}: state ${name} after a step`);
    }
  }, 120_000);

  it("leaves a graph whose layout scatters the rows as it is, saying why", () => {
    const graph = compile("model M {\n  input x: f32[N, 3]\n  y = concat([x, x], axis: 0)\n  output y\n}\n", "m.dlg").check!.graph;
    const result = maskRows(graph);
    expect("reason" in result && result.reason).toMatch(/^concat %\d+ \(y\): along a batch axis$/);
  });
});
