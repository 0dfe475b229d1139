// Max and average pooling over [N, H, W, C] with a square window and valid padding, and their gradients.
import { defineOp, shapeError, type OpDef } from "../ir/define-op.js";
import { Dim, formatType } from "../ir/types.js";
import { convOutputSize } from "./conv2d.js";
import { requireFloat, requireRank } from "./shape-rules.js";

type PoolAttrs = { size: number; stride: number };

/** Calls visit(outIndex, inputIndices of the window) for every output element (per channel). */
function forEachWindow(inShape: readonly number[], outShape: readonly number[], { size, stride }: PoolAttrs,
  visit: (o: number, window: number[]) => void): void {
  const [n, h, w, c] = inShape as [number, number, number, number];
  const [, oh, ow] = outShape as [number, number, number];
  const window: number[] = [];
  for (let b = 0; b < n; b++)
    for (let i = 0; i < oh; i++)
      for (let j = 0; j < ow; j++)
        for (let ch = 0; ch < c; ch++) {
          window.length = 0;
          for (let di = 0; di < size; di++)
            for (let dj = 0; dj < size; dj++) window.push(((b * h + i * stride + di) * w + j * stride + dj) * c + ch);
          visit(((b * oh + i) * ow + j) * c + ch, window);
        }
}

/** The first maximum of a window, in row-major order (PyTorch breaks ties the same way). */
function argmax(x: ArrayLike<number>, window: readonly number[]): number {
  let best = window[0]!;
  for (const k of window) if (x[k]! > x[best]!) best = k;
  return best;
}

function pool(name: "max_pool2d" | "avg_pool2d"): OpDef<PoolAttrs> {
  return defineOp<PoolAttrs>({
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
    reference([x], attrs, ctx) {
      const out = ctx.alloc(ctx.output.shape.reduce((a, b) => a * b, 1));
      forEachWindow(ctx.inputs[0]!.shape, ctx.output.shape, attrs, (o, window) => {
        if (name === "max_pool2d") out[o] = x![argmax(x!, window)]!;
        else out[o] = window.reduce((s, k) => s + x![k]!, 0) / window.length;
      });
      return out;
    },
    vjp: (ctx, attrs) => [
      name === "max_pool2d"
        ? ctx.op("max_pool2d_grad", [ctx.inputs[0]!, ctx.grad], attrs)
        : ctx.op("avg_pool2d_grad", [ctx.grad], { ...attrs, shape: ctx.inputs[0]!.type.shape }),
    ],
  });
}

export const maxPool2d = pool("max_pool2d");
export const avgPool2d = pool("avg_pool2d");

/** Routes each output gradient to the input element that won its window. */
export const maxPool2dGrad = defineOp<PoolAttrs>({
  name: "max_pool2d_grad",
  fusion: "opaque",
  arity: 2,
  shape: ([x]) => x!,
  reference([x, g], attrs, ctx) {
    const out = ctx.alloc(x!.length);
    forEachWindow(ctx.inputs[0]!.shape, ctx.inputs[1]!.shape, attrs, (o, window) => {
      out[argmax(x!, window)]! += g![o]!;
    });
    return out;
  },
});

/** Spreads each output gradient evenly over its window. */
export const avgPool2dGrad = defineOp<PoolAttrs & { shape: readonly Dim[] }>({
  name: "avg_pool2d_grad",
  fusion: "opaque",
  arity: 1,
  shape: ([g], { shape }) => ({ dtype: g!.dtype, shape }),
  reference([g], attrs, ctx) {
    const out = ctx.alloc(ctx.output.shape.reduce((a, b) => a * b, 1));
    forEachWindow(ctx.output.shape, ctx.inputs[0]!.shape, attrs, (o, window) => {
      const share = g![o]! / window.length;
      for (const k of window) out[k]! += share;
    });
    return out;
  },
});
