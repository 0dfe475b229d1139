// Ops with no tensor inputs: model inputs, parameters, constants, a dim's value, and the causal attention mask.
import { defineOp } from "../ir/define-op.js";
import { Dim, type DType } from "../ir/types.js";

export const input = defineOp<{ name: string; dtype: DType; shape: readonly Dim[] }>({
  name: "input",
  fusion: "source",
  arity: 0,
  shape: (_, { dtype, shape }) => ({ dtype, shape }),
});

/** A trainable parameter; `init` names the initializer and `initArgs` holds its numeric arguments. */
export const param = defineOp<{ name: string; dtype: DType; shape: readonly Dim[]; init: string; initArgs: readonly number[] }>({
  name: "param",
  fusion: "source",
  arity: 0,
  shape: (_, { dtype, shape }) => ({ dtype, shape }),
});

export const constant = defineOp<{ value: number; dtype: DType }>({
  name: "constant",
  fusion: "elementwise",
  arity: 0,
  shape: (_, { dtype }) => ({ dtype, shape: [] }),
});

/** The size of a possibly symbolic dim as an f32 scalar, known once the program is instantiated. */
export const dimSize = defineOp<{ dim: Dim }>({
  name: "dim_size",
  fusion: "elementwise",
  arity: 0,
  shape: () => ({ dtype: "f32", shape: [] }),
});

/** [T, T] of 0 where key <= query and -inf above the diagonal. */
export const causalMask = defineOp<{ size: Dim }>({
  name: "causal_mask",
  fusion: "injective",
  arity: 0,
  shape: (_, { size }) => ({ dtype: "f32", shape: [size, size] }),
});
