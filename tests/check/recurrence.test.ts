// Recurrences: `scan` with a user block as the step, and the built-in rnn, lstm and gru. One set of parameters
// whatever the length; a scan of a hand-written LSTM cell computes exactly what the built-in lstm does (the built-in
// is expressible with the construct); a symbolic length is checked on its first step, refuses to run until it is
// bound, and once bound (by --dim or the data) runs with the shapes the checker inferred; gradients through time
// agree with finite differences.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { buildBackward } from "../../compiler/3-autodiff/build-backward.js";
import { ExecutionError } from "../../compiler/ir/define-op.js";
import { interpret, type HostValue } from "../../compiler/ir/interpret.js";
import { concreteType } from "../../compiler/ir/interpret.js";
import { verifyGraph } from "../../compiler/ir/verify.js";
import { Random } from "../../runtime/random.js";
import { initialParams } from "../../sessions/cpu-session.js";
import { compileText, runCli } from "../helpers.js";
import { planProgram } from "../../compiler/index.js";
import { CodegenError, DEFAULT_LIMITS } from "../../compiler/wgsl/limits.js";

const lstmModel = (steps: string, hidden = 5) => `
model M {
  input x: f32[N, ${steps}, 3]
  input y: f32[N, ${hidden}]
  h = lstm(x, ${hidden}, last: true)
  output h
  train mse(h, y) with sgd(lr: 0.1)
}`;

// The built-in LSTM's equations written as a step block, with the built-in's parameter names and layouts.
const scanLstm = `
block Cell(x: f32[N, D], h: f32[N, H], c: f32[N, H]) {
  param weight_ih: f32[D, 4 * H] = glorot_uniform()
  param weight_hh: f32[H, 4 * H] = glorot_uniform()
  param bias_ih: f32[4 * H] = zeros()
  param bias_hh: f32[4 * H] = zeros()
  gates = x @ weight_ih + bias_ih + h @ weight_hh + bias_hh
  i = sigmoid(slice(gates, -1, 0, H))
  f = sigmoid(slice(gates, -1, H, 2 * H))
  g = tanh(slice(gates, -1, 2 * H, 3 * H))
  o = sigmoid(slice(gates, -1, 3 * H, 4 * H))
  c2 = f * c + i * g
  return [o * tanh(c2), c2]
}

model M {
  input x: f32[N, 4, 3]
  input y: f32[N, 5]
  h = scan(Cell, x, init: [zeros([N, 5]), zeros([N, 5])], last: true)
  output h
  train mse(h, y) with sgd(lr: 0.1)
}`;

function check(text: string, dims?: Record<string, number>) {
  const r = compileText(text, dims ? { dims } : {});
  expect(r.diagnostics.filter((d) => d.severity === "error").map((d) => d.message)).toEqual([]);
  return r.check!;
}

function randomValues(graph: ReturnType<typeof check>["graph"], shapes: Record<string, number[]>, random: Random, f64 = false): Map<string, HostValue> {
  const values = new Map<string, HostValue>();
  for (const [name, shape] of Object.entries(shapes)) {
    const n = shape.reduce((a, b) => a * b, 1);
    const data = Array.from({ length: n }, () => random.nextFloat() * 2 - 1);
    values.set(name, { shape, data: f64 ? Float64Array.from(data) : Float32Array.from(data) });
  }
  for (const [name, t] of initialParams(graph, 3)) values.set(name, { shape: t.shape, data: f64 ? Float64Array.from(t.data) : t.data });
  return values;
}

