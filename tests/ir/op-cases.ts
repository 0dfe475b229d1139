// Random cases for every differentiable op (small shapes, fast-check arbitraries), shared by the finite-difference
// gradient checks and the WebGPU backward tests.
import fc from "fast-check";
import { Dim } from "../../compiler/ir/dims.js";
import type { Attrs } from "../../compiler/ir/define-op.js";

export interface InputSpec {
  shape: number[];
  /** Integer inputs (ids, labels) get values in [0, intMax). */
  intMax?: number;
  /** Float inputs are drawn from [lo, hi]. */
  range?: [number, number];
}
export interface Case {
  inputs: InputSpec[];
  attrs: Attrs;
}

const dim = fc.integer({ min: 1, max: 4 });
const shape = (minRank = 0, maxRank = 3) => fc.array(dim, { minLength: minRank, maxLength: maxRank });
const unaryCase = (range?: [number, number], attrs: Attrs = {}) => shape().map((s): Case => ({ inputs: [{ shape: s, ...(range ? { range } : {}) }], attrs }));
export const dims = (s: readonly number[]) => s.map((d) => Dim.const(d));

/** Two shapes that broadcast: drop some leading dims of each and set some dims to 1. */
const broadcastPair = (range?: [number, number]) =>
  fc.tuple(shape(0, 3), fc.array(fc.boolean(), { minLength: 6, maxLength: 6 }), fc.nat(3), fc.nat(3)).map(([out, ones, dropA, dropB]): Case => {
    const a = out.slice(Math.min(dropA, out.length)).map((d, i) => (ones[i] ? 1 : d));
    const b = out.slice(Math.min(dropB, out.length)).map((d, i) => (ones[i + 3] ? 1 : d));
    return { inputs: [{ shape: a, ...(range ? { range } : {}) }, { shape: b, ...(range ? { range } : {}) }], attrs: {} };
  });

const axesOf = (rank: number) => fc.subarray([...Array(rank).keys()], { minLength: 0 }).map((a) => a.sort((x, y) => x - y));

export const gradientCases: Record<string, fc.Arbitrary<Case>> = {
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
  // Matrix operands may be stored transposed (the flags gradients use instead of transpose kernels).
  matmul: fc.tuple(shape(0, 2), fc.boolean(), dim, dim, dim, fc.boolean(), fc.boolean(), fc.boolean(), fc.boolean())
    .map(([batch, batchOnRight, m, k, p, vecA, vecB, flagA, flagB]): Case => {
      const transposeA = flagA && !vecA;
      const transposeB = flagB && !vecB;
      return {
        inputs: [
          { shape: vecA ? [k] : batchOnRight ? (transposeA ? [k, m] : [m, k]) : [...batch, ...(transposeA ? [k, m] : [m, k])] },
          { shape: vecB ? [k] : batchOnRight ? [...batch, ...(transposeB ? [p, k] : [k, p])] : transposeB ? [p, k] : [k, p] },
        ],
        attrs: { ...(transposeA ? { transposeA } : {}), ...(transposeB ? { transposeB } : {}) },
      };
    }),
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
