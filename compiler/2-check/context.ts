// The state one check shares between its jobs (declarations, hyperparameters, statements, expressions, types, calls),
// passed explicitly to each of them.
import type { BlockDecl, Expr, ModelDecl, Program, Stmt } from "../1-parse/ast.js";
import type { DiagnosticBag, DiagnosticExtras } from "../diagnostics/diagnostic.js";
import type { MessageKey, MessageParams } from "../diagnostics/messages.js";
import type { Span } from "../diagnostics/span.js";
import type { ShapeError } from "../ir/define-op.js";
import type { Dim } from "../ir/dims.js";
import type { NodeId } from "../ir/graph.js";
import type { TensorType } from "../ir/types.js";
import { IRBuilder, type InitSpec } from "../ir/builder.js";
import type { Frame } from "./scope.js";
import type { TensorValue, Value } from "./values.js";

export interface BindingInfo {
  name: string;
  /** The binding's value: a tensor type, or a description of a compile-time value. */
  type: TensorType | undefined;
  description: string;
  span: Span;
  /** Set when the binding sits in a repeat body: the type shown is the last iteration's. */
  repeated: boolean;
}

/**
 * Statements evaluate expressions and block calls evaluate statements: the two entry points are given to the context
 * by the checker that owns both, so the jobs that need them do not import each other in a circle.
 */
export interface Evaluator {
  eval(expr: Expr, frame: Frame): Value;
  /** Runs statements in order; returns a block's return value. */
  execBody(stmts: readonly Stmt[], frame: Frame): Value | undefined;
}

/** 2^31 - 1 parameter elements in all: more than a WGSL index or a typed array on every platform can address. */
export const MAX_PARAMETER_ELEMENTS = 2_147_483_647;

/** The most diagnostics the checker reports for one file (as a compiler's error limit, e.g. clang's). */
export const MAX_DIAGNOSTICS = 100;

export class CheckContext {
  readonly builder = new IRBuilder();
  readonly blocks = new Map<string, BlockDecl>();
  readonly models = new Map<string, ModelDecl>();
  readonly recursive = new Set<string>();
  readonly bindings = new Map<number, BindingInfo>();
  private readonly reported = new Set<string>();
  /** The block calls being evaluated, innermost last: a mistake inside a block body also points at the call. */
  readonly calls: { block: string; span: Span }[] = [];
  trained = false;
  /** How many times the statement being run is unrolled by the repeats around it (block calls included). */
  unrollFactor = 1;
  /** Statements run so far, counting each unrolled copy. */
  statementsRun = 0;
  /** Parameter elements declared so far. */
  paramElements = 0;
  /** Set when a size limit stopped the checker: no further statement runs. */
  stopped = false;
  /**
   * While the step of a recurrence runs, its parameters by name: every step after the first finds them here instead
   * of declaring new ones, so the recurrence has one set of weights whatever its length.
   */
  sharedParams: Map<string, TensorValue> | undefined;
  /** Class scores and labels that a classification loss compared, in call order (see `classifierOf`). */
  readonly scored: { scores: NodeId; labels: NodeId }[] = [];

  /** Set when a layer lowered differently in training and evaluation (batch_norm): the model is checked in both. */
  modeDependent = false;

  constructor(readonly program: Program, readonly bag: DiagnosticBag, readonly mode: "train" | "eval", private readonly evaluator: Evaluator) {}

  eval(expr: Expr, frame: Frame): Value {
    return this.evaluator.eval(expr, frame);
  }

  execBody(stmts: readonly Stmt[], frame: Frame): Value | undefined {
    return this.evaluator.execBody(stmts, frame);
  }

  report<K extends MessageKey>(key: K, span: Span, params: MessageParams<K>, extras: DiagnosticExtras = {}): void {
    // A block called N times, or a repeat body run N times, must not report its one mistake N times.
    const dedupeKey = `${key}:${span.start}:${span.end}`;
    if (this.reported.has(dedupeKey)) return;
    // Past this many, more diagnostics are the same mistake repeated (a misspelled name used 20,000 times).
    if (this.reported.size >= MAX_DIAGNOSTICS) return;
    this.reported.add(dedupeKey);
    const call = this.calls[this.calls.length - 1];
    if (call) extras = { ...extras, secondary: [...(extras.secondary ?? []), { span: call.span, label: `in this call of \`${call.block}\`` }] };
    this.bag.report(key, span, params, extras);
  }

  /**
   * Counts a new parameter's elements towards the model's total; past MAX_PARAMETER_ELEMENTS it is reported at
   * `span` and checking stops (host memory, typed arrays and WGSL indices all end near there).
   */
  countParameter(name: string, shape: readonly Dim[], span: Span): void {
    // A float product: the dims are constants (the builder refuses symbolic ones), and their product may pass 2^53.
    this.paramElements += shape.reduce((n, d) => n * (d.constValue() ?? 0), 1);
    if (this.paramElements > MAX_PARAMETER_ELEMENTS && !this.stopped) {
      this.report("paramsTooLarge", span, { name, count: this.paramElements.toLocaleString("en-US"), limit: MAX_PARAMETER_ELEMENTS.toLocaleString("en-US") });
      this.stopped = true;
    }
  }

  /** Declares a parameter (counted towards the model's total), or finds the one a recurrence's step already has. */
  declareParam(name: string, type: TensorType, init: InitSpec, span: Span): TensorValue {
    const shared = this.sharedParams?.get(name);
    if (shared) return shared;
    const value = this.builder.param(name, type, init, span);
    this.countParameter(name, type.shape, span);
    this.sharedParams?.set(name, value);
    return value;
  }

  reportShapeError(e: ShapeError, span: Span): void {
    const extras: DiagnosticExtras = {};
    if (e.label !== undefined) extras.label = e.label;
    if (e.hint !== undefined) extras.hint = e.hint;
    this.report(e.key, span, e.params as MessageParams<typeof e.key>, extras);
  }
}
