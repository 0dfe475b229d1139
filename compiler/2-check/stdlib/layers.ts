// Layers with parameters (dense, conv2d, layer_norm, embedding, attention) and parameter-free pooling and dropout,
// as expansions into primitives. Parameter shapes and names follow LANGUAGE.md (PyTorch/Keras-compatible counts).
import type { LayerContext } from "../lower-to-ir.js";
import type { TensorValue } from "../values.js";
import { Dim, formatType, isFloat } from "../../ir/types.js";
import { bool, defineBuiltin, float, int, string, tensor, type BuiltinDef } from "./define-layer.js";
import { shiftedByMax } from "./reductions.js";

const GLOROT = { name: "glorot_uniform", args: [] };
const ZEROS = { name: "zeros", args: [] };
const ONES = { name: "ones", args: [] };

function requireRankAtLeast(ctx: LayerContext, x: TensorValue, rank: number, what: string): void {
  if (x.type.shape.length < rank) ctx.fail({ key: "rankMismatch", params: { op: ctx.callee, expected: what, actual: formatType(x.type) } });
}

/** x @ W + b over the last axis; `prefix` scopes the parameter names (attention's q, k, v, o). */
export function denseProjection(ctx: LayerContext, x: TensorValue, units: Dim, bias: boolean, prefix = ""): TensorValue {
  requireRankAtLeast(ctx, x, 1, "a tensor of rank 1 or more");
  const inDim = x.type.shape[x.type.shape.length - 1]!;
  const w = ctx.param(`${prefix}weight`, [inDim, units], GLOROT, x.type.dtype);
  const y = ctx.op("matmul", [x, w]);
  return bias ? ctx.op("add", [y, ctx.param(`${prefix}bias`, [units], ZEROS, x.type.dtype)]) : y;
}

