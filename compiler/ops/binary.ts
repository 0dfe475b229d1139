// Elementwise ops of two tensors with NumPy broadcasting. Gradients are summed back to each input's shape.
import type { TensorValue } from "../2-check/values.js";
import { defineOp, isShapeError, type GradContext, type OpDef } from "../ir/define-op.js";
import { broadcastBinary } from "./host.js";
import { broadcastShapes, requireFloat, requireSameDtype } from "./shape-rules.js";

const INTEGER_SAFE = new Set(["add", "sub", "mul", "maximum", "minimum", "greater", "equal"]);

type Partials = (ctx: GradContext, a: TensorValue, b: TensorValue, y: TensorValue) => [TensorValue | undefined, TensorValue | undefined];

function binary(name: string, f: (x: number, y: number) => number, partials?: Partials): OpDef {
  const def: OpDef = defineOp({
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

const op = (ctx: GradContext, name: string, ...xs: TensorValue[]) => ctx.op(name, xs);

export const add = binary("add", (x, y) => x + y, (ctx) => [ctx.grad, ctx.grad]);
export const sub = binary("sub", (x, y) => x - y, (ctx) => [ctx.grad, op(ctx, "neg", ctx.grad)]);
export const mul = binary("mul", (x, y) => x * y, (ctx, a, b) => [
  ctx.needs(0) ? op(ctx, "mul", ctx.grad, b) : undefined,
  ctx.needs(1) ? op(ctx, "mul", ctx.grad, a) : undefined,
]);
/** d(a/b)/da = 1/b; d(a/b)/db = -a/b^2 = -y/b. */
export const div = binary("div", (x, y) => x / y, (ctx, _a, b, y) => [
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
export const maximum = binary("maximum", (x, y) => Math.max(x, y), select("maximum"));
export const minimum = binary("minimum", (x, y) => Math.min(x, y), select("minimum"));
/** d a^b/da = b a^(b-1) = b y / a; d a^b/db = y ln a. */
export const pow = binary("pow", (x, y) => Math.pow(x, y), (ctx, a, b, y) => [
  ctx.needs(0) ? op(ctx, "mul", ctx.grad, op(ctx, "mul", b, op(ctx, "pow", a, op(ctx, "sub", b, ctx.constant(1, b.type.dtype))))) : undefined,
  ctx.needs(1) ? op(ctx, "mul", ctx.grad, op(ctx, "mul", y, op(ctx, "log", a))) : undefined,
]);
/** 1 where a > b, else 0 (used by gradient rules; piecewise constant, so no gradient of its own). */
export const greater = binary("greater", (x, y) => (x > y ? 1 : 0));
export const equal = binary("equal", (x, y) => (x === y ? 1 : 0));

export const binaryOps: readonly OpDef[] = [add, sub, mul, div, maximum, minimum, pow, greater, equal];
