// 2-D convolution, channels last: x [N, H, W, C] with kernel [k, k, C, F] -> [N, H', W', F].
import { shapeError } from "../ir/define-op.js";
import { defineOp } from "./define-op.js";
import type { TensorValue } from "../ir/value.js";
import { Dim, formatType } from "../ir/types.js";
import { matmulKernel } from "./matmul.js";
import { requireFloat, requireRank, requireSameDtype } from "./shape-rules.js";
import type { KernelContext } from "../wgsl/contract.js";
import { emitReduction } from "../wgsl/reduction.js";
import { emitBlockedGemm, emitTiledGemm, fitTile, type Gemm } from "../wgsl/gemm.js";
import { u32 } from "../wgsl/wgsl-values.js";
import type { WgslBuilder } from "../wgsl/wgsl-builder.js";

type ConvAttrs = { stride: number; padding: "valid" | "same" };

declare module "../ir/op-catalog.js" {
  interface OpCatalog {
    conv2d: ConvAttrs;
    conv2d_grad_input: ConvAttrs & { shape: readonly Dim[] };
    conv2d_grad_kernel: ConvAttrs & { shape: readonly Dim[] };
  }
}

const i32c = (n: number) => `${n}i`;

/** Declares the coordinates of `index` over [d0, d1, d2, d3] as u32 lets named by `names`. */
function split4(w: WgslBuilder, index: string, dims: readonly number[], names: readonly string[]): void {
  const [, d1, d2, d3] = dims as [number, number, number, number];
  w.line(`let ${names[3]} = ${index} % ${u32(d3)};`);
  w.line(`let ${names[2]} = (${index} / ${u32(d3)}) % ${u32(d2)};`);
  w.line(`let ${names[1]} = (${index} / ${u32(d3 * d2)}) % ${u32(d1)};`);
  w.line(`let ${names[0]} = ${index} / ${u32(d3 * d2 * d1)};`);
}

/**
 * One entry of the patch matrix (im2col) as a WGSL expression: input pixel `position` = (n, oh, ow) under kernel tap
 * `tap` = (kh, kw, c), zero in the padding. The matrix itself is never materialized. Names stay clear of the GEMM
 * schedules' own (e, r, c, t, g<i>, a<i>, b<i>), which share the scope.
 */
function patchEntry(k: KernelContext, g: ConvGeometry, w: WgslBuilder, position: string, tap: string): string {
  w.line(`let pb = ${position} / ${u32(g.oh * g.ow)};`);
  w.line(`let pi = (${position} / ${u32(g.ow)}) % ${u32(g.oh)};`);
  w.line(`let pj = ${position} % ${u32(g.ow)};`);
  w.line(`let tki = ${tap} / ${u32(g.kw * g.c)};`);
  w.line(`let tkj = (${tap} / ${u32(g.c)}) % ${u32(g.kw)};`);
  w.line(`let tc = ${tap} % ${u32(g.c)};`);
  w.line(`let py = i32(pi * ${u32(g.stride)} + tki) - ${i32c(g.padTop)};`);
  w.line(`let px = i32(pj * ${u32(g.stride)} + tkj) - ${i32c(g.padLeft)};`);
  w.line(`let pin = py >= 0i && py < ${i32c(g.h)} && px >= 0i && px < ${i32c(g.w)};`);
  w.line(`let psrc = ((pb * ${u32(g.h)} + u32(clamp(py, 0i, ${i32c(g.h - 1)}))) * ${u32(g.w)} + u32(clamp(px, 0i, ${i32c(g.w - 1)}))) * ${u32(g.c)} + tc;`);
  return `select(0.0, ${k.input(0)}[psrc], pin)`;
}

/**
 * A product with the patch matrix: `patches @ d` (forward: d is the kernel [kh * kw * c, f]) or, transposed,
 * `patches^T @ d` (kernel gradient: d is the output gradient [n * oh * ow, f]). Either way the result is [rows, f]
 * row-major and input 1 is d.
 */
function patchGemm(k: KernelContext, g: ConvGeometry, transposed: boolean): Gemm {
  const positions = g.n * g.oh * g.ow;
  const taps = g.kh * g.kw * g.c;
  return {
    batches: 1,
    m: transposed ? taps : positions,
    n: g.f,
    k: transposed ? positions : taps,
    batch() {},
    a: (w, row, col) => (transposed ? patchEntry(k, g, w, col, row) : patchEntry(k, g, w, row, col)),
    b: (_, row, col) => `${k.input(1)}[${row} * ${u32(g.f)} + ${col}]`,
    out: (_, row, col) => `${row} * ${u32(g.f)} + ${col}`,
  };
}

