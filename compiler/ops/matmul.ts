// Batched matrix product: [..., M, K] @ [..., K, P] -> [..., M, P], leading dims broadcast; rank-1 operands as in NumPy.
import { defineOp, isShapeError, shapeError } from "../ir/define-op.js";
import { formatType } from "../ir/types.js";
import { broadcastShapes, requireFloat, requireSameDtype } from "./shape-rules.js";

export const matmul = defineOp({
  name: "matmul",
  fusion: "opaque",
  arity: 2,
  shape([a, b]) {
    const dtypeErr = requireSameDtype("matmul", a!, b!) ?? requireFloat("matmul", a!);
    if (dtypeErr) return dtypeErr;
    if (a!.shape.length === 0 || b!.shape.length === 0)
      return shapeError("rankMismatch", { op: "matmul", expected: "operands of rank 1 or more", actual: `${formatType(a!)} and ${formatType(b!)}` });
    const left = a!.shape.length === 1 ? [a!.shape[0]!] : a!.shape.slice(-2);
    const right = b!.shape.length === 1 ? [b!.shape[0]!] : b!.shape.slice(-2);
    const k1 = left[left.length - 1]!;
    const k2 = right[0]!;
    if (!k1.equals(k2))
      return shapeError("matmulInner", { left: k1.toString(), right: k2.toString() }, `left is ${formatType(a!)}, right is ${formatType(b!)}`);
    const batch = broadcastShapes("matmul", { dtype: a!.dtype, shape: a!.shape.slice(0, -2) }, { dtype: b!.dtype, shape: b!.shape.slice(0, -2) });
    if (isShapeError(batch)) return batch;
    const rows = a!.shape.length === 1 ? [] : [left[0]!];
    const cols = b!.shape.length === 1 ? [] : [right[1]!];
    return { dtype: a!.dtype, shape: [...batch, ...rows, ...cols] };
  },
});
