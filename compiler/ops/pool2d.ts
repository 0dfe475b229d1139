// Max and average pooling over [N, H, W, C] with a square window and valid padding.
import { defineOp, shapeError, type OpDef } from "../ir/define-op.js";
import { Dim, formatType } from "../ir/types.js";
import { convOutputSize } from "./conv2d.js";
import { requireFloat, requireRank } from "./shape-rules.js";

function pool(name: string): OpDef<{ size: number; stride: number }> {
  return defineOp<{ size: number; stride: number }>({
    name,
    fusion: "opaque",
    arity: 1,
    shape([x], { size, stride }) {
      const err = requireRank(name, x!, 4, "input [N, H, W, C]") ?? requireFloat(name, x!);
      if (err) return err;
      const [n, h, w, c] = x!.shape as [Dim, Dim, Dim, Dim];
      for (const d of [h, w]) {
        const v = d.constValue();
        if (v !== undefined && size > v) return shapeError("windowTooLarge", { op: name, size: `${size}x${size}`, input: formatType(x!) });
      }
      const k = Dim.const(size);
      return { dtype: x!.dtype, shape: [n, convOutputSize(h, k, stride, "valid"), convOutputSize(w, k, stride, "valid"), c] };
    },
  });
}

export const maxPool2d = pool("max_pool2d");
export const avgPool2d = pool("avg_pool2d");