/**
 * The forward convolution as the matrix product it is: patches [n * oh * ow, kh * kw * c] @ kernel [kh * kw * c, f],
 * tiled in workgroup memory where the adapter wants it, else register-blocked.
 */
function emitConv(k: KernelContext, g: ConvGeometry): void {
  const gemm = patchGemm(k, g, false);
  const tile = fitTile(k);
  if (tile) emitTiledGemm(k, gemm, tile);
  else emitBlockedGemm(k, gemm);
}

/**
 * d input as a matrix product (what cuDNN's implicit-GEMM backward-data does): [n * h * w input pixels, kh * kw * f]
 * @ [kh * kw * f, c], row (pixel) x column (tap ki, kj and output channel f) being the output gradient at the output
 * pixel that tap reads this pixel from (zero where none does: padding, or a position the stride skips), and the
 * kernel entry [ki, kj, c, f]. Each pixel still gathers rather than scatters (no atomics), but at the GEMM schedules'
 * speed: the six-deep loop it replaces took 280 of a LeNet step's 340 ms on lavapipe.
 */
function gradInputGemm(k: KernelContext, g: ConvGeometry): Gemm {
  return {
    batches: 1,
    m: g.n * g.h * g.w,
    n: g.c,
    k: g.kh * g.kw * g.f,
    batch() {},
    a(w, row, col) {
      // Names stay clear of the GEMM schedules' own (see patchEntry).
      w.line(`let qb = ${row} / ${u32(g.h * g.w)};`);
      w.line(`let qy = (${row} / ${u32(g.w)}) % ${u32(g.h)};`);
      w.line(`let qx = ${row} % ${u32(g.w)};`);
      w.line(`let qki = ${col} / ${u32(g.kw * g.f)};`);
      w.line(`let qkj = (${col} / ${u32(g.f)}) % ${u32(g.kw)};`);
      w.line(`let qf = ${col} % ${u32(g.f)};`);
      w.line(`let qty = i32(qy) + ${i32c(g.padTop)} - i32(qki);`);
      w.line(`let qtx = i32(qx) + ${i32c(g.padLeft)} - i32(qkj);`);
      w.line(`let qoy = qty / ${i32c(g.stride)};`);
      w.line(`let qox = qtx / ${i32c(g.stride)};`);
      const strided = g.stride === 1 ? "" : ` && qty % ${i32c(g.stride)} == 0i && qtx % ${i32c(g.stride)} == 0i`;
      w.line(`let qin = qty >= 0i && qtx >= 0i && qoy < ${i32c(g.oh)} && qox < ${i32c(g.ow)}${strided};`);
      w.line(`let qsrc = ((qb * ${u32(g.oh)} + u32(clamp(qoy, 0i, ${i32c(g.oh - 1)}))) * ${u32(g.ow)} + u32(clamp(qox, 0i, ${i32c(g.ow - 1)}))) * ${u32(g.f)} + qf;`);
      return `select(0.0, ${k.input(0)}[qsrc], qin)`;
    },
    // Row (ki, kj, f) and column c of the kernel [kh, kw, c, f]: ((ki * kw + kj) * c + column) * f + f.
    b: (_, row, col) => `${k.input(1)}[(${row} / ${u32(g.f)}) * ${u32(g.c * g.f)} + ${col} * ${u32(g.f)} + ${row} % ${u32(g.f)}]`,
    out: (_, row, col) => `${row} * ${u32(g.c)} + ${col}`,
  };
}

function emitConvGradInput(k: KernelContext, g: ConvGeometry): void {
  const gemm = gradInputGemm(k, g);
  const tile = fitTile(k);
  if (tile) emitTiledGemm(k, gemm, tile);
  else emitBlockedGemm(k, gemm);
}

/**
 * d kernel: for each kernel entry, a fold over batch and output positions (cooperative when long). On software
 * adapters, where many short invocations cost more than few long ones, the product patches^T @ d out, register-blocked.
 */
