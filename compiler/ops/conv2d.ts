// 2-D convolution, channels last: x [N, H, W, C] with kernel [k, k, C, F] -> [N, H', W', F].
import { defineOp, shapeError } from "../ir/define-op.js";
import { Dim, formatType } from "../ir/types.js";
import { requireFloat, requireRank, requireSameDtype } from "./shape-rules.js";

/** Output size along one spatial axis: floor((H - k) / s) + 1 for valid, ceil(H / s) for same (TensorFlow's rule). */
export function convOutputSize(size: Dim, kernel: Dim, stride: number, padding: "valid" | "same"): Dim {
  const s = Dim.const(stride);
  if (padding === "same") return size.add(Dim.const(stride - 1)).floorDiv(s);
  return size.sub(kernel).floorDiv(s).add(Dim.const(1));
}

export const conv2d = defineOp<{ stride: number; padding: "valid" | "same" }>({
  name: "conv2d",
  fusion: "opaque",
  arity: 2,
  shape([x, w], { stride, padding }) {
    const err = requireRank("conv2d", x!, 4, "input [N, H, W, C]") ?? requireRank("conv2d", w!, 4, "kernel [k, k, C, F]") ??
      requireFloat("conv2d", x!) ?? requireSameDtype("conv2d", x!, w!);
    if (err) return err;
    const [n, h, wd, c] = x!.shape as [Dim, Dim, Dim, Dim];
    const [kh, kw, ci, f] = w!.shape as [Dim, Dim, Dim, Dim];
    if (!ci.equals(c))
      return shapeError("shapeMismatch", { op: "conv2d", left: `input channels ${c}`, right: `kernel channels ${ci}` }, `input is ${formatType(x!)}, kernel is ${formatType(w!)}`);
    if (padding === "valid") {
      for (const [size, k] of [[h, kh], [wd, kw]] as const) {
        const s = size.constValue();
        const kk = k.constValue();
        if (s !== undefined && kk !== undefined && kk > s)
          return shapeError("windowTooLarge", { op: "conv2d", size: `${kh}x${kw}`, input: formatType(x!) }, undefined, 'use padding: "same" or a smaller kernel');
      }
    }
    return { dtype: x!.dtype, shape: [n, convOutputSize(h, kh, stride, padding), convOutputSize(wd, kw, stride, padding), f] };
  },
});
