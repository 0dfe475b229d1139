// Elementwise built-ins: primitives exposed directly, and activations written as formulas over primitives.
import type { NoAttrs, OpsWithAttrs } from "../../ir/registry.js";
import { defineBuiltin, elementwiseBinary, float, operand, tensor, type BuiltinDef } from "./define-layer.js";

const direct = (name: OpsWithAttrs<NoAttrs>, summary: string): BuiltinDef =>
  defineBuiltin({ name, params: [tensor("x")], summary, apply: (ctx, args) => ctx.op(name, [args.tensor("x")]) });

export const elementwiseBuiltins: BuiltinDef[] = [
  direct("relu", "max(x, 0)"),
  direct("exp", "e^x"),
  direct("log", "natural logarithm"),
  direct("sqrt", "square root"),
  direct("rsqrt", "1 / sqrt(x)"),
  direct("abs", "absolute value"),
  direct("neg", "-x"),
  direct("square", "x * x"),
  direct("tanh", "hyperbolic tangent"),
  direct("sigmoid", "1 / (1 + e^-x)"),
  direct("erf", "the error function"),
  defineBuiltin({
    name: "leaky_relu",
    params: [tensor("x"), float("alpha", 0.01)],
    summary: "x for x > 0, alpha * x otherwise",
    apply: (ctx, args) => ctx.op("leaky_relu", [args.tensor("x")], { alpha: args.float("alpha") }),
  }),
  defineBuiltin({
    name: "gelu",
    params: [tensor("x")],
    summary: "x * Φ(x), the exact erf form (PyTorch's default)",
    apply(ctx, args) {
      // gelu(x) = 0.5 * x * (1 + erf(x / sqrt(2)))
      const x = args.tensor("x");
      const dt = x.type.dtype;
      const inner = ctx.op("erf", [ctx.op("mul", [x, ctx.constant(Math.SQRT1_2, dt)])]);
      const onePlus = ctx.op("add", [inner, ctx.constant(1, dt)]);
      return ctx.op("mul", [ctx.op("mul", [x, ctx.constant(0.5, dt)]), onePlus]);
    },
  }),
  defineBuiltin({
    name: "silu",
    params: [tensor("x")],
    summary: "x * sigmoid(x)",
    apply: (ctx, args) => ctx.op("mul", [args.tensor("x"), ctx.op("sigmoid", [args.tensor("x")])]),
  }),
];

const binary = (name: OpsWithAttrs<NoAttrs>, summary: string): BuiltinDef =>
  defineBuiltin({
    name,
    params: [operand("a"), operand("b")],
    summary,
    apply: (ctx, args) => elementwiseBinary(ctx, name, args.value("a"), args.value("b")),
  });

elementwiseBuiltins.push(
  binary("maximum", "elementwise max, broadcasting"),
  binary("minimum", "elementwise min, broadcasting"),
  defineBuiltin({
    name: "pow",
    params: [tensor("x"), operand("p")],
    summary: "x ** p, broadcasting",
    apply: (ctx, args) => elementwiseBinary(ctx, "pow", args.tensor("x"), args.value("p")),
  }),
  defineBuiltin({
    name: "cast",
    params: [tensor("x"), { name: "dtype", kind: "string" }],
    summary: 'converts to "f32", "i32" or "f16"',
    apply: (ctx, args) => ctx.op("cast", [args.tensor("x")], { dtype: args.choice("dtype", ["f32", "i32", "f16"] as const) }),
  }),
);
