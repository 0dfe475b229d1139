// batch_norm: normalizes each feature of the last axis over every other axis (BatchNorm1d on [N, D], BatchNorm2d on
// channels-last [N, H, W, C]). The model's mode decides the statistics: training uses the batch's (biased variance)
// and gives the running statistics their next value by PyTorch's rule; evaluation uses the running statistics.
import { product } from "../../ir/dims.js";
import { formatType, isFloat } from "../../ir/types.js";
import { defineBuiltin, float, tensor, type BuiltinDef } from "./define-layer.js";

export const normalizationBuiltins: BuiltinDef[] = [
  defineBuiltin({
    name: "batch_norm",
    params: [tensor("x"), float("momentum", 0.1), float("eps", 1e-5)],
    summary: "normalizes the last axis over all others with batch statistics in training, running statistics in evaluation; gain[C], bias[C]",
    apply(ctx, args) {
      const x = args.tensor("x");
      const rank = x.type.shape.length;
      if (rank < 2 || !isFloat(x.type.dtype))
        ctx.fail({ key: "rankMismatch", params: { op: "batch_norm", expected: "a float tensor [N, ..., C] (features last)", actual: formatType(x.type) } }, args.spanOf("x"));
      const momentum = args.float("momentum");
      if (!(momentum >= 0 && momentum <= 1)) ctx.fail({ key: "badValue", params: { what: "batch_norm: `momentum`", value: String(momentum), expected: "a number in [0, 1]" } }, args.spanOf("momentum"));
      const eps = args.float("eps");
      if (!(eps > 0)) ctx.fail({ key: "badValue", params: { what: "batch_norm: `eps`", value: String(eps), expected: "a positive number" } }, args.spanOf("eps"));
      const c = x.type.shape[rank - 1]!;
      const axes = [...Array(rank - 1).keys()];
      const dtype = x.type.dtype;
      const k = (v: number) => ctx.constant(v, dtype);
      const gain = ctx.param("gain", [c], { name: "ones", args: [] }, dtype);
      const bias = ctx.param("bias", [c], { name: "zeros", args: [] }, dtype);
      const runningMean = ctx.buffer("running_mean", [c], 0, dtype);
      const runningVar = ctx.buffer("running_var", [c], 1, dtype);
      const tracked = ctx.buffer("num_batches_tracked", [], 0, dtype);
      let normalized;
      if (ctx.mode === "train") {
        const mean = ctx.op("reduce_mean", [x], { axes, keepdims: false });
        const centered = ctx.op("sub", [x, mean]);
        const variance = ctx.op("reduce_mean", [ctx.op("square", [centered])], { axes, keepdims: false });
        normalized = ctx.op("mul", [centered, ctx.op("rsqrt", [ctx.op("add", [variance, k(eps)])])]);
        // The running variance follows the unbiased batch variance (n / (n - 1) times the biased one), as PyTorch's.
        const count = ctx.dimScalar(product(x.type.shape.slice(0, -1)));
        const n = count.type.dtype === dtype ? count : ctx.op("cast", [count], { dtype });
        const unbiased = ctx.op("mul", [variance, ctx.op("div", [n, ctx.op("sub", [n, k(1)])])]);
        const blend = (running: typeof mean, batch: typeof mean) => ctx.op("add", [ctx.op("mul", [running, k(1 - momentum)]), ctx.op("mul", [batch, k(momentum)])]);
        ctx.updateBuffer(runningMean, blend(runningMean, mean));
        ctx.updateBuffer(runningVar, blend(runningVar, unbiased));
        ctx.updateBuffer(tracked, ctx.op("add", [tracked, k(1)]));
      } else {
        normalized = ctx.op("mul", [ctx.op("sub", [x, runningMean]), ctx.op("rsqrt", [ctx.op("add", [runningVar, k(eps)])])]);
      }
      return ctx.op("add", [ctx.op("mul", [normalized, gain]), bias]);
    },
  }),
];
