// The op contract, checked over the whole registry: every op with a gradient rule agrees with central finite
// differences of its own CPU reference, in float64, on random shapes and values (fast-check, seeded).
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { Dim } from "../compiler/2-check/dims.js";
import { IRBuilder } from "../compiler/2-check/lower-to-ir.js";
import type { TensorValue } from "../compiler/2-check/values.js";
import { buildBackward } from "../compiler/3-autodiff/build-backward.js";
import type { Attrs } from "../compiler/ir/define-op.js";
import { interpret, type HostValue } from "../compiler/ir/interpret.js";
import { registry } from "../compiler/ir/registry.js";
import { verifyGraph } from "../compiler/ir/verify.js";

interface InputSpec {
  shape: number[];
  /** Integer inputs (ids, labels) get values in [0, intMax). */
  intMax?: number;
  /** Float inputs are drawn from [lo, hi]. */
  range?: [number, number];
}
interface Case {
  inputs: InputSpec[];
  attrs: Attrs;
}

const dim = fc.integer({ min: 1, max: 4 });
const shape = (minRank = 0, maxRank = 3) => fc.array(dim, { minLength: minRank, maxLength: maxRank });
const unaryCase = (range?: [number, number], attrs: Attrs = {}) => shape().map((s): Case => ({ inputs: [{ shape: s, ...(range ? { range } : {}) }], attrs }));
const dims = (s: readonly number[]) => s.map((d) => Dim.const(d));

/** Two shapes that broadcast: drop some leading dims of each and set some dims to 1. */
const broadcastPair = (range?: [number, number]) =>
  fc.tuple(shape(0, 3), fc.array(fc.boolean(), { minLength: 6, maxLength: 6 }), fc.nat(3), fc.nat(3)).map(([out, ones, dropA, dropB]): Case => {
    const a = out.slice(Math.min(dropA, out.length)).map((d, i) => (ones[i] ? 1 : d));
    const b = out.slice(Math.min(dropB, out.length)).map((d, i) => (ones[i + 3] ? 1 : d));
    return { inputs: [{ shape: a, ...(range ? { range } : {}) }, { shape: b, ...(range ? { range } : {}) }], attrs: {} };
  });

const axesOf = (rank: number) => fc.subarray([...Array(rank).keys()], { minLength: 0 }).map((a) => a.sort((x, y) => x - y));

