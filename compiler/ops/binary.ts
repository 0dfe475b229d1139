// Elementwise ops of two tensors with NumPy broadcasting. Gradients are summed back to each input's shape.
import type { TensorValue } from "../ir/value.js";
import { isShapeError, type GradContext } from "../ir/define-op.js";
import { defineOp, type OpDefOf } from "./define-op.js";
import type { NoAttrs, OpName, OpsWithAttrs } from "../ir/registry.js";
import type { ScalarContext } from "../wgsl/contract.js";
import { NAN, POS_INF } from "../wgsl/wgsl-values.js";
import { broadcastBinary } from "../ir/host.js";
import { broadcastShapes, requireFloat, requireSameDtype } from "./shape-rules.js";

declare module "../ir/op-catalog.js" {
  interface OpCatalog {
    add: NoAttrs;
    sub: NoAttrs;
    mul: NoAttrs;
    div: NoAttrs;
    maximum: NoAttrs;
    minimum: NoAttrs;
    pow: NoAttrs;
    greater: NoAttrs;
    equal: NoAttrs;
  }
}

const INTEGER_SAFE = new Set<OpName>(["add", "sub", "mul", "maximum", "minimum", "greater", "equal"]);

type Partials = (ctx: GradContext, a: TensorValue, b: TensorValue, y: TensorValue) => [TensorValue | undefined, TensorValue | undefined];

type Emit = (a: string, b: string, ctx: ScalarContext) => string;

function binary<N extends OpsWithAttrs<NoAttrs>>(name: N, f: (x: number, y: number) => number, wgsl: Emit, partials?: Partials): OpDefOf<N> {
  const def = defineOp<N>({
    name,
    fusion: "broadcast",
    arity: 2,
    shape([a, b]) {
      const dtypeErr = requireSameDtype(name, a!, b!) ?? (INTEGER_SAFE.has(name) ? undefined : requireFloat(name, a!));
      if (dtypeErr) return dtypeErr;
      const shape = broadcastShapes(name, a!, b!);
      if (isShapeError(shape)) return shape;
      return { dtype: a!.dtype, shape };
    },
    reference([a, b], _, ctx) {
      const out = ctx.alloc(ctx.output.shape.reduce((n, d) => n * d, 1));
      return broadcastBinary(a!, ctx.inputs[0]!.shape, b!, ctx.inputs[1]!.shape, ctx.output.shape, out, f);
    },
    wgsl: { kind: "expression", expr: ([a, b], _, ctx) => wgsl(a!, b!, ctx) },
  });
  if (partials) {
    def.vjp = (ctx) => {
      const [a, b] = ctx.inputs as [TensorValue, TensorValue];
      const [ga, gb] = partials(ctx, a, b, ctx.output);
      return [ga && ctx.needs(0) ? ctx.sumTo(ga, a.type) : undefined, gb && ctx.needs(1) ? ctx.sumTo(gb, b.type) : undefined];
    };
  }
  return def;
}

/**
 * Math.pow's cases in f32: WGSL's pow is exp2(y log2 x), undefined for x < 0 and at 0; a negative base is allowed
 * with an integer exponent (odd keeps the sign), and x^0 is 1 even for NaN.
 */
const POW_WGSL = `
fn dlg_pow(x: f32, y: f32) -> f32 {
  if (y == 0.0) { return 1.0; }
  if (x == 0.0) { return select(0.0, ${POS_INF}, y < 0.0); }
  let r = exp2(y * log2(abs(x)));
  if (x < 0.0) {
    if (fract(y) != 0.0) { return ${NAN}; }
    return select(r, -r, fract(y * 0.5) != 0.0);
  }
  return r;
}`;

const op = (ctx: GradContext, name: OpsWithAttrs<NoAttrs>, ...xs: TensorValue[]) => ctx.op(name, xs);

export const add = binary("add", (x, y) => x + y, (a, b) => `(${a} + ${b})`, (ctx) => [ctx.grad, ctx.grad]);
export const sub = binary("sub", (x, y) => x - y, (a, b) => `(${a} - ${b})`, (ctx) => [ctx.grad, op(ctx, "neg", ctx.grad)]);
export const mul = binary("mul", (x, y) => x * y, (a, b) => `(${a} * ${b})`, (ctx, a, b) => [
  ctx.needs(0) ? op(ctx, "mul", ctx.grad, b) : undefined,
  ctx.needs(1) ? op(ctx, "mul", ctx.grad, a) : undefined,
]);
/** d(a/b)/da = 1/b; d(a/b)/db = -a/b^2 = -y/b. */
export const div = binary("div", (x, y) => x / y, (a, b) => `(${a} / ${b})`, (ctx, _a, b, y) => [
  ctx.needs(0) ? op(ctx, "div", ctx.grad, b) : undefined,
  ctx.needs(1) ? op(ctx, "neg", op(ctx, "div", op(ctx, "mul", ctx.grad, y), b)) : undefined,
]);
/** The gradient goes to the larger input; on ties it is split evenly (PyTorch's maximum does the same). */
const select = (which: "maximum" | "minimum"): Partials => (ctx, a, b) => {
  const [first, second] = which === "maximum" ? [a, b] : [b, a];
  const wins = op(ctx, "greater", first, second);
  const ties = op(ctx, "equal", a, b);
  const half = ctx.constant(0.5, a.type.dtype);
  const shareA = op(ctx, "add", which === "maximum" ? wins : op(ctx, "greater", b, a), op(ctx, "mul", ties, half));
  const shareB = op(ctx, "sub", ctx.constant(1, a.type.dtype), shareA);
  return [op(ctx, "mul", ctx.grad, shareA), op(ctx, "mul", ctx.grad, shareB)];
};
export const maximum = binary("maximum", (x, y) => Math.max(x, y), (a, b) => `max(${a}, ${b})`, select("maximum"));
export const minimum = binary("minimum", (x, y) => Math.min(x, y), (a, b) => `min(${a}, ${b})`, select("minimum"));
/** d a^b/da = b a^(b-1) = b y / a; d a^b/db = y ln a. */
export const pow = binary("pow", (x, y) => Math.pow(x, y), (a, b, c) => `${c.helper("dlg_pow", POW_WGSL)}(${a}, ${b})`, (ctx, a, b, y) => [
  ctx.needs(0) ? op(ctx, "mul", ctx.grad, op(ctx, "mul", b, op(ctx, "pow", a, op(ctx, "sub", b, ctx.constant(1, b.type.dtype))))) : undefined,
  ctx.needs(1) ? op(ctx, "mul", ctx.grad, op(ctx, "mul", y, op(ctx, "log", a))) : undefined,
]);
/** 1 where a > b, else 0 (used by gradient rules; piecewise constant, so no gradient of its own). */
export const greater = binary("greater", (x, y) => (x > y ? 1 : 0), (a, b, c) => `select(${c.lit(0)}, ${c.lit(1)}, ${a} > ${b})`);
export const equal = binary("equal", (x, y) => (x === y ? 1 : 0), (a, b, c) => `select(${c.lit(0)}, ${c.lit(1)}, ${a} == ${b})`);
