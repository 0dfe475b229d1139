// Elementwise ops of two tensors with NumPy broadcasting.
import { defineOp, isShapeError, type OpDef } from "../ir/define-op.js";
import { broadcastShapes, requireFloat, requireSameDtype } from "./shape-rules.js";

const INTEGER_SAFE = new Set(["add", "sub", "mul", "maximum", "minimum"]);

function binary(name: string): OpDef {
  return defineOp({
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
  });
}

export const add = binary("add");
export const sub = binary("sub");
export const mul = binary("mul");
export const div = binary("div");
export const maximum = binary("maximum");
export const minimum = binary("minimum");
export const pow = binary("pow");

export const binaryOps: readonly OpDef[] = [add, sub, mul, div, maximum, minimum, pow];