const cases: Record<string, fc.Arbitrary<Case>> = {
  neg: unaryCase(),
  relu: unaryCase(),
  leaky_relu: fc.double({ min: 0, max: 0.5, noNaN: true }).chain((alpha) => unaryCase(undefined, { alpha })),
  exp: unaryCase([-2, 2]),
  log: unaryCase([0.3, 3]),
  sqrt: unaryCase([0.3, 3]),
  rsqrt: unaryCase([0.3, 3]),
  abs: unaryCase(),
  tanh: unaryCase(),
  sigmoid: unaryCase([-4, 4]),
  erf: unaryCase([-2, 2]),
  square: unaryCase(),
  add: broadcastPair(),
  sub: broadcastPair(),
  mul: broadcastPair(),
  div: broadcastPair([0.5, 2]),
  maximum: broadcastPair(),
  minimum: broadcastPair(),
  pow: broadcastPair([0.5, 2]),
  matmul: fc.tuple(shape(0, 2), fc.boolean(), dim, dim, dim, fc.boolean(), fc.boolean()).map(([batch, batchOnRight, m, k, p, vecA, vecB]): Case => ({
    inputs: [
      { shape: vecA ? [k] : batchOnRight ? [m, k] : [...batch, m, k] },
      { shape: vecB ? [k] : batchOnRight ? [...batch, k, p] : [k, p] },
    ],
    attrs: {},
  })),
  reduce_sum: shape(0, 3).chain((s) => fc.tuple(axesOf(s.length), fc.boolean()).map(([axes, keepdims]): Case => ({ inputs: [{ shape: s }], attrs: { axes, keepdims } }))),
  reduce_mean: shape(0, 3).chain((s) => fc.tuple(axesOf(s.length), fc.boolean()).map(([axes, keepdims]): Case => ({ inputs: [{ shape: s }], attrs: { axes, keepdims } }))),
  reduce_max: shape(1, 3).chain((s) => fc.tuple(axesOf(s.length), fc.boolean()).map(([axes, keepdims]): Case => ({ inputs: [{ shape: s }], attrs: { axes, keepdims } }))),
  reshape: shape(1, 3).map((s): Case => ({ inputs: [{ shape: s }], attrs: { shape: dims([s.reduce((a, b) => a * b, 1)]) } })),
  broadcast_to: broadcastPair().map((c): Case => {
    const [a, b] = c.inputs as [InputSpec, InputSpec];
    const rank = Math.max(a.shape.length, b.shape.length);
    const out = Array.from({ length: rank }, (_, i) => Math.max(a.shape[a.shape.length - rank + i] ?? 1, b.shape[b.shape.length - rank + i] ?? 1));
    return { inputs: [a], attrs: { shape: dims(out) } };
  }),
  transpose: shape(1, 4).chain((s) => fc.shuffledSubarray([...s.keys()], { minLength: s.length, maxLength: s.length }).map((perm): Case => ({ inputs: [{ shape: s }], attrs: { perm } }))),
  concat: fc.tuple(shape(1, 3), fc.array(dim, { minLength: 2, maxLength: 3 })).chain(([s, sizes]) =>
    fc.nat(s.length - 1).map((axis): Case => ({ inputs: sizes.map((n) => ({ shape: s.map((d, i) => (i === axis ? n : d)) })), attrs: { axis } }))),
  slice: shape(1, 3).chain((s) => fc.nat(s.length - 1).chain((axis) =>
    fc.tuple(fc.nat(s[axis]! - 1), fc.nat(s[axis]! - 1)).map(([a, b]): Case => {
      const start = Math.min(a, b);
      return { inputs: [{ shape: s }], attrs: { axis, start: Dim.const(start), end: Dim.const(Math.max(a, b) + 1) } };
    }))),
  pad_axis: shape(1, 3).chain((s) => fc.tuple(fc.nat(s.length - 1), fc.nat(3), fc.nat(3)).map(([axis, before, after]): Case => ({
    inputs: [{ shape: s }],
    attrs: { axis, start: Dim.const(before), size: Dim.const(s[axis]! + before + after) },
  }))),
  conv2d: fc.record({ n: fc.integer({ min: 1, max: 2 }), h: fc.integer({ min: 3, max: 6 }), w: fc.integer({ min: 3, max: 6 }), c: dim, f: dim,
    k: fc.integer({ min: 1, max: 3 }), stride: fc.integer({ min: 1, max: 2 }), same: fc.boolean() }).map((p): Case => ({
    inputs: [{ shape: [p.n, p.h, p.w, p.c] }, { shape: [p.k, p.k, p.c, p.f] }],
    attrs: { stride: p.stride, padding: p.same ? "same" : "valid" },
  })),
  max_pool2d: fc.record({ n: fc.integer({ min: 1, max: 2 }), h: fc.integer({ min: 2, max: 6 }), w: fc.integer({ min: 2, max: 6 }), c: dim,
    size: fc.integer({ min: 1, max: 2 }), stride: fc.integer({ min: 1, max: 2 }) }).map((p): Case => ({ inputs: [{ shape: [p.n, p.h, p.w, p.c] }], attrs: { size: p.size, stride: p.stride } })),
  avg_pool2d: fc.record({ n: fc.integer({ min: 1, max: 2 }), h: fc.integer({ min: 2, max: 6 }), w: fc.integer({ min: 2, max: 6 }), c: dim,
    size: fc.integer({ min: 1, max: 2 }), stride: fc.integer({ min: 1, max: 2 }) }).map((p): Case => ({ inputs: [{ shape: [p.n, p.h, p.w, p.c] }], attrs: { size: p.size, stride: p.stride } })),
  gather: fc.tuple(dim, dim, shape(1, 2)).map(([v, d, ids]): Case => ({ inputs: [{ shape: [v, d] }, { shape: ids, intMax: v }], attrs: {} })),
  pick: fc.tuple(shape(1, 2), dim).map(([lead, c]): Case => ({ inputs: [{ shape: [...lead, c] }, { shape: lead, intMax: c }], attrs: {} })),
  cast: unaryCase(undefined, { dtype: "f32" }),
};

/** A tiny deterministic generator for input values (fast-check picks the seed). */
function mulberry(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function checkGradient(op: string, c: Case, seed: number): void {
  const random = mulberry(seed);
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
  const y = builder.op(op, inputs, c.attrs);
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
