// Recurrence: a step function applied along axis 1 of a sequence `[N, T, ...]` with a carried state, unrolled into
// primitives with one set of parameters shared by every step, so that the existing autodiff generates
// backpropagation through time and fusion sees every step. The built-in `rnn`, `lstm` and `gru` are such step
// functions with PyTorch's equations, gate order, parameter names and initialization; the language's `scan` runs a
// user block as the step (2-check/recurrence.ts).
import type { LayerContext } from "../lower-to-ir.js";
import type { TensorValue } from "../values.js";
import { Dim, formatType, isFloat, type TensorType } from "../../ir/types.js";
import { bool, defineBuiltin, int, string, tensor, type BuiltinDef } from "./define-layer.js";

/**
 * Recurrences are unrolled: past this many steps the graph (forward and backward, every step a few dozen
 * operations) becomes too large to compile in reasonable time. Far above sequence MNIST (28) or a character model's
 * context (a few hundred).
 */
export const MAX_RECURRENCE_STEPS = 4096;

/** How many tensors one concatenation takes, so that it stays within a kernel's storage-buffer bindings. */
const CONCAT_FAN_IN = 4;

export interface Recurrence {
  /** The sequence, time on axis 1. */
  xs: TensorValue;
  /** The state before the first step (the step's output is state 0). */
  init: readonly TensorValue[];
  /** Keep only the last step's output, `[N, ...]`, instead of every step's, `[N, T, ...]`. */
  last: boolean;
  /** One step: the input at time t and the states, to the new states. */
  step(xt: TensorValue, states: readonly TensorValue[], t: number): readonly TensorValue[];
}

/** `x[:, t]`: the slice at step t with the time axis dropped. */
export function stepOf(ctx: LayerContext, xs: TensorValue, t: number): TensorValue {
  const [n, , ...rest] = xs.type.shape as Dim[];
  const slice = ctx.op("slice", [xs], { axis: 1, start: Dim.const(t), end: Dim.const(t + 1) });
  return ctx.op("reshape", [slice], { shape: [n!, ...rest] });
}

/** Concatenates `parts` along `axis` a few at a time (a tree of concatenations), in order. */
export function concatInGroups(ctx: LayerContext, parts: readonly TensorValue[], axis: number): TensorValue {
  let level = parts;
  while (level.length > 1) {
    const next: TensorValue[] = [];
    for (let i = 0; i < level.length; i += CONCAT_FAN_IN) {
      const group = level.slice(i, i + CONCAT_FAN_IN);
      next.push(group.length === 1 ? group[0]! : ctx.op("concat", group, { axis }));
    }
    level = next;
  }
  return level[0]!;
}

/** Stacks per-step values `[N, ...]` into `[N, T, ...]`. */
export function stackSteps(ctx: LayerContext, steps: readonly TensorValue[]): TensorValue {
  const [n, ...rest] = steps[0]!.type.shape as Dim[];
  return concatInGroups(ctx, steps.map((s) => ctx.op("reshape", [s], { shape: [n!, Dim.const(1), ...rest] })), 1);
}

export function requireSequence(ctx: LayerContext, xs: TensorValue, at?: Parameters<LayerContext["fail"]>[1]): Dim {
  if (xs.type.shape.length < 2)
    ctx.fail({ key: "rankMismatch", params: { op: ctx.callee, expected: "a sequence [N, T, ...] (time on axis 1)", actual: formatType(xs.type) } }, at);
  const length = xs.type.shape[1]!;
  const steps = length.constValue();
  if (steps !== undefined && steps > MAX_RECURRENCE_STEPS)
    ctx.fail({ key: "badValue", params: { what: `${ctx.callee}: the sequence length`, value: String(steps), expected: `at most ${MAX_RECURRENCE_STEPS} steps (recurrences are unrolled)` } }, at);
  return length;
}

/**
 * Runs a recurrence. A length known at compile time unrolls it; a symbolic one checks the first step (so every
 * mistake in the step is found with the step's types) and stands for the result until the length is bound.
 */
export function unroll(ctx: LayerContext, r: Recurrence): TensorValue {
  const length = r.xs.type.shape[1]!;
  const steps = length.constValue();
  if (steps === undefined) {
    const first = r.step(stepOf(ctx, r.xs, 0), r.init, 0)[0]!;
    const [n, ...rest] = first.type.shape;
    const shape = r.last ? first.type.shape : [n!, length, ...rest];
    return ctx.op("recurrence", [r.xs, first], { length, dtype: first.type.dtype, shape });
  }
  let states = r.init;
  const outputs: TensorValue[] = [];
  for (let t = 0; t < steps; t++) {
    states = r.step(stepOf(ctx, r.xs, t), states, t);
    if (!r.last) outputs.push(states[0]!);
  }
  return r.last ? states[0]! : stackSteps(ctx, outputs);
}

export function zerosOf(ctx: LayerContext, type: TensorType): TensorValue {
  return ctx.op("broadcast_to", [ctx.constant(0, type.dtype)], { shape: type.shape });
}

