// Layers over channels-last sequences `[N, T, C]`: conv1d and 1-D pooling. They expand into slices, padding,
// concatenation and one matrix product (im2col): every piece is a primitive with a proven reference, gradient and
// kernel, and the product is the GEMM the convolution is anyway.
import type { LayerContext } from "../lower-to-ir.js";
import type { TensorValue } from "../values.js";
import { Dim, formatType, isFloat } from "../../ir/types.js";
import { bool, defineBuiltin, int, string, tensor, type BuiltinDef } from "./define-layer.js";
import { concatInGroups } from "./recurrent.js";

function requireSequence3(ctx: LayerContext, x: TensorValue, at: Parameters<LayerContext["fail"]>[1]): [Dim, Dim, Dim] {
  if (x.type.shape.length !== 3 || !isFloat(x.type.dtype))
    ctx.fail({ key: "rankMismatch", params: { op: ctx.callee, expected: "a float sequence [N, T, C] (channels last)", actual: formatType(x.type) } }, at);
  return x.type.shape as [Dim, Dim, Dim];
}

/** Zeros before and after axis 1. */
function padTime(ctx: LayerContext, x: TensorValue, before: number, after: number): TensorValue {
  if (before === 0 && after === 0) return x;
  const size = x.type.shape[1]!.add(Dim.const(before + after));
  return ctx.op("pad_axis", [x], { axis: 1, start: Dim.const(before), size });
}

/** Steps `start, start + stride, ...` of axis 1, `count` of them: `x[:, start : start + stride*count : stride]`. */
function strided(ctx: LayerContext, x: TensorValue, start: number, stride: number, count: Dim): TensorValue {
  const [n, , c] = x.type.shape as [Dim, Dim, Dim];
  const span = count.sub(Dim.const(1)).mul(Dim.const(stride)).add(Dim.const(1));
  const taken = ctx.op("slice", [x], { axis: 1, start: Dim.const(start), end: span.add(Dim.const(start)) });
  if (stride === 1) return taken;
  // Padded to stride * count, the steps wanted are the first of each group of `stride`.
  const grouped = ctx.op("reshape", [ctx.op("pad_axis", [taken], { axis: 1, start: Dim.const(0), size: count.mul(Dim.const(stride)) })], { shape: [n, count, Dim.const(stride), c] });
  return ctx.op("reshape", [ctx.op("slice", [grouped], { axis: 2, start: Dim.const(0), end: Dim.const(1) })], { shape: [n, count, c] });
}

/** Output length of a window of `extent` steps moved by `stride` over `length` steps, or a failure naming both. */
function windows(ctx: LayerContext, length: Dim, extent: number, stride: number, x: TensorValue, at: Parameters<LayerContext["fail"]>[1]): Dim {
  const steps = length.constValue();
  if (steps !== undefined && steps < extent)
    ctx.fail({ key: "windowTooLarge", params: { op: ctx.callee, size: `${extent} steps`, input: formatType(x.type) } }, at);
  return length.sub(Dim.const(extent)).floorDiv(Dim.const(stride)).add(Dim.const(1));
}

export const sequenceBuiltins: BuiltinDef[] = [
  defineBuiltin({
    name: "conv1d",
    params: [tensor("x"), int("filters"), int("kernel"), int("stride", 1), int("dilation", 1), string("padding", "valid"), bool("bias", true)],
    summary: 'convolution over time on channels-last [N, T, C], kernel [k, C, filters]; padding "valid", "same" or "causal" (left only)',
    apply(ctx, args) {
      const x = args.tensor("x");
      const [, t, c] = requireSequence3(ctx, x, args.spanOf("x"));
      const k = args.positiveInt("kernel");
      const stride = args.positiveInt("stride");
      const dilation = args.positiveInt("dilation");
      const padding = args.choice("padding", ["valid", "same", "causal"] as const);
      const extent = dilation * (k - 1) + 1;
      let padded = x;
      let out: Dim;
      if (padding === "valid") out = windows(ctx, t, extent, stride, x, args.spanOf("kernel"));
      else if (padding === "causal") {
        padded = padTime(ctx, x, extent - 1, 0);
        out = t.sub(Dim.const(1)).floorDiv(Dim.const(stride)).add(Dim.const(1));
      } else {
        // As TensorFlow (and PyTorch for stride 1): ceil(T / stride) outputs, the odd padding step on the right.
        const steps = t.constValue();
        if (steps === undefined && stride > 1)
          ctx.fail({ key: "notCompileTime", params: { what: 'conv1d: the length of a "same" convolution with a stride', actual: `the symbolic dim ${t}` } }, args.spanOf("x"));
        out = steps === undefined ? t : Dim.const(Math.ceil(steps / stride));
        const total = steps === undefined ? extent - 1 : Math.max((out.constValue()! - 1) * stride + extent - steps, 0);
        padded = padTime(ctx, x, Math.floor(total / 2), total - Math.floor(total / 2));
      }
      const taps = Array.from({ length: k }, (_, j) => strided(ctx, padded, j * dilation, stride, out));
      const columns = concatInGroups(ctx, taps, 2);
      const filters = args.size("filters");
      const w = ctx.param("weight", [Dim.const(k), c, filters], { name: "glorot_uniform", args: [] }, x.type.dtype);
      const y = ctx.op("matmul", [columns, ctx.op("reshape", [w], { shape: [Dim.const(k).mul(c), filters] })]);
      return args.bool("bias") ? ctx.op("add", [y, ctx.param("bias", [filters], { name: "zeros", args: [] }, x.type.dtype)]) : y;
    },
  }),
  ...(["max_pool1d", "avg_pool1d"] as const).map((name) =>
    defineBuiltin({
      name,
      params: [tensor("x"), int("size"), int("stride", null)],
      summary: `${name === "max_pool1d" ? "max" : "average"} over windows of size steps on [N, T, C] (valid; stride defaults to size)`,
      apply(ctx, args) {
        const x = args.tensor("x");
        const [, t] = requireSequence3(ctx, x, args.spanOf("x"));
        const size = args.positiveInt("size");
        const stride = args.has("stride") ? args.positiveInt("stride") : size;
        const out = windows(ctx, t, size, stride, x, args.spanOf("size"));
        const taps = Array.from({ length: size }, (_, j) => strided(ctx, x, j, stride, out));
        const combine = name === "max_pool1d" ? "maximum" : "add";
        const joined = taps.slice(1).reduce((acc, tap) => ctx.op(combine, [acc, tap]), taps[0]!);
        return name === "max_pool1d" ? joined : ctx.op("div", [joined, ctx.constant(size, x.type.dtype)]);
      },
    }),
  ),
];
