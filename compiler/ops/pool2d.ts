// Max and average pooling over [N, H, W, C] with a square window and valid padding, and their gradients.
import { shapeError } from "../ir/define-op.js";
import { defineOp, type OpDefOf } from "./define-op.js";
import { Dim, formatType } from "../ir/types.js";
import { convOutputSize } from "./conv2d.js";
import { requireFloat, requireRank } from "./shape-rules.js";
import type { KernelContext } from "../wgsl/contract.js";
import { u32 } from "../wgsl/wgsl-values.js";
import type { WgslBuilder } from "../wgsl/wgsl-builder.js";

type PoolAttrs = { size: number; stride: number };

declare module "../ir/op-catalog.js" {
  interface OpCatalog {
    max_pool2d: PoolAttrs;
    avg_pool2d: PoolAttrs;
    max_pool2d_grad: PoolAttrs;
    avg_pool2d_grad: PoolAttrs & { shape: readonly Dim[] };
  }
}

interface PoolGeometry { n: number; h: number; w: number; c: number; oh: number; ow: number; size: number; stride: number }

function poolGeometry(inShape: readonly number[], outShape: readonly number[], { size, stride }: PoolAttrs): PoolGeometry {
  const [n, h, w, c] = inShape as [number, number, number, number];
  const [, oh, ow] = outShape as [number, number, number];
  return { n, h, w, c, oh, ow, size, stride };
}

/** Declares `best` (the first maximum's offset, row-major as the reference) of window (b, oi, oj, ch). */
function windowArgmax(k: KernelContext, w: WgslBuilder, x: string, g: PoolGeometry): void {
  w.line(`let origin = ((b * ${u32(g.h)} + oi * ${u32(g.stride)}) * ${u32(g.w)} + oj * ${u32(g.stride)}) * ${u32(g.c)} + ch;`);
  w.line("var best = origin;");
  w.block(`for (var di = 0u; di < ${k.loopBound(g.size)}; di++)`, () => {
    w.block(`for (var dj = 0u; dj < ${k.loopBound(g.size)}; dj++)`, () => {
      w.line(`let at = origin + (di * ${u32(g.w)} + dj) * ${u32(g.c)};`);
      w.line(`if (${x}[at] > ${x}[best]) { best = at; }`);
    });
  });
}

function emitPool(k: KernelContext, name: "max_pool2d" | "avg_pool2d", g: PoolGeometry): void {
  k.perElement(g.n * g.oh * g.ow * g.c, (w, i) => {
    w.line(`let ch = ${i} % ${u32(g.c)};`);
    w.line(`let oj = (${i} / ${u32(g.c)}) % ${u32(g.ow)};`);
    w.line(`let oi = (${i} / ${u32(g.c * g.ow)}) % ${u32(g.oh)};`);
    w.line(`let b = ${i} / ${u32(g.c * g.ow * g.oh)};`);
    if (name === "max_pool2d") {
      windowArgmax(k, w, k.input(0), g);
      k.store(w, i, `${k.input(0)}[best]`);
      return;
    }
    w.line(`let origin = ((b * ${u32(g.h)} + oi * ${u32(g.stride)}) * ${u32(g.w)} + oj * ${u32(g.stride)}) * ${u32(g.c)} + ch;`);
    w.line("var acc = 0.0;");
    w.block(`for (var di = 0u; di < ${k.loopBound(g.size)}; di++)`, () => {
      w.block(`for (var dj = 0u; dj < ${k.loopBound(g.size)}; dj++)`, () => {
        w.line(`acc = acc + ${k.input(0)}[origin + (di * ${u32(g.w)} + dj) * ${u32(g.c)}];`);
      });
    });
    k.store(w, i, `acc / ${k.lit(g.size * g.size)}`);
  });
}

/**
 * A pooling gradient as a gather: each input element visits the windows that contain it, in the order the
 * reference's scatter reaches it (window rows, then columns, ascending), and adds what each sends it.
 */
function emitPoolGrad(k: KernelContext, g: PoolGeometry, contribution: (w: WgslBuilder) => string): void {
  k.perElement(g.n * g.h * g.w * g.c, (w, i) => {
    w.line(`let ch = ${i} % ${u32(g.c)};`);
    w.line(`let x = (${i} / ${u32(g.c)}) % ${u32(g.w)};`);
    w.line(`let y = (${i} / ${u32(g.c * g.w)}) % ${u32(g.h)};`);
    w.line(`let b = ${i} / ${u32(g.c * g.w * g.h)};`);
    w.line("var acc = 0.0;");
    // di counts down so that the window row oi = (y - di) / stride counts up.
    w.block(`for (var di = ${k.loopBound(g.size, "i32")} - 1i; di >= 0i; di--)`, () => {
      w.line("let ty = i32(y) - di;");
      w.line(`if (ty < 0i || ty % ${g.stride}i != 0i || ty / ${g.stride}i >= ${g.oh}i) { continue; }`);
      w.line(`let oi = u32(ty / ${g.stride}i);`);
      w.block(`for (var dj = ${k.loopBound(g.size, "i32")} - 1i; dj >= 0i; dj--)`, () => {
        w.line("let tx = i32(x) - dj;");
        w.line(`if (tx < 0i || tx % ${g.stride}i != 0i || tx / ${g.stride}i >= ${g.ow}i) { continue; }`);
        w.line(`let oj = u32(tx / ${g.stride}i);`);
        w.line(`acc = acc + ${contribution(w)};`);
      });
    });
    k.store(w, i, `acc`);
  });
}

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

function pool<N extends "max_pool2d" | "avg_pool2d">(name: N): OpDefOf<N> {
  return defineOp<N>({
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
    wgsl: { kind: "kernel", emit: (k, attrs) => emitPool(k, name, poolGeometry(k.inputs[0]!.shape, k.output.shape, attrs)) },
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
export const maxPool2dGrad = defineOp({
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
  wgsl: {
    kind: "kernel",
    emit(k, attrs) {
      const g = poolGeometry(k.inputs[0]!.shape, k.inputs[1]!.shape, attrs);
      emitPoolGrad(k, g, (w) => {
        windowArgmax(k, w, k.input(0), g);
        const o = `((b * ${u32(g.oh)} + oi) * ${u32(g.ow)} + oj) * ${u32(g.c)} + ch`;
        return `select(0.0, ${k.input(1)}[${o}], best == index)`;
      });
    },
  },
});

/** Spreads each output gradient evenly over its window. */
export const avgPool2dGrad = defineOp({
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
  wgsl: {
    kind: "kernel",
    emit(k, attrs) {
      const g = poolGeometry(k.output.shape, k.inputs[0]!.shape, attrs);
      emitPoolGrad(k, g, () => `${k.input(0)}[((b * ${u32(g.oh)} + oi) * ${u32(g.ow)} + oj) * ${u32(g.c)} + ch] / ${k.lit(g.size * g.size)}`);
    },
  },
});
