// Elementwise ops of one tensor. Integer tensors are accepted only where the result stays an integer.
import { defineOp, type OpDef } from "../ir/define-op.js";
import { requireFloat } from "./shape-rules.js";

const INTEGER_SAFE = new Set(["neg", "abs", "square"]);

function unary(name: string): OpDef {
  return defineOp({
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
  });
}

export const neg = unary("neg");
export const relu = unary("relu");
/** Attr `alpha`: the slope for negative inputs. */
export const leakyRelu = unary("leaky_relu");
export const exp = unary("exp");
export const log = unary("log");
export const sqrt = unary("sqrt");
export const rsqrt = unary("rsqrt");
export const abs = unary("abs");
export const tanh = unary("tanh");
export const sigmoid = unary("sigmoid");
export const erf = unary("erf");
export const square = unary("square");

export const unaryOps: readonly OpDef[] = [neg, relu, leakyRelu, exp, log, sqrt, rsqrt, abs, tanh, sigmoid, erf, square];
