// Elementwise ops of one tensor. Integer tensors are accepted only where the result stays an integer.
// Each op: its scalar function (the CPU reference) and its derivative written as IR (d = dy/dx, grad = g * d).
import type { TensorValue } from "../ir/value.js";
import type { GradContext } from "../ir/define-op.js";
import type { NoAttrs, OpAttrs, OpName } from "../ir/registry.js";
import { defineOp, type OpDefOf } from "./define-op.js";
import type { ScalarContext } from "../wgsl/contract.js";
import { requireFloat } from "./shape-rules.js";

declare module "../ir/op-catalog.js" {
  interface OpCatalog {
    neg: NoAttrs;
    relu: NoAttrs;
    leaky_relu: { alpha: number };
    exp: NoAttrs;
    log: NoAttrs;
    sqrt: NoAttrs;
    rsqrt: NoAttrs;
    abs: NoAttrs;
    tanh: NoAttrs;
    sigmoid: NoAttrs;
    erf: NoAttrs;
    square: NoAttrs;
  }
}

const INTEGER_SAFE = new Set<OpName>(["neg", "abs", "square"]);

function unary<N extends OpName>(
  name: N,
  f: (x: number, attrs: OpAttrs<N>) => number,
  grad: (ctx: GradContext, x: TensorValue, y: TensorValue, attrs: OpAttrs<N>) => TensorValue,
  wgsl: (x: string, attrs: OpAttrs<N>, ctx: ScalarContext) => string,
): OpDefOf<N> {
  return defineOp<N>({
    name,
    fusion: "elementwise",
    arity: 1,
    shape([x]) {
      if (!INTEGER_SAFE.has(name)) {
        const err = requireFloat(name, x!);
        if (err) return err;
      }
      return x!;
    },
    reference([x], attrs, ctx) {
      const out = ctx.alloc(x!.length);
      for (let i = 0; i < out.length; i++) out[i] = f(x![i]!, attrs);
      return out;
    },
    vjp(ctx, attrs) {
      return [grad(ctx, ctx.inputs[0]!, ctx.output, attrs)];
    },
    wgsl: { kind: "expression", expr: ([x], attrs, ctx) => wgsl(x!, attrs, ctx) },
  });
}

const mul = (ctx: GradContext, a: TensorValue, b: TensorValue) => ctx.op("mul", [a, b]);
const scalar = (ctx: GradContext, v: number, like: TensorValue) => ctx.constant(v, like.type.dtype);
/** 1 where x > 0, else 0, as x's dtype. */
const positive = (ctx: GradContext, x: TensorValue) => ctx.op("greater", [x, scalar(ctx, 0, x)]);

/** Abramowitz-Stegun 7.1.26 is too coarse for an oracle; this series/continued-fraction pair is accurate to ~1e-15. */
export function erf(x: number): number {
  const ax = Math.abs(x);
  if (ax < 2.5) {
    // Maclaurin series: erf x = 2/sqrt(pi) * sum (-1)^n x^(2n+1) / (n! (2n+1)).
    let term = ax;
    let sum = ax;
    const x2 = ax * ax;
    for (let n = 1; n < 60; n++) {
      term *= -x2 / n;
      const add = term / (2 * n + 1);
      sum += add;
      if (Math.abs(add) < 1e-17 * Math.abs(sum)) break;
    }
    return Math.sign(x) * (2 / Math.sqrt(Math.PI)) * sum;
  }
  // Continued fraction for erfc, evaluated bottom-up (Lentz is unnecessary at this depth).
  let frac = 0;
  for (let n = 60; n >= 1; n--) frac = n / 2 / (ax + frac);
  const erfc = Math.exp(-ax * ax) / Math.sqrt(Math.PI) / (ax + frac);
  return Math.sign(x) * (1 - erfc);
}

/**
 * erf in f32: the Maclaurin series below 0.5 (relative error < 3e-8), Numerical Recipes' Chebyshev fit of erfc above
 * (fractional error < 1.2e-7). WGSL has no erf.
 */
const ERF_WGSL = `
fn dlg_erf(x: f32) -> f32 {
  let z = abs(x);
  if (z < 0.5) {
    let x2 = x * x;
    return x * 1.1283791670955126 * (1.0 + x2 * (-0.3333333333333333 + x2 * (0.1 + x2 * (-0.023809523809523808 + x2 * (0.004629629629629629 + x2 * -0.0007575757575757576)))));
  }
  let t = 1.0 / (1.0 + 0.5 * z);
  let erfc = t * exp(-z * z - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))));
  return sign(x) * (1.0 - erfc);
}`;

