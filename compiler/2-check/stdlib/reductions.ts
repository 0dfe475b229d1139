// Reductions and the softmax family, built on reduce_* primitives.
import type { LayerArgs, LayerContext } from "../lower-to-ir.js";
import type { TensorValue } from "../values.js";
import { axisOf, bool, defineBuiltin, int, tensor, type BuiltinDef } from "./define-layer.js";

function reductionAxes(ctx: LayerContext, args: LayerArgs, x: TensorValue): number[] {
  const rank = x.type.shape.length;
  if (!args.has("axis")) return [...Array(rank).keys()];
  const axes = args.ints("axis").map((a) => axisOf(ctx, a, x, args.spanOf("axis")));
  if (new Set(axes).size !== axes.length) ctx.fail({ key: "badValue", params: { what: `${ctx.callee}: \`axis\``, value: `[${args.ints("axis").join(", ")}]`, expected: "distinct axes" } });
  return axes.sort((a, b) => a - b);
}

const reduction = (name: string, primitive: "reduce_sum" | "reduce_mean" | "reduce_max", summary: string): BuiltinDef =>
  defineBuiltin({
    name,
    params: [tensor("x"), { name: "axis", kind: "axes", default: null }, bool("keepdims", false)],
    summary,
    apply(ctx, args) {
      const x = args.tensor("x");
      return ctx.op(primitive, [x], { axes: reductionAxes(ctx, args, x), keepdims: args.bool("keepdims") });
    },
  });

/**
 * Numerically stable: x - max(x) along the axis, so exp never overflows (PyTorch computes it the same way). The
 * softmax family does not depend on the shift, so its gradient (exactly zero; in floating point a rounding residue)
 * is not computed: the maximum is behind stop_gradient, which saves the backward pass three kernels per softmax.
 */
export function shiftedByMax(ctx: LayerContext, x: TensorValue, axis: number): TensorValue {
  return ctx.op("sub", [x, ctx.op("stop_gradient", [ctx.op("reduce_max", [x], { axes: [axis], keepdims: true })])]);
}

export const reductionBuiltins: BuiltinDef[] = [
  reduction("sum", "reduce_sum", "sum over axes (all when none given)"),
  reduction("mean", "reduce_mean", "mean over axes (all when none given)"),
  reduction("max", "reduce_max", "max over axes (all when none given)"),
  defineBuiltin({
    name: "softmax",
    params: [tensor("x"), int("axis", -1)],
    summary: "exp(x) / sum(exp(x)) along an axis, max-subtracted",
    apply(ctx, args) {
      const x = args.tensor("x");
      const axis = axisOf(ctx, args.int("axis"), x, args.spanOf("axis"));
      const e = ctx.op("exp", [shiftedByMax(ctx, x, axis)]);
      return ctx.op("div", [e, ctx.op("reduce_sum", [e], { axes: [axis], keepdims: true })]);
    },
  }),
  defineBuiltin({
    name: "log_softmax",
    params: [tensor("x"), int("axis", -1)],
    summary: "x - logsumexp(x) along an axis, max-subtracted",
    apply(ctx, args) {
      const x = args.tensor("x");
      const axis = axisOf(ctx, args.int("axis"), x, args.spanOf("axis"));
      const shifted = shiftedByMax(ctx, x, axis);
      const lse = ctx.op("log", [ctx.op("reduce_sum", [ctx.op("exp", [shifted])], { axes: [axis], keepdims: true })]);
      return ctx.op("sub", [shifted, lse]);
    },
  }),
];
