// Stretches a tensor to a larger shape by NumPy broadcasting (the gradient of a reduction).
import { isShapeError, shapeError } from "../ir/define-op.js";
import { defineOp } from "./define-op.js";
import { formatType, type Dim } from "../ir/types.js";
import { broadcastIndex } from "../ir/host.js";
import { broadcastShapes } from "./shape-rules.js";

declare module "../ir/op-catalog.js" {
  interface OpCatalog {
    broadcast_to: { shape: readonly Dim[] };
  }
}

export const broadcastTo = defineOp({
  name: "broadcast_to",
  fusion: "broadcast",
  arity: 1,
  shape([x], { shape }) {
    const target = { dtype: x!.dtype, shape };
    const joint = broadcastShapes("broadcast_to", x!, target);
    if (isShapeError(joint)) return joint;
    if (joint.length !== shape.length || joint.some((d, i) => !d.equals(shape[i]!)))
      return shapeError("shapeMismatch", { op: "broadcast_to", left: formatType(x!), right: formatType(target) });
    return target;
  },
  reference([x], _, ctx) {
    const map = broadcastIndex(ctx.output.shape, ctx.inputs[0]!.shape);
    const out = ctx.alloc(map.length);
    for (let i = 0; i < map.length; i++) out[i] = x![map[i]!]!;
    return out;
  },
  vjp: (ctx) => [ctx.sumTo(ctx.grad, ctx.inputs[0]!.type)],
  // The elementwise kernel reads its input broadcast onto the output shape: the value itself is all there is to do.
  wgsl: { kind: "expression", expr: ([x]) => x! },
});