/**
 * tanh without overflow for large |x| (a naive (e^2x - 1)/(e^2x + 1) gives inf/inf): from e^-2|x|, which lies in
 * (0, 1]; near 0, where 1 - e^-2|x| cancels, the odd Taylor polynomial.
 */
const TANH_WGSL = `
fn dlg_tanh(x: f32) -> f32 {
  let z = abs(x);
  if (z < 0.125) {
    let x2 = x * x;
    return x * (1.0 + x2 * (-0.3333333333333333 + x2 * (0.13333333333333333 + x2 * -0.05396825396825397)));
  }
  let e = exp(-2.0 * z);
  return sign(x) * (1.0 - e) / (1.0 + e);
}`;

export const neg = unary("neg", (x) => -x, (ctx) => ctx.op("neg", [ctx.grad]), (x) => `(-${x})`);
export const relu = unary("relu", (x) => (x > 0 ? x : 0), (ctx, x) => mul(ctx, ctx.grad, positive(ctx, x)),
  (x, _, c) => `select(${c.lit(0)}, ${x}, ${x} > ${c.lit(0)})`);
/** Attr `alpha`: the slope for negative inputs. d = alpha + (1 - alpha) * [x > 0]. */
export const leakyRelu = unary(
  "leaky_relu",
  (x, { alpha }) => (x > 0 ? x : alpha * x),
  (ctx, x, _, { alpha }) =>
    mul(ctx, ctx.grad, ctx.op("add", [scalar(ctx, alpha, x), mul(ctx, positive(ctx, x), scalar(ctx, 1 - alpha, x))])),
  (x, { alpha }, c) => `select(${c.lit(alpha)} * ${x}, ${x}, ${x} > ${c.lit(0)})`,
);
export const exp = unary("exp", Math.exp, (ctx, _, y) => mul(ctx, ctx.grad, y), (x) => `exp(${x})`);
export const log = unary("log", Math.log, (ctx, x) => ctx.op("div", [ctx.grad, x]), (x) => `log(${x})`);
/** d sqrt(x) = 1 / (2 sqrt(x)). */
export const sqrt = unary("sqrt", Math.sqrt, (ctx, _, y) => ctx.op("div", [ctx.grad, mul(ctx, y, scalar(ctx, 2, y))]), (x) => `sqrt(${x})`);
/** d x^(-1/2) = -1/2 x^(-3/2) = -1/2 y^3. */
export const rsqrt = unary("rsqrt", (x) => 1 / Math.sqrt(x), (ctx, _, y) =>
  mul(ctx, ctx.grad, mul(ctx, mul(ctx, y, mul(ctx, y, y)), scalar(ctx, -0.5, y))),
  // Not inverseSqrt: its result at 0 is not specified, and 1/sqrt(0) is +inf as on the CPU.
  (x) => `(1.0 / sqrt(${x}))`);
/** d |x| = sign(x) = [x > 0] - [x < 0] (0 at 0, as PyTorch). */
export const abs = unary("abs", Math.abs, (ctx, x) =>
  mul(ctx, ctx.grad, ctx.op("sub", [positive(ctx, x), ctx.op("greater", [scalar(ctx, 0, x), x])])), (x) => `abs(${x})`);
/** d tanh = 1 - y^2. */
export const tanh = unary("tanh", Math.tanh, (ctx, _, y) => mul(ctx, ctx.grad, ctx.op("sub", [scalar(ctx, 1, y), mul(ctx, y, y)])),
  (x, _, c) => `${c.helper("dlg_tanh", TANH_WGSL)}(${x})`);
/** d sigmoid = y (1 - y). Computed without overflow for large |x|. */
export const sigmoid = unary(
  "sigmoid",
  (x) => (x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x))),
  (ctx, _, y) => mul(ctx, ctx.grad, mul(ctx, y, ctx.op("sub", [scalar(ctx, 1, y), y]))),
  // Both branches are evaluated; select keeps the one that cannot overflow, as the reference does.
  (x) => `select(exp(${x}) / (1.0 + exp(${x})), 1.0 / (1.0 + exp(-${x})), ${x} >= 0.0)`,
);
/** d erf = 2/sqrt(pi) exp(-x^2). */
export const erfOp = unary("erf", erf, (ctx, x) =>
  mul(ctx, ctx.grad, mul(ctx, ctx.op("exp", [ctx.op("neg", [mul(ctx, x, x)])]), scalar(ctx, 2 / Math.sqrt(Math.PI), x))),
  (x, _, c) => `${c.helper("dlg_erf", ERF_WGSL)}(${x})`);
export const square = unary("square", (x) => x * x, (ctx, x) => mul(ctx, ctx.grad, mul(ctx, x, scalar(ctx, 2, x))), (x) => `(${x} * ${x})`);