function emitConvGradKernel(k: KernelContext, g: ConvGeometry): void {
  if (k.limits.workgroupTiling === false) return emitBlockedGemm(k, patchGemm(k, g, true));
  emitReduction(k, {
    outputs: g.kh * g.kw * g.c * g.f,
    length: g.n * g.oh * g.ow,
    type: "f32",
    init: "0.0",
    combine: (acc, v) => `${acc} + ${v}`,
    prepare(w, o) {
      split4(w, o, [g.kh, g.kw, g.c, g.f], ["ki", "kj", "c", "f"]);
      return "";
    },
    load(w, _, r) {
      w.line(`let oj = ${r} % ${u32(g.ow)};`);
      w.line(`let oi = (${r} / ${u32(g.ow)}) % ${u32(g.oh)};`);
      w.line(`let b = ${r} / ${u32(g.ow * g.oh)};`);
      w.line(`let y = i32(oi * ${u32(g.stride)} + ki) - ${i32c(g.padTop)};`);
      w.line(`let x = i32(oj * ${u32(g.stride)} + kj) - ${i32c(g.padLeft)};`);
      w.line(`let inside = y >= 0i && y < ${i32c(g.h)} && x >= 0i && x < ${i32c(g.w)};`);
      w.line(`let src = ((b * ${u32(g.h)} + u32(clamp(y, 0i, ${i32c(g.h - 1)}))) * ${u32(g.w)} + u32(clamp(x, 0i, ${i32c(g.w - 1)}))) * ${u32(g.c)} + c;`);
      return `select(0.0, ${k.input(0)}[src] * ${k.input(1)}[${r} * ${u32(g.f)} + f], inside)`;
    },
  });
}

interface ConvGeometry {
  n: number; h: number; w: number; c: number; kh: number; kw: number; f: number; oh: number; ow: number;
  stride: number; padTop: number; padLeft: number;
}

/** Sizes of one convolution, with TensorFlow's split of "same" padding (the extra pixel goes bottom/right). */
function geometry(xShape: readonly number[], kShape: readonly number[], outShape: readonly number[], stride: number, padding: "valid" | "same"): ConvGeometry {
  const [n, h, w, c] = xShape as [number, number, number, number];
  const [kh, kw, , f] = kShape as [number, number, number, number];
  const [, oh, ow] = outShape as [number, number, number];
  const pad = (size: number, out: number, k: number) => (padding === "same" ? Math.floor(Math.max((out - 1) * stride + k - size, 0) / 2) : 0);
  return { n, h, w, c, kh, kw, f, oh, ow, stride, padTop: pad(h, oh, kh), padLeft: pad(w, ow, kw) };
}

/**
 * For each (output pixel [n, oh, ow], kernel tap [kh, kw]) pair, the offset of the input pixel the tap reads, or -1
 * where it falls in the padding. im2col and its adjoint both walk this one table.
 */
function tapOffsets(g: ConvGeometry): Int32Array {
  const offsets = new Int32Array(g.n * g.oh * g.ow * g.kh * g.kw).fill(-1);
  let at = 0;
  for (let b = 0; b < g.n; b++)
    for (let i = 0; i < g.oh; i++)
      for (let j = 0; j < g.ow; j++)
        for (let ki = 0; ki < g.kh; ki++)
          for (let kj = 0; kj < g.kw; kj++, at++) {
            const y = i * g.stride + ki - g.padTop;
            const x = j * g.stride + kj - g.padLeft;
            if (y >= 0 && y < g.h && x >= 0 && x < g.w) offsets[at] = ((b * g.h + y) * g.w + x) * g.c;
          }
  return offsets;
}

/**
 * The patch matrix of a convolution (im2col): one row per output pixel, one column per kernel tap and channel
 * [kh, kw, c], zero in the padding. A convolution is then one matmul with the kernel viewed as [kh * kw * c, f],
 * which runs at the blocked kernel's speed instead of a six-deep loop's.
 */
function im2col(x: ArrayLike<number>, g: ConvGeometry): Float64Array {
  const offsets = tapOffsets(g);
  const out = new Float64Array(offsets.length * g.c);
  for (let t = 0; t < offsets.length; t++) {
    const src = offsets[t]!;
    if (src >= 0) for (let ci = 0; ci < g.c; ci++) out[t * g.c + ci] = x[src + ci]!;
  }
  return out;
}

/** The adjoint of im2col: adds every patch entry back onto the input pixel it was copied from. */
function col2imAdd(cols: ArrayLike<number>, g: ConvGeometry, out: { [i: number]: number }): void {
  const offsets = tapOffsets(g);
  for (let t = 0; t < offsets.length; t++) {
    const dst = offsets[t]!;
    if (dst >= 0) for (let ci = 0; ci < g.c; ci++) out[dst + ci] = out[dst + ci]! + cols[t * g.c + ci]!;
  }
}

