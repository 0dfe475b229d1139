// Ops with no tensor inputs: model inputs, parameters, optimizer state, constants, a dim's value, the causal mask.
import { defineOp, type OpDefOf } from "./define-op.js";
import type { OpsWithAttrs } from "../ir/registry.js";
import { Dim, type DType } from "../ir/types.js";
import { NEG_INF, u32 } from "../wgsl/wgsl-values.js";

type NamedSource = { name: string; dtype: DType; shape: readonly Dim[] };

declare module "../ir/op-catalog.js" {
  interface OpCatalog {
    input: NamedSource;
    /** `init` names the parameter's initializer and `initArgs` holds its numeric arguments. */
    param: NamedSource & { init: string; initArgs: readonly number[] };
    state: NamedSource;
    constant: { value: number; dtype: DType };
    dim_size: { dim: Dim };
    causal_mask: { size: Dim };
  }
}

/** Inputs, parameters and optimizer state get their values from the executor, by name; they have no computation. */
function named<N extends OpsWithAttrs<NamedSource>>(op: N): OpDefOf<N> {
  return defineOp<N>({
    name: op,
    fusion: "source",
    arity: 0,
    shape: (_, { dtype, shape }) => ({ dtype, shape }),
    reference(_, { name }) {
      throw new Error(`internal: ${op} \`${name}\` has no value bound`);
    },
    wgsl: { kind: "bound" },
  });
}

export const input = named("input");
/** A trainable parameter. */
export const param = named("param");
/** Optimizer state carried between training steps (momentum, Adam's moments, the step count). */
export const state = named("state");

export const constant = defineOp({
  name: "constant",
  fusion: "elementwise",
  arity: 0,
  shape: (_, { dtype }) => ({ dtype, shape: [] }),
  reference(_, { value }, ctx) {
    const out = ctx.alloc(1);
    out[0] = value;
    return out;
  },
  wgsl: { kind: "expression", expr: (_, { value, dtype }, ctx) => ctx.lit(value, dtype) },
});

/** The size of a possibly symbolic dim as an f32 scalar, known once the program is instantiated. */
export const dimSize = defineOp({
  name: "dim_size",
  fusion: "elementwise",
  arity: 0,
  shape: () => ({ dtype: "f32", shape: [] }),
  reference(_, { dim }, ctx) {
    const out = ctx.alloc(1);
    out[0] = ctx.dim(dim);
    return out;
  },
  wgsl: { kind: "expression", expr: (_, { dim }, ctx) => ctx.lit(ctx.dim(dim), "f32") },
});

/** [T, T] of 0 where key <= query and -inf above the diagonal. */
export const causalMask = defineOp({
  name: "causal_mask",
  fusion: "injective",
  arity: 0,
  shape: (_, { size }) => ({ dtype: "f32", shape: [size, size] }),
  reference(_, __, ctx) {
    const t = ctx.output.shape[0]!;
    const out = ctx.alloc(t * t);
    for (let q = 0; q < t; q++) for (let k = q + 1; k < t; k++) out[q * t + k] = -Infinity;
    return out;
  },
  wgsl: {
    kind: "kernel",
    emit(k) {
      const t = k.output.shape[0]!;
      k.perElement(t * t, (w, i) => w.line(`${k.out}[${i}] = select(0.0, ${NEG_INF}, ${i} % ${u32(t)} > ${i} / ${u32(t)});`));
    },
  },
});
