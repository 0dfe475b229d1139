// An optimizer's whole declaration: its arguments (defaults and valid ranges, which the checker enforces), the state
// it keeps per parameter (named as PyTorch names it, so checkpoints read the same in both), and its update written
// as IR (which the training step builds into the graph). The learning-rate schedule and the step counter are shared
// by every optimizer and built by the training step, not here.
import type { IRBuilder } from "../ir/builder.js";
import type { TensorValue } from "../ir/value.js";

/** The step counter's state name; it counts completed steps (0 before the first), as PyTorch's `state["step"]`. */
export const STEP_STATE = "optimizer.step";

/** The name a parameter's state slot is saved and bound under, e.g. `hidden.weight.exp_avg`. */
export function stateName(param: string, slot: string): string {
  return `${param}.${slot}`;
}

/** An interval of valid argument values; an absent bound is unbounded. */
export interface ArgRange {
  min: number;
  minIncluded: boolean;
  max?: number;
  maxIncluded?: boolean;
}

export const positive: ArgRange = { min: 0, minIncluded: false };
export const nonNegative: ArgRange = { min: 0, minIncluded: true };
/** [0, 1): a decay rate such as Adam's betas (at 1 the moments never move and the bias correction divides by 0). */
export const unitInterval: ArgRange = { min: 0, minIncluded: true, max: 1, maxIncluded: false };

export function inRange(value: number, range: ArgRange): boolean {
  if (!Number.isFinite(value)) return false; // `lr: 1e400` is Infinity, and every update with it NaN
  const aboveMin = range.minIncluded ? value >= range.min : value > range.min;
  if (!aboveMin) return false;
  if (range.max === undefined) return true;
  return range.maxIncluded ? value <= range.max : value < range.max;
}

/** The range as the checker's `badValue` message names it ("expected ..."). */
export function describeRange(range: ArgRange): string {
  if (range.max === undefined) {
    if (range.min === 0) return range.minIncluded ? "a non-negative number" : "a positive number";
    return `a number ${range.minIncluded ? "at least" : "above"} ${range.min}`;
  }
  return `a number in ${range.minIncluded ? "[" : "("}${range.min}, ${range.max}${range.maxIncluded ? "]" : ")"}`;
}

export interface OptimizerArg {
  /** Absent: the argument is required. */
  default?: number;
  range: ArgRange;
}

/** The arguments of the shared learning-rate schedule, which every optimizer takes. */
export type ScheduleArg = "lr" | "lr_decay";

/**
 * `lr_decay` multiplies the rate once per step (PyTorch's ExponentialLR with gamma = lr_decay, stepped after every
 * optimizer step): above 1 the rate would grow without bound, at 0 training would stop.
 */
export const lrDecay: OptimizerArg = { default: 1, range: { min: 0, minIncluded: false, max: 1, maxIncluded: true } };

/** Arithmetic on IR values, so an update reads as its formula. */
export interface IRMath {
  c(value: number): TensorValue;
  add(x: TensorValue, y: TensorValue): TensorValue;
  sub(x: TensorValue, y: TensorValue): TensorValue;
  mul(x: TensorValue, y: TensorValue): TensorValue;
  div(x: TensorValue, y: TensorValue): TensorValue;
  pow(x: TensorValue, y: TensorValue): TensorValue;
  sqrt(x: TensorValue): TensorValue;
  square(x: TensorValue): TensorValue;
}

export function irMath(b: IRBuilder): IRMath {
  return {
    c: (value) => b.constant(value),
    add: (x, y) => b.op("add", [x, y]),
    sub: (x, y) => b.op("sub", [x, y]),
    mul: (x, y) => b.op("mul", [x, y]),
    div: (x, y) => b.op("div", [x, y]),
    pow: (x, y) => b.op("pow", [x, y]),
    sqrt: (x) => b.op("sqrt", [x]),
    square: (x) => b.op("square", [x]),
  };
}

/** What an update sees once per step, before any parameter. */
export interface StepContext<A extends string> {
  math: IRMath;
  args: Readonly<Record<A | ScheduleArg, number>>;
  /** The step being taken, counting from 1 (PyTorch's `state["step"]` after its increment). */
  t: TensorValue;
  /** This step's learning rate, after the schedule. */
  lr: TensorValue;
  /** The learning rate when the schedule keeps it fixed, so an update may fold products with it into constants. */
  fixedLr: number | undefined;
}

/** What an update sees for one parameter. */
export interface ParamContext<A extends string, S extends string> extends StepContext<A> {
  param: TensorValue;
  grad: TensorValue;
  /** The slots this step keeps (see `slotsKept`), as they were before the step. */
  state: Readonly<Partial<Record<S, TensorValue>>>;
}

export interface ParamUpdate<S extends string> {
  param: TensorValue;
  /** The new value of every slot the step keeps, and of no other. */
  state: Readonly<Partial<Record<S, TensorValue>>>;
}

/**
 * A: the names of the optimizer's arguments; S: its state slots; P: what it computes once per step and shares across
 * parameters.
 */
export interface OptimizerDefinition<A extends string = string, S extends string = string, P = unknown> {
  name: string;
  /** In the order they bind positionally. Every optimizer takes `lr` and `lr_decay`; `lr_decay` is {@link lrDecay}. */
  args: Readonly<Record<A | ScheduleArg, OptimizerArg>>;
  /** Each parameter's state slots, by their PyTorch names; every slot starts at zero, as PyTorch's zeros_like. */
  slots: readonly S[];
  /** The slots a step with these arguments keeps, when not all of them (SGD without momentum keeps none). */
  slotsKept?(args: Readonly<Record<A | ScheduleArg, number>>): readonly S[];
  /** Values that depend only on the step (e.g. bias corrections), built once rather than per parameter. */
  perStep?(ctx: StepContext<A>): P;
  /** One parameter's update. */
  update(ctx: ParamContext<A, S>, perStep: P): ParamUpdate<S>;
}

export function defineOptimizer<A extends string, S extends string, P = undefined>(def: OptimizerDefinition<A, S, P>): OptimizerDefinition<A, S, P> {
  return def;
}
