// A recurrence whose length is still a symbol. Recurrences are unrolled into primitives (one set of parameters
// shared by every step) as soon as their length is known; until then, this node stands for the result so that the
// model can be checked, listed and drawn. It computes nothing: running or compiling it is refused with a reason,
// never answered with made-up values. Its inputs are the sequence and the first step's output, so that the
// parameters of the cell stay reachable from the loss.
import { ExecutionError } from "../ir/define-op.js";
import type { Dim, DType } from "../ir/types.js";
import { CodegenError } from "../wgsl/limits.js";
import { defineOp } from "./define-op.js";

declare module "../ir/op-catalog.js" {
  interface OpCatalog {
    recurrence: { length: Dim; dtype: DType; shape: readonly Dim[] };
  }
}

export function unboundLengthMessage(length: Dim): string {
  return `the recurrence over ${length} steps is unrolled once ${length} is known: it is bound from the data by train, run and grad, or by --dim ${length}=STEPS`;
}

export const recurrence = defineOp({
  name: "recurrence",
  fusion: "opaque",
  arity: "variadic",
  shape: (_, { dtype, shape }) => ({ dtype, shape }),
  reference(_, { length }) {
    throw new ExecutionError(unboundLengthMessage(length));
  },
  wgsl: {
    kind: "kernel",
    emit(_, { length }) {
      throw new CodegenError(unboundLengthMessage(length));
    },
  },
});
