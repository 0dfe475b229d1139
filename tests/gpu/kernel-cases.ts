// Random cases for every op of the registry that has a kernel: awkward sizes (1, primes, around the 64-wide workgroup
// and the 128-long cooperative fold), integer variants, ties, special values; and the one-op graph of a case. Used by
// the GPU differential tests and the GPU-free code generation tests.
import fc from "fast-check";
import { Dim } from "../../compiler/ir/dims.js";
import { IRBuilder } from "../../compiler/ir/builder.js";
import type { TensorValue } from "../../compiler/ir/value.js";
import type { Attrs } from "../../compiler/ir/define-op.js";
import type { Graph, NodeId } from "../../compiler/ir/graph.js";
import type { OpAttrs, OpName } from "../../compiler/ir/registry.js";
import type { HostValue } from "../../compiler/ir/interpret.js";
import type { DType } from "../../compiler/ir/types.js";
import { EXACT, type Tolerance } from "./gpu-helpers.js";
import { uniformStream } from "../helpers.js";

export interface Input {
  shape: number[];
  dtype?: DType;
  /** Floats from [lo, hi]; integers from [lo, hi). */
  range?: [number, number];
  /** Floats drawn from a few integers, so ties and equal values are common. */
  ties?: boolean;
  /** Symbolic dims by position (bound from this input's shape at run time). */
  symbolic?: Record<number, string>;
}
export interface Case {
  inputs: Input[];
  attrs: Attrs;
  training?: boolean;
}

/** Sizes that break naive indexing: 1, primes, just under and over the 64-wide workgroup and the 128 fold. */
const awkward = fc.constantFrom(1, 2, 3, 5, 7, 13, 31, 64, 65, 127, 129);
const small = fc.constantFrom(1, 2, 3, 5, 7);
export const count = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);
const shapeOf = (minRank: number, maxRank: number, cap = 40_000) =>
  fc.array(awkward, { minLength: minRank, maxLength: maxRank }).filter((s) => count(s) <= cap);
const dims = (s: readonly number[]) => s.map((d) => Dim.const(d));

const unary = (range?: [number, number], attrs: Attrs = {}, dtype?: DType) =>
  shapeOf(0, 4).map((s): Case => ({ inputs: [{ shape: s, ...(range ? { range } : {}), ...(dtype ? { dtype } : {}) }], attrs }));

/** Two shapes that broadcast: leading dims dropped and some dims set to 1 on either side. */
const broadcastPair = (opts: Omit<Input, "shape"> = {}) =>
  fc.tuple(shapeOf(0, 4, 20_000), fc.array(fc.boolean(), { minLength: 8, maxLength: 8 }), fc.nat(4), fc.nat(4)).map(([out, ones, dropA, dropB]): Case => {
    const a = out.slice(Math.min(dropA, out.length)).map((d, i) => (ones[i] ? 1 : d));
    const b = out.slice(Math.min(dropB, out.length)).map((d, i) => (ones[i + 4] ? 1 : d));
    return { inputs: [{ shape: a, ...opts }, { shape: b, ...opts }], attrs: {} };
  });

const axesOf = (rank: number) => fc.subarray([...Array(rank).keys()]).map((a) => a.sort((x, y) => x - y));
const reduction = (dtype?: DType) =>
  shapeOf(1, 4, 60_000).chain((s) => fc.tuple(axesOf(s.length), fc.boolean()).map(([axes, keepdims]): Case => ({
    inputs: [{ shape: s, ...(dtype ? { dtype, range: [-50, 50] as [number, number] } : {}) }],
    attrs: { axes, keepdims },
  })));

