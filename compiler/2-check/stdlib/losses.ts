// Losses: scalar means over the batch, matching PyTorch's defaults (reduction="mean").
import { formatType } from "../../ir/types.js";
import { defineBuiltin, tensor, type BuiltinDef } from "./define-layer.js";
import { shiftedByMax } from "./reductions.js";

export const lossBuiltins: BuiltinDef[] = [
  defineBuiltin({
    name: "cross_entropy",
    params: [tensor("logits"), tensor("labels")],
    summary: "mean over rows of -log_softmax(logits)[label], integer labels",
    apply(ctx, args) {
      const logits = args.tensor("logits");
      const labels = args.tensor("labels");
      if (labels.type.dtype !== "i32")
        ctx.fail({ key: "dtypeMismatch", params: { op: "cross_entropy", expected: "i32 class labels", actual: formatType(labels.type) },
          hint: logits.type.dtype === "i32" ? "the order is cross_entropy(logits, labels); these look swapped" : "labels are integer class indices, one per row of logits" }, args.spanOf("labels"));
      if (logits.type.shape.length < 1)
        ctx.fail({ key: "rankMismatch", params: { op: "cross_entropy", expected: "logits of rank 1 or more", actual: formatType(logits.type) } }, args.spanOf("logits"));
      const last = logits.type.shape.length - 1;
      const shifted = shiftedByMax(ctx, logits, last);
      const lse = ctx.op("log", [ctx.op("reduce_sum", [ctx.op("exp", [shifted])], { axes: [last], keepdims: true })]);
      const logProbs = ctx.op("sub", [shifted, lse]);
      const picked = ctx.op("pick", [logProbs, labels]);
      ctx.scores(logits, labels);
      const all = [...Array(picked.type.shape.length).keys()];
      return ctx.op("neg", [ctx.op("reduce_mean", [picked], { axes: all, keepdims: false })]);
    },
  }),
  defineBuiltin({
    name: "mse",
    params: [tensor("pred"), tensor("target")],
    summary: "mean of squared differences",
    apply(ctx, args) {
      const pred = args.tensor("pred");
      const target = args.tensor("target");
      const same = pred.type.shape.length === target.type.shape.length && pred.type.shape.every((d, i) => d.equals(target.type.shape[i]!));
      if (!same) ctx.fail({ key: "shapeMismatch", params: { op: "mse", left: formatType(pred.type), right: formatType(target.type) } });
      const sq = ctx.op("square", [ctx.op("sub", [pred, target])]);
      return ctx.op("reduce_mean", [sq], { axes: [...Array(sq.type.shape.length).keys()], keepdims: false });
    },
  }),
];