/** The last axis split into `count` equal parts (an LSTM's four gates). */
function chunks(ctx: LayerContext, x: TensorValue, count: number, size: Dim): TensorValue[] {
  const axis = x.type.shape.length - 1;
  return Array.from({ length: count }, (_, i) => ctx.op("slice", [x], { axis, start: size.mul(Dim.const(i)), end: size.mul(Dim.const(i + 1)) }));
}

type Cell = "rnn" | "lstm" | "gru";
const GATES: Record<Cell, number> = { rnn: 1, lstm: 4, gru: 3 };

function recurrentLayer(cell: Cell): BuiltinDef {
  const equations = {
    rnn: "h' = act(x W_ih + b_ih + h W_hh + b_hh)",
    lstm: "gates (i, f, g, o); c' = f*c + i*g, h' = o*tanh(c')",
    gru: "gates (r, z, n); n = tanh(x W_in + b_in + r*(h W_hn + b_hn)), h' = (1-z)*n + z*h",
  }[cell];
  return defineBuiltin({
    name: cell,
    params: [tensor("x"), int("hidden"), ...(cell === "rnn" ? [string("activation", "tanh")] : []), bool("last", false)],
    summary: `${cell.toUpperCase()} over [N, T, D] as torch.nn.${cell.toUpperCase()}(batch_first=True): ${equations}; [N, T, hidden], or [N, hidden] with last: true`,
    apply(ctx, args) {
      const x = args.tensor("x");
      requireSequence(ctx, x, args.spanOf("x"));
      if (x.type.shape.length !== 3 || !isFloat(x.type.dtype))
        ctx.fail({ key: "rankMismatch", params: { op: cell, expected: "a float sequence [N, T, D]", actual: formatType(x.type) } }, args.spanOf("x"));
      const activation = cell === "rnn" ? args.choice("activation", ["tanh", "relu"] as const) : "tanh";
      const hidden = Dim.const(args.positiveInt("hidden"));
      const [n, , d] = x.type.shape as [Dim, Dim, Dim];
      const width = hidden.mul(Dim.const(GATES[cell]));
      const bound = 1 / Math.sqrt(hidden.constValue()!);
      const init = { name: "uniform", args: [-bound, bound] };
      const dtype = x.type.dtype;
      const weightIh = ctx.param("weight_ih", [d, width], init, dtype);
      const weightHh = ctx.param("weight_hh", [hidden, width], init, dtype);
      const biasIh = ctx.param("bias_ih", [width], init, dtype);
      const biasHh = ctx.param("bias_hh", [width], init, dtype);
      // The input projection of every step at once: one large matrix product instead of T small ones (as cuDNN).
      const projected = ctx.op("add", [ctx.op("matmul", [x, weightIh]), biasIh]);
      const state: TensorType = { dtype, shape: [n, hidden] };
      const sigmoid = (v: TensorValue) => ctx.op("sigmoid", [v]);
      const tanh = (v: TensorValue) => ctx.op("tanh", [v]);
      const recurrent = (h: TensorValue) => ctx.op("add", [ctx.op("matmul", [h, weightHh]), biasHh]);
      const step = (xw: TensorValue, [h, c]: readonly TensorValue[]): TensorValue[] => {
        if (cell === "rnn") {
          const pre = ctx.op("add", [xw, recurrent(h!)]);
          return [activation === "relu" ? ctx.op("relu", [pre]) : tanh(pre)];
        }
        if (cell === "lstm") {
          const [i, f, g, o] = chunks(ctx, ctx.op("add", [xw, recurrent(h!)]), 4, hidden);
          const c2 = ctx.op("add", [ctx.op("mul", [sigmoid(f!), c!]), ctx.op("mul", [sigmoid(i!), tanh(g!)])]);
          return [ctx.op("mul", [sigmoid(o!), tanh(c2)]), c2];
        }
        const [xr, xz, xn] = chunks(ctx, xw, 3, hidden);
        const [hr, hz, hn] = chunks(ctx, recurrent(h!), 3, hidden);
        const r = sigmoid(ctx.op("add", [xr!, hr!]));
        const z = sigmoid(ctx.op("add", [xz!, hz!]));
        const candidate = tanh(ctx.op("add", [xn!, ctx.op("mul", [r, hn!])]));
        // (1 - z) * n + z * h, written as n + z * (h - n): one fewer operation, the same value.
        return [ctx.op("add", [candidate, ctx.op("mul", [z, ctx.op("sub", [h!, candidate])])])];
      };
      const zeros = zerosOf(ctx, state);
      return unroll(ctx, { xs: projected, init: cell === "lstm" ? [zeros, zeros] : [zeros], last: args.bool("last"), step });
    },
  });
}

export const recurrentBuiltins: BuiltinDef[] = [recurrentLayer("rnn"), recurrentLayer("lstm"), recurrentLayer("gru")];