const convOut = (size: number, k: number, stride: number, same: boolean) => (same ? Math.ceil(size / stride) : Math.floor((size - k) / stride) + 1);
const convGeometry = fc.record({
  n: fc.integer({ min: 1, max: 2 }), h: fc.constantFrom(3, 5, 7, 13), w: fc.constantFrom(3, 4, 7, 11), c: fc.constantFrom(1, 3, 5),
  f: fc.constantFrom(1, 2, 7), k: fc.integer({ min: 1, max: 3 }), stride: fc.integer({ min: 1, max: 2 }), same: fc.boolean(),
}).map((p) => ({ ...p, oh: convOut(p.h, p.k, p.stride, p.same), ow: convOut(p.w, p.k, p.stride, p.same), padding: p.same ? "same" : "valid" }));
const poolGeometry = fc.record({
  n: fc.integer({ min: 1, max: 2 }), h: fc.constantFrom(3, 5, 8, 13), w: fc.constantFrom(3, 4, 7, 13), c: fc.constantFrom(1, 3, 5),
  size: fc.integer({ min: 1, max: 3 }), stride: fc.integer({ min: 1, max: 3 }),
}).map((p) => ({ ...p, oh: Math.floor((p.h - p.size) / p.stride) + 1, ow: Math.floor((p.w - p.size) / p.stride) + 1 }));

