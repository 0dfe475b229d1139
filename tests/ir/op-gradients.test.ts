// The op contract, checked over the whole registry: every op with a gradient rule agrees with central finite
// differences of its own CPU reference, in float64, on random shapes and values (fast-check, seeded).
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { IRBuilder } from "../../compiler/ir/builder.js";
import type { TensorValue } from "../../compiler/ir/value.js";
import { buildBackward } from "../../compiler/3-autodiff/build-backward.js";
import { interpret, type HostValue } from "../../compiler/ir/interpret.js";
import { registry, type OpAttrs, type OpName } from "../../compiler/ir/registry.js";
import { verifyGraph } from "../../compiler/ir/verify.js";
import { uniformStream } from "../helpers.js";
import { dims, gradientCases as cases, type Case } from "./op-cases.js";


function checkGradient(op: string, c: Case, seed: number): void {
  const random = uniformStream(seed);
  const builder = new IRBuilder();
  const span = { start: 0, end: 0 };
  const values = new Map<string, HostValue>();
  const inputs: TensorValue[] = c.inputs.map((spec, i) => {
    const n = spec.shape.reduce((a, b) => a * b, 1);
    if (spec.intMax !== undefined) {
      const type = { dtype: "i32" as const, shape: dims(spec.shape) };
      values.set(`x${i}`, { shape: spec.shape, data: Int32Array.from({ length: n }, () => Math.floor(random() * spec.intMax!)) });
      return builder.input(`x${i}`, type, span);
    }
    const [lo, hi] = spec.range ?? [-2, 2];
    values.set(`x${i}`, { shape: spec.shape, data: Float64Array.from({ length: n }, () => lo + (hi - lo) * random()) });
    return builder.param(`x${i}`, { dtype: "f32", shape: dims(spec.shape) }, { name: "zeros", args: [] }, span);
  });
  const y = builder.op(op as OpName, inputs, c.attrs as OpAttrs<OpName>);
  // loss = sum(y * w) with random w, so every output element's gradient is exercised with a different weight.
  const size = y.type.shape.reduce((a, d) => a * d.constValue()!, 1);
  const w = builder.input("w", { dtype: "f32", shape: y.type.shape }, span);
  values.set("w", { shape: y.type.shape.map((d) => d.constValue()!), data: Float64Array.from({ length: size }, () => random() * 2 - 1) });
  const loss = builder.op("reduce_sum", [builder.op("mul", [y, w])], { axes: [...y.type.shape.keys()], keepdims: false });
  builder.graph.loss = loss.node;
  const graph = buildBackward(builder.graph);
  expect(verifyGraph(graph)).toEqual([]);
  const gradNodes = graph.grads!.map((g) => g.node);
  const analytic = interpret(graph, values, { precision: "f64", keep: gradNodes });
  const lossAt = (vals: Map<string, HostValue>) => interpret(graph, vals, { precision: "f64", keep: [loss.node] }).get(loss.node)!.data[0]!;
  graph.grads!.forEach((g) => {
    const base = values.get(g.name)!;
    const got = analytic.get(g.node)!.data;
    for (let k = 0; k < base.data.length; k++) {
      const h = 1e-6 * Math.max(1, Math.abs(base.data[k]!));
      const probe = (delta: number) => {
        const data = Float64Array.from(base.data);
        data[k]! += delta;
        return lossAt(new Map(values).set(g.name, { shape: base.shape, data }));
      };
      const numeric = (probe(h) - probe(-h)) / (2 * h);
      // Tight enough to catch a wrong sign, a missing term or a transposed operand; loose enough for float64 FD noise.
      expect(Math.abs(got[k]! - numeric), `${op} d/d${g.name}[${k}]: analytic ${got[k]} vs numeric ${numeric}`).toBeLessThan(1e-5 * (1 + Math.abs(numeric)));
    }
  });
}

describe("gradients of every differentiable op", () => {
  it("has a gradient test case for every op with a gradient rule, and no case for an op without one", () => {
    const differentiable = [...registry.values()].filter((d) => d.vjp).map((d) => d.name).sort();
    expect(Object.keys(cases).sort()).toEqual(differentiable);
  });

  for (const [op, arb] of Object.entries(cases)) {
    it(`${op}: the vjp matches central finite differences`, () => {
      fc.assert(fc.property(arb, fc.integer(), (c, seed) => checkGradient(op, c, seed)), { seed: 1125, numRuns: 60 });
    });
  }
});