export const layerBuiltins: BuiltinDef[] = [
  defineBuiltin({
    name: "dense",
    params: [tensor("x"), int("units"), bool("bias", true)],
    summary: "x @ weight[in, units] + bias[units] on the last axis",
    apply(ctx, args) {
      const x = args.tensor("x");
      if (!isFloat(x.type.dtype))
        ctx.fail({ key: "dtypeMismatch", params: { op: "dense", expected: "a float tensor (f32 or f16)", actual: formatType(x.type) },
          hint: 'integer ids go through embedding(ids, vocab, dim) first; other integers through cast(x, "f32")' }, args.spanOf("x"));
      return denseProjection(ctx, x, args.size("units"), args.bool("bias"));
    },
  }),
  defineBuiltin({
    name: "conv2d",
    params: [tensor("x"), int("filters"), int("kernel"), int("stride", 1), string("padding", "valid"), bool("bias", true)],
    summary: "2-D convolution on channels-last [N, H, W, C], kernel [k, k, C, filters]",
    apply(ctx, args) {
      const x = args.tensor("x");
      if (x.type.shape.length !== 4) ctx.fail({ key: "rankMismatch", params: { op: "conv2d", expected: "a rank-4 input [N, H, W, C]", actual: formatType(x.type) } }, args.spanOf("x"));
      const k = Dim.const(args.positiveInt("kernel"));
      const stride = args.positiveInt("stride");
      const padding = args.choice("padding", ["valid", "same"] as const);
      const w = ctx.param("weight", [k, k, x.type.shape[3]!, args.size("filters")], GLOROT, x.type.dtype);
      const y = ctx.op("conv2d", [x, w], { stride, padding });
      return args.bool("bias") ? ctx.op("add", [y, ctx.param("bias", [args.size("filters")], ZEROS, x.type.dtype)]) : y;
    },
  }),
  ...(["max_pool2d", "avg_pool2d"] as const).map((name) =>
    defineBuiltin({
      name,
      params: [tensor("x"), int("size"), int("stride", null)],
      summary: `${name === "max_pool2d" ? "max" : "average"} over size x size windows (valid padding; stride defaults to size)`,
      apply(ctx, args) {
        const size = args.positiveInt("size");
        const stride = args.has("stride") ? args.positiveInt("stride") : size;
        return ctx.op(name, [args.tensor("x")], { size, stride });
      },
    }),
  ),
  defineBuiltin({
    name: "layer_norm",
    params: [tensor("x"), float("eps", 1e-5)],
    summary: "normalizes the last axis (biased variance), then gain[D] and bias[D]",
    apply(ctx, args) {
      const x = args.tensor("x");
      requireRankAtLeast(ctx, x, 1, "a tensor of rank 1 or more");
      const last = x.type.shape.length - 1;
      const d = x.type.shape[last]!;
      const mean = ctx.op("reduce_mean", [x], { axes: [last], keepdims: true });
      const centered = ctx.op("sub", [x, mean]);
      const variance = ctx.op("reduce_mean", [ctx.op("square", [centered])], { axes: [last], keepdims: true });
      const inv = ctx.op("rsqrt", [ctx.op("add", [variance, ctx.constant(args.float("eps"), x.type.dtype)])]);
      const normalized = ctx.op("mul", [centered, inv]);
      const gain = ctx.param("gain", [d], ONES, x.type.dtype);
      const bias = ctx.param("bias", [d], ZEROS, x.type.dtype);
      return ctx.op("add", [ctx.op("mul", [normalized, gain]), bias]);
    },
  }),
  defineBuiltin({
    name: "embedding",
    params: [tensor("ids"), int("vocab"), int("dim")],
    summary: "looks up rows of table[vocab, dim] for integer ids",
    apply(ctx, args) {
      const ids = args.tensor("ids");
      if (ids.type.dtype !== "i32")
        ctx.fail({ key: "dtypeMismatch", params: { op: "embedding", expected: "i32 ids", actual: formatType(ids.type) }, hint: "embedding looks up integer token ids" }, args.spanOf("ids"));
      const table = ctx.param("table", [args.size("vocab"), args.size("dim")], { name: "normal", args: [0.02, 0] });
      return ctx.op("gather", [table, ids]);
    },
  }),
  defineBuiltin({
    name: "attention",
    params: [tensor("x"), int("heads"), bool("causal", false)],
    summary: "multi-head self-attention over [B, T, D] with q, k, v, o projections",
    apply(ctx, args) {
      const x = args.tensor("x");
      if (x.type.shape.length !== 3) ctx.fail({ key: "rankMismatch", params: { op: "attention", expected: "a rank-3 input [B, T, D]", actual: formatType(x.type) } }, args.spanOf("x"));
      const [b, t, d] = x.type.shape as [Dim, Dim, Dim];
      const heads = args.positiveInt("heads");
      const headDim = d.divExact(Dim.const(heads));
      if (!headDim) ctx.fail({ key: "headsDivide", params: { heads: String(heads), dim: d.toString() }, label: `x is ${formatType(x.type)}` }, args.spanOf("heads"));
      const h = Dim.const(heads);
      // [B, T, D] -> [B, heads, T, D/heads]: heads split the last dim contiguously, as in torch.nn.MultiheadAttention.
      const split = (v: TensorValue) => ctx.op("transpose", [ctx.op("reshape", [v], { shape: [b, t, h, headDim!] })], { perm: [0, 2, 1, 3] });
      const q = split(denseProjection(ctx, x, d, true, "q."));
      const k = split(denseProjection(ctx, x, d, true, "k."));
      const v = split(denseProjection(ctx, x, d, true, "v."));
      // The scale and the mask are made as f32; an f16 model needs them in its own dtype.
      const like = (v: TensorValue) => (v.type.dtype === x.type.dtype ? v : ctx.op("cast", [v], { dtype: x.type.dtype }));
      const scale = like(ctx.op("rsqrt", [ctx.dimScalar(headDim!)]));
      // q @ k^T with k read transposed in place.
      let scores = ctx.op("mul", [ctx.op("matmul", [q, k], { transposeB: true }), scale]);
      if (args.bool("causal")) scores = ctx.op("add", [scores, like(ctx.op("causal_mask", [], { size: t }))]);
      const e = ctx.op("exp", [shiftedByMax(ctx, scores, 3)]);
      const weights = ctx.op("div", [e, ctx.op("reduce_sum", [e], { axes: [3], keepdims: true })]);
      const mixed = ctx.op("matmul", [weights, v]);
      const merged = ctx.op("reshape", [ctx.op("transpose", [mixed], { perm: [0, 2, 1, 3] })], { shape: [b, t, d] });
      return denseProjection(ctx, merged, d, true, "o.");
    },
  }),
  defineBuiltin({
    name: "dropout",
    params: [tensor("x"), float("rate")],
    summary: "inverted dropout while training, identity otherwise",
    apply(ctx, args) {
      const rate = args.float("rate");
      if (!(rate >= 0 && rate < 1)) ctx.fail({ key: "badValue", params: { what: "dropout: `rate`", value: String(rate), expected: "a number in [0, 1)" } }, args.spanOf("rate"));
      const x = args.tensor("x");
      if (x.type.dtype !== "f32") ctx.fail({ key: "dtypeMismatch", params: { op: "dropout", expected: "an f32 tensor", actual: formatType(x.type) } }, args.spanOf("x"));
      return ctx.op("mul", [x, ctx.op("dropout_mask", [], { rate, shape: x.type.shape })]);
    },
  }),
];