/** Per op: its cases and how close the GPU must come (exact where WGSL's f32 arithmetic is correctly rounded). */
export const ULP: Tolerance = { atol: 1e-6, rtol: 4e-6 };
/** f32 folds in another order than the CPU's float64 ones: ~1e-5 seen on these sizes; an indexing bug is off by O(1). */
export const SUM: Tolerance = { atol: 1e-4, rtol: 1e-4 };
export const kernelCases: Record<string, { arb: fc.Arbitrary<Case>; tol: Tolerance; runs?: number }> = {
  neg: { arb: fc.oneof(unary(), unary([-1000, 1000], {}, "i32")), tol: EXACT },
  relu: { arb: unary(), tol: EXACT },
  leaky_relu: { arb: fc.double({ min: 0, max: 0.5, noNaN: true }).chain((alpha) => unary(undefined, { alpha })), tol: ULP },
  exp: { arb: unary([-10, 10]), tol: ULP },
  log: { arb: unary([0.001, 100]), tol: ULP },
  sqrt: { arb: unary([0, 100]), tol: ULP },
  rsqrt: { arb: unary([0.001, 100]), tol: ULP },
  abs: { arb: fc.oneof(unary(), unary([-1000, 1000], {}, "i32")), tol: EXACT },
  tanh: { arb: fc.oneof(unary([-0.2, 0.2]), unary([-20, 20])), tol: ULP },
  sigmoid: { arb: unary([-30, 30]), tol: ULP },
  erf: { arb: fc.oneof(unary([-0.6, 0.6]), unary([-5, 5])), tol: { atol: 3e-7, rtol: 1e-6 } },
  square: { arb: fc.oneof(unary(), unary([-1000, 1000], {}, "i32")), tol: EXACT },
  stop_gradient: { arb: fc.oneof(unary(), unary([-1000, 1000], {}, "i32")), tol: EXACT },
  add: { arb: fc.oneof(broadcastPair(), broadcastPair({ dtype: "i32", range: [-1000, 1000] })), tol: EXACT },
  sub: { arb: fc.oneof(broadcastPair(), broadcastPair({ dtype: "i32", range: [-1000, 1000] })), tol: EXACT },
  mul: { arb: fc.oneof(broadcastPair(), broadcastPair({ dtype: "i32", range: [-1000, 1000] })), tol: EXACT },
  div: { arb: broadcastPair({ range: [0.5, 2] }), tol: ULP },
  maximum: { arb: fc.oneof(broadcastPair({ ties: true }), broadcastPair({ dtype: "i32", range: [-5, 5] })), tol: EXACT },
  minimum: { arb: fc.oneof(broadcastPair({ ties: true }), broadcastPair({ dtype: "i32", range: [-5, 5] })), tol: EXACT },
  pow: { arb: fc.oneof(broadcastPair({ range: [0.5, 2] }), broadcastPair({ ties: true })), tol: { atol: 1e-6, rtol: 1e-5 } },
  greater: { arb: fc.oneof(broadcastPair({ ties: true }), broadcastPair({ dtype: "i32", range: [-3, 3] })), tol: EXACT },
  equal: { arb: fc.oneof(broadcastPair({ ties: true }), broadcastPair({ dtype: "i32", range: [-3, 3] })), tol: EXACT },
  cast: {
    arb: fc.constantFrom<[DType, DType]>(["f32", "i32"], ["i32", "f32"], ["f32", "f32"]).chain(([from, to]) =>
      unary(from === "i32" ? [-1000, 1000] : [-100, 100], { dtype: to }, from)),
    tol: EXACT,
  },
  broadcast_to: {
    arb: broadcastPair().map((c): Case => {
      const [a, b] = c.inputs as [Input, Input];
      const rank = Math.max(a.shape.length, b.shape.length);
      const out = Array.from({ length: rank }, (_, i) => Math.max(a.shape[a.shape.length - rank + i] ?? 1, b.shape[b.shape.length - rank + i] ?? 1));
      return { inputs: [a], attrs: { shape: dims(out) } };
    }),
    tol: EXACT,
  },
  reshape: { arb: shapeOf(1, 4).chain((s) => fc.shuffledSubarray(s, { minLength: s.length }).map((t): Case => ({ inputs: [{ shape: s }], attrs: { shape: dims([...t, 1]) } }))), tol: EXACT },
  transpose: {
    arb: shapeOf(1, 4).chain((s) => fc.shuffledSubarray([...s.keys()], { minLength: s.length, maxLength: s.length }).map((perm): Case => ({ inputs: [{ shape: s }], attrs: { perm } }))),
    tol: EXACT,
  },
  concat: {
    arb: fc.tuple(shapeOf(1, 3, 5_000), fc.array(awkward, { minLength: 1, maxLength: 4 })).chain(([s, sizes]) =>
      fc.nat(s.length - 1).map((axis): Case => ({ inputs: sizes.map((n) => ({ shape: s.map((d, i) => (i === axis ? n : d)) })), attrs: { axis } }))),
    tol: EXACT,
  },
  slice: {
    arb: shapeOf(1, 3).chain((s) => fc.nat(s.length - 1).chain((axis) => fc.tuple(fc.nat(s[axis]! - 1), fc.nat(s[axis]! - 1)).map(([a, b]): Case => ({
      inputs: [{ shape: s }],
      attrs: { axis, start: Dim.const(Math.min(a, b)), end: Dim.const(Math.max(a, b) + 1) },
    })))),
    tol: EXACT,
  },
  pad_axis: {
    arb: shapeOf(1, 3, 10_000).chain((s) => fc.tuple(fc.nat(s.length - 1), fc.nat(70), fc.nat(70)).map(([axis, before, after]): Case => ({
      inputs: [{ shape: s, dtype: "f32" }],
      attrs: { axis, start: Dim.const(before), size: Dim.const(s[axis]! + before + after) },
    }))),
    tol: EXACT,
  },
  reduce_sum: { arb: reduction(), tol: SUM },
  reduce_mean: { arb: reduction(), tol: SUM },
  reduce_max: { arb: fc.oneof(reduction(), reduction("i32")), tol: EXACT },
  matmul: {
    arb: fc.oneof(
      fc.tuple(fc.array(small, { maxLength: 2 }), fc.boolean(), awkward, awkward, awkward, fc.boolean(), fc.boolean())
        .filter(([batch, , m, k, p]) => count(batch) * Math.max(m * k, k * p, m * p) <= 40_000)
        .chain(([batch, onRight, m, k, p, vecA, vecB]) => fc.tuple(fc.boolean(), fc.boolean()).map(([flagA, flagB]): Case => {
          // Operands stored transposed and read by strides, as gradients use them.
          const transposeA = flagA && !vecA;
          const transposeB = flagB && !vecB;
          const matA = transposeA ? [k, m] : [m, k];
          const matB = transposeB ? [p, k] : [k, p];
          return {
            inputs: [{ shape: vecA ? [k] : onRight ? matA : [...batch, ...matA] }, { shape: vecB ? [k] : onRight ? [...batch, ...matB] : matB }],
            attrs: { ...(transposeA ? { transposeA } : {}), ...(transposeB ? { transposeB } : {}) },
          };
        })),
      // Matrices on both sides, sized around the tiled kernel's 64 x 64 tile and 16-deep K step, batches broadcast.
      fc.tuple(fc.array(fc.constantFrom(1, 2, 3), { maxLength: 2 }), fc.array(fc.constantFrom(1, 2, 3), { maxLength: 2 }),
        fc.constantFrom(1, 17, 63, 64, 65, 130), fc.constantFrom(1, 15, 16, 17, 64, 65), fc.constantFrom(1, 17, 63, 64, 65, 130))
        .filter(([ba, bb, m, k, p]) => Math.max(count(ba), count(bb)) ** 2 * Math.max(m * k, k * p, m * p) <= 40_000)
        .map(([ba, bb, m, k, p]): Case => {
          // Right-aligned as NumPy broadcasts: a dim of B's batch that meets a different one of A's becomes 1.
          const bBatch = bb.map((d, i) => (ba[ba.length - bb.length + i] ?? d) === d ? d : 1);
          return { inputs: [{ shape: [...ba, m, k] }, { shape: [...bBatch, k, p] }], attrs: {} };
        }),
    ),
    tol: SUM,
    runs: 24,
  },
  conv2d: { arb: convGeometry.map((g): Case => ({ inputs: [{ shape: [g.n, g.h, g.w, g.c] }, { shape: [g.k, g.k, g.c, g.f] }], attrs: { stride: g.stride, padding: g.padding } })), tol: SUM },
  conv2d_grad_input: {
    arb: convGeometry.map((g): Case => ({
      inputs: [{ shape: [g.n, g.oh, g.ow, g.f] }, { shape: [g.k, g.k, g.c, g.f] }],
      attrs: { stride: g.stride, padding: g.padding, shape: dims([g.n, g.h, g.w, g.c]) },
    })),
    tol: SUM,
  },
  conv2d_grad_kernel: {
    arb: fc.oneof(convGeometry, convGeometry.map((g) => ({ ...g, n: 16 }))).map((g): Case => ({
      inputs: [{ shape: [g.n, g.h, g.w, g.c] }, { shape: [g.n, g.oh, g.ow, g.f] }],
      attrs: { stride: g.stride, padding: g.padding, shape: dims([g.k, g.k, g.c, g.f]) },
    })),
    tol: SUM,
  },
  max_pool2d: { arb: fc.tuple(poolGeometry, fc.boolean()).map(([g, ties]): Case => ({ inputs: [{ shape: [g.n, g.h, g.w, g.c], ties }], attrs: { size: g.size, stride: g.stride } })), tol: EXACT },
  avg_pool2d: { arb: poolGeometry.map((g): Case => ({ inputs: [{ shape: [g.n, g.h, g.w, g.c] }], attrs: { size: g.size, stride: g.stride } })), tol: ULP },
  max_pool2d_grad: {
    arb: fc.tuple(poolGeometry, fc.boolean()).map(([g, ties]): Case => ({
      inputs: [{ shape: [g.n, g.h, g.w, g.c], ties }, { shape: [g.n, g.oh, g.ow, g.c] }],
      attrs: { size: g.size, stride: g.stride },
    })),
    tol: ULP,
  },
  avg_pool2d_grad: {
    arb: poolGeometry.map((g): Case => ({ inputs: [{ shape: [g.n, g.oh, g.ow, g.c] }], attrs: { size: g.size, stride: g.stride, shape: dims([g.n, g.h, g.w, g.c]) } })),
    tol: ULP,
  },
  gather: {
    arb: fc.tuple(awkward, awkward, shapeOf(1, 2, 2_000)).map(([v, d, ids]): Case => ({ inputs: [{ shape: [v, d] }, { shape: ids, dtype: "i32", range: [0, v] }], attrs: {} })),
    tol: EXACT,
  },
  gather_grad: {
    arb: fc.tuple(fc.constantFrom(1, 3, 13, 65), awkward, shapeOf(1, 2, 1_000)).map(([v, d, ids]): Case => ({
      inputs: [{ shape: ids, dtype: "i32", range: [0, v] }, { shape: [...ids, d] }],
      attrs: { shape: dims([v, d]) },
    })),
    tol: ULP,
  },
  pick: { arb: fc.tuple(shapeOf(1, 2, 5_000), awkward).map(([lead, c]): Case => ({ inputs: [{ shape: [...lead, c] }, { shape: lead, dtype: "i32", range: [0, c] }], attrs: {} })), tol: EXACT },
  pick_grad: {
    arb: fc.tuple(shapeOf(1, 2, 5_000), awkward).map(([lead, c]): Case => ({ inputs: [{ shape: lead }, { shape: lead, dtype: "i32", range: [0, c] }], attrs: { classes: Dim.const(c) } })),
    tol: EXACT,
  },
  dropout_mask: {
    arb: fc.tuple(shapeOf(0, 3), fc.constantFrom(0, 0.2, 0.5, 1), fc.boolean()).map(([s, rate, training]): Case => ({ inputs: [], attrs: { rate, shape: dims(s) }, training })),
    tol: EXACT,
  },
  causal_mask: {
    arb: fc.tuple(awkward, fc.boolean()).map(([t, symbolic]): Case =>
      symbolic ? { inputs: [{ shape: [t], symbolic: { 0: "T" } }], attrs: { size: Dim.sym("T") } } : { inputs: [], attrs: { size: Dim.const(t) } }),
    tol: EXACT,
  },
  constant: {
    arb: fc.oneof(
      fc.constantFrom(0, -0, 0.1, -2.5, 1e-30, 3.4e38, 1 / 3, -Infinity, Infinity, NaN).map((value): Case => ({ inputs: [], attrs: { value, dtype: "f32" } })),
      fc.integer({ min: -2147483648, max: 2147483647 }).map((value): Case => ({ inputs: [], attrs: { value, dtype: "i32" } })),
    ),
    tol: EXACT,
  },
  dim_size: {
    arb: fc.tuple(awkward, fc.integer({ min: 1, max: 9 })).map(([n, k]): Case => ({ inputs: [{ shape: [n], symbolic: { 0: "N" } }], attrs: { dim: Dim.sym("N").mul(Dim.const(k)) } })),
    tol: EXACT,
  },
};