describe("recurrences", () => {
  it("have as many parameters at 2 steps as at 200, PyTorch's count for the same layer", () => {
    for (const steps of ["2", "200"]) {
      const { graph } = check(lstmModel(steps, 16));
      const count = graph.params.reduce((n, p) => n + p.type.shape.reduce((a, d) => a * d.constValue()!, 1), 0);
      // torch.nn.LSTM(3, 16): 4*16*(3+16) + 2*4*16 = 1344
      expect(count).toBe(1344);
      expect(graph.params.map((p) => p.name)).toEqual(["h.weight_ih", "h.weight_hh", "h.bias_ih", "h.bias_hh"]);
    }
    const counts = { rnn: 16 * (3 + 16) + 2 * 16, gru: 3 * 16 * (3 + 16) + 2 * 3 * 16 };
    for (const [layer, expected] of Object.entries(counts)) {
      const { graph } = check(lstmModel("9", 16).replace("lstm(", `${layer}(`));
      expect(graph.params.reduce((n, p) => n + p.type.shape.reduce((a, d) => a * d.constValue()!, 1), 0)).toBe(expected);
    }
  });

  it("scan of a hand-written LSTM cell computes what the built-in lstm does, value and gradients", () => {
    const builtin = buildBackward(check(lstmModel("4")).graph);
    const scanned = buildBackward(check(scanLstm).graph);
    expect(scanned.params.map((p) => p.name)).toEqual(["h.weight_ih", "h.weight_hh", "h.bias_ih", "h.bias_hh"]);
    const values = randomValues(builtin, { x: [3, 4, 3], y: [3, 5] }, new Random(7));
    const run = (g: typeof builtin) => interpret(g, values, { keep: [g.loss!, ...g.grads!.map((x) => x.node)] });
    const a = run(builtin);
    const b = run(scanned);
    expect(b.get(scanned.loss!)!.data[0]).toBeCloseTo(a.get(builtin.loss!)!.data[0]!, 6);
    for (const g of builtin.grads!) {
      const other = scanned.grads!.find((x) => x.name === g.name)!;
      const [x, y] = [a.get(g.node)!.data, b.get(other.node)!.data];
      for (let i = 0; i < x.length; i++) expect(y[i]).toBeCloseTo(x[i]!, 5);
    }
  });

  it("backpropagation through time agrees with finite differences (float64), for scan and every built-in", () => {
    const models = [scanLstm, lstmModel("4"), lstmModel("4").replace("lstm(", "gru("), lstmModel("4").replace("lstm(x, 5,", 'rnn(x, 5, activation: "relu",')];
    for (const text of models) {
      const graph = buildBackward(check(text).graph);
      expect(verifyGraph(graph)).toEqual([]);
      const random = new Random(11);
      const values = randomValues(graph, { x: [2, 4, 3], y: [2, 5] }, random, true);
      const analytic = interpret(graph, values, { precision: "f64", keep: graph.grads!.map((g) => g.node) });
      const lossAt = (v: Map<string, HostValue>) => interpret(graph, v, { precision: "f64", keep: [graph.loss!] }).get(graph.loss!)!.data[0]!;
      for (const g of graph.grads!) {
        const base = values.get(g.name)!;
        for (let sample = 0; sample < 3; sample++) {
          const k = random.nextInt(base.data.length);
          const at = (delta: number) => {
            const data = Float64Array.from(base.data);
            data[k]! += delta;
            return lossAt(new Map([...values, [g.name, { shape: base.shape, data }]]));
          };
          const numeric = (at(1e-6) - at(-1e-6)) / 2e-6;
          const got = analytic.get(g.node)!.data[k]!;
          expect(Math.abs(got - numeric), `${g.name}[${k}]`).toBeLessThan(1e-6 + 1e-5 * Math.abs(numeric));
        }
      }
    }
  });

  it("a symbolic length is checked on its first step and refuses to run until it is bound", () => {
    const { graph, bindings } = check(lstmModel("T").replace("last: true", "last: false").replace("input y: f32[N, 5]", "input y: f32[N, T, 5]"));
    expect(bindings.find((b) => b.name === "h")!.description).toBe("f32[N, T, 5]");
    const values = randomValues(graph, { x: [2, 6, 3], y: [2, 6, 5] }, new Random(1));
    expect(() => interpret(graph, values)).toThrow(ExecutionError);
    expect(() => interpret(graph, values)).toThrow(/bound from the data by train, run and grad, or by --dim T=STEPS/);
    const shapes = new Map([["x", [2, 6, 3]], ["y", [2, 6, 5]]]);
    expect(() => planProgram(graph, shapes, { limits: DEFAULT_LIMITS, training: false })).toThrow(CodegenError);
    expect(() => planProgram(graph, shapes, { limits: DEFAULT_LIMITS, training: false })).toThrow(/the recurrence over T steps is unrolled once T is known/);
  });

  it("bound to random lengths, executes with exactly the shapes the checker inferred", () => {
    const text = `
block Cell(x: f32[N, D], h: f32[N, H]) {
  return tanh(dense(x, H) + dense(h, H, bias: false))
}
model M {
  input x: f32[N, T, 3]
  a = gru(x, 4)
  b = scan(Cell, a, init: zeros([N, 6]))
  c = rnn(b, 2, last: true)
  d = conv1d(b, 3, kernel: 2, padding: "causal") -> max_pool1d(2, stride: 1)
  output a, b, c, d
}`;
    const symbolic = check(text).graph;
    fc.assert(
      fc.property(fc.integer({ min: 2, max: 9 }), fc.integer({ min: 1, max: 3 }), (t, n) => {
        const graph = check(text, { T: t }).graph;
        expect(graph.params.map((p) => p.name)).toEqual(symbolic.params.map((p) => p.name));
        const values = randomValues(graph, { x: [n, t, 3] }, new Random(t * 10 + n));
        const out = interpret(graph, values);
        for (const o of graph.outputs) {
          const inferred = symbolic.outputs.find((s) => s.name === o.name)!.type;
          const env = new Map([["N", n], ["T", t]]);
          expect(out.get(o.node)!.shape, o.name).toEqual(concreteType(inferred, env).shape);
        }
      }),
      { seed: 2026, numRuns: 12 },
    );
  });

  it("a step's parameters are declared once, and a scan in a repeat gets its own per iteration", () => {
    const text = `
block Cell(x: f32[N, D], h: f32[N, H]) {
  param w: f32[H, H] = glorot_uniform()
  return tanh(dense(x, H) + h @ w)
}
model M {
  input x: f32[N, 5, 3]
  repeat 2 as layer {
    x = scan(Cell, x, init: zeros([N, 3]))
  }
  output x
}`;
    const { graph } = check(text);
    expect(graph.params.map((p) => p.name)).toEqual(["layer.0.x.w", "layer.0.x.out.weight", "layer.0.x.out.bias", "layer.1.x.w", "layer.1.x.out.weight", "layer.1.x.out.bias"]);
  });

  it("train binds a symbolic length from the data; compile asks for --dim and takes it", async () => {
    const text = lstmModel("T").replace("last: true", "last: false").replace("input y: f32[N, 5]", "input y: f32[N, T, 5]");
    const { mkdtempSync, writeFileSync } = await import("node:fs");
    const { join } = await import("node:path");
    const { tmpdir } = await import("node:os");
    const { encodeSafetensors } = await import("../../runtime/checkpoint.js");
    const { hostTensor } = await import("../../runtime/tensor.js");
    const dir = mkdtempSync(join(tmpdir(), "dlg-recurrence-"));
    const file = join(dir, "m.dlg");
    writeFileSync(file, text);
    const random = new Random(3);
    const fill = (n: number) => Float32Array.from({ length: n }, () => random.nextFloat());
    writeFileSync(join(dir, "d.safetensors"), encodeSafetensors(new Map([["x", hostTensor("f32", [40, 7, 3], fill(840))], ["y", hostTensor("f32", [40, 7, 5], fill(1400))]])));
    const trained = await runCli(["train", file, "--data", join(dir, "d.safetensors"), "--epochs", "1", "--backend", "cpu", "--json"]);
    expect(trained.stderr).not.toMatch(/error/);
    expect(trained.code).toBe(0);
    expect(JSON.parse(trained.stdout.trim().split("\n")[0]!).loss).toBeGreaterThan(0);
    const unbound = await runCli(["compile", file, "--batch", "4", "-o", join(dir, "out")]);
    expect(unbound.code).not.toBe(0);
    expect(unbound.stderr).toMatch(/--dim T=/);
    const bound = await runCli(["compile", file, "--batch", "4", "--dim", "T=7", "-o", join(dir, "out")]);
    expect(bound.code, bound.stderr).toBe(0);
    const wrong = await runCli(["check", file, "--dim", "Q=7"]);
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toMatch(/--dim Q=7: no input of model `M` has a dim `Q`/);
    const bad = await runCli(["check", file, "--dim", "T=0"]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--dim T: the size must be a positive integer/);
  });
});