function transposed(m: ArrayLike<number>, rows: number, cols: number): Float64Array {
  const t = new Float64Array(rows * cols);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) t[c * rows + r] = m[r * cols + c]!;
  return t;
}

/** Output size along one spatial axis: floor((H - k) / s) + 1 for valid, ceil(H / s) for same (TensorFlow's rule). */
export function convOutputSize(size: Dim, kernel: Dim, stride: number, padding: "valid" | "same"): Dim {
  const s = Dim.const(stride);
  if (padding === "same") return size.add(Dim.const(stride - 1)).floorDiv(s);
  return size.sub(kernel).floorDiv(s).add(Dim.const(1));
}

export const conv2d = defineOp({
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
  reference([x, k], attrs, ctx) {
    const g = geometry(ctx.inputs[0]!.shape, ctx.inputs[1]!.shape, ctx.output.shape, attrs.stride, attrs.padding);
    const out = ctx.alloc(g.n * g.oh * g.ow * g.f);
    matmulKernel(im2col(x!, g), 0, k!, 0, out, 0, g.n * g.oh * g.ow, g.kh * g.kw * g.c, g.f);
    return out;
  },
  wgsl: { kind: "kernel", emit: (k, attrs) => emitConv(k, geometry(k.inputs[0]!.shape, k.inputs[1]!.shape, k.output.shape, attrs.stride, attrs.padding)) },
  vjp(ctx, attrs) {
    const [x, k] = ctx.inputs as [TensorValue, TensorValue];
    return [
      ctx.needs(0) ? ctx.op("conv2d_grad_input", [ctx.grad, k], { ...attrs, shape: x.type.shape }) : undefined,
      ctx.needs(1) ? ctx.op("conv2d_grad_kernel", [x, ctx.grad], { ...attrs, shape: k.type.shape }) : undefined,
    ];
  },
});

/** d loss / d x of conv2d: every output gradient flows back through the taps that produced it. */
export const conv2dGradInput = defineOp({
  name: "conv2d_grad_input",
  fusion: "opaque",
  arity: 2,
  shape: ([g], { shape }) => ({ dtype: g!.dtype, shape }),
  reference([grad, k], attrs, ctx) {
    const geo = geometry(ctx.output.shape, ctx.inputs[1]!.shape, ctx.inputs[0]!.shape, attrs.stride, attrs.padding);
    const rows = geo.n * geo.oh * geo.ow;
    const taps = geo.kh * geo.kw * geo.c;
    // d patches = g [rows, f] @ kernel^T [f, taps], then scattered back onto the input.
    const dCols = new Float64Array(rows * taps);
    matmulKernel(grad!, 0, transposed(k!, taps, geo.f), 0, dCols, 0, rows, geo.f, taps);
    const acc = new Float64Array(geo.n * geo.h * geo.w * geo.c);
    col2imAdd(dCols, geo, acc);
    const out = ctx.alloc(acc.length);
    out.set(acc);
    return out;
  },
  wgsl: {
    kind: "kernel",
    emit: (k, attrs) => emitConvGradInput(k, geometry(k.output.shape, k.inputs[1]!.shape, k.inputs[0]!.shape, attrs.stride, attrs.padding)),
  },
});

/** d loss / d kernel of conv2d: input patches times output gradients, summed over batch and positions. */
export const conv2dGradKernel = defineOp({
  name: "conv2d_grad_kernel",
  fusion: "opaque",
  arity: 2,
  shape: ([x], { shape }) => ({ dtype: x!.dtype, shape }),
  reference([x, grad], attrs, ctx) {
    const geo = geometry(ctx.inputs[0]!.shape, ctx.output.shape, ctx.inputs[1]!.shape, attrs.stride, attrs.padding);
    const rows = geo.n * geo.oh * geo.ow;
    const taps = geo.kh * geo.kw * geo.c;
    // d kernel = patches^T [taps, rows] @ g [rows, f].
    const out = ctx.alloc(taps * geo.f);
    matmulKernel(transposed(im2col(x!, geo), rows, taps), 0, grad!, 0, out, 0, taps, rows, geo.f);
    return out;
  },
  wgsl: {
    kind: "kernel",
    emit: (k, attrs) => emitConvGradKernel(k, geometry(k.inputs[0]!.shape, k.output.shape, k.inputs[1]!.shape, attrs.stride, attrs.padding)),
  },
});