/** Sources: their buffers are bound by the runtime; the session tests exercise them. */
export const BOUND = ["input", "param", "state"];

/** The one-op graph of a case and its input values. */
export function buildCase(op: string, c: Case, seed: number): { graph: Graph; out: NodeId; values: Map<string, HostValue> } {
  const random = uniformStream(seed);
  const b = new IRBuilder();
  const span = { start: 0, end: 0 };
  const values = new Map<string, HostValue>();
  const inputs: TensorValue[] = c.inputs.map((spec, i) => {
    const n = count(spec.shape);
    const dtype = spec.dtype ?? "f32";
    const [lo, hi] = spec.range ?? [-2, 2];
    const data = dtype === "i32"
      ? Int32Array.from({ length: n }, () => Math.floor(lo + (hi - lo) * random()))
      : Float32Array.from({ length: n }, () => (spec.ties ? Math.floor(random() * 3) - 1 : lo + (hi - lo) * random()));
    values.set(`x${i}`, { shape: spec.shape, data });
    const shape = spec.shape.map((d, j) => (spec.symbolic?.[j] ? Dim.sym(spec.symbolic[j]!) : Dim.const(d)));
    return b.input(`x${i}`, { dtype, shape }, span);
  });
  // Sources of randomness and constants have no tensor inputs; symbolic-size ones take theirs from an unused input.
  const args = ["dropout_mask", "causal_mask", "constant", "dim_size"].includes(op) ? [] : inputs;
  const y = b.op(op as OpName, args, c.attrs as OpAttrs<OpName>);
  b.graph.outputs.push({ name: "y", node: y.node, type: y.type });
  return { graph: b.graph, out: y.node, values };
}
