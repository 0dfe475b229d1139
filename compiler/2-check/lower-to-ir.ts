// Lowering: appends typed primitive nodes to the IR graph, names parameters, and gives layers a small API.
import type { Span } from "../diagnostics/span.js";
import { ShapeFailure, type InitSpec } from "../ir/builder.js";
import { isShapeError, shapeError, type ShapeError } from "../ir/define-op.js";
import type { OpAttrsArg, OpName } from "../ir/registry.js";
import { Dim, formatType, type DType, type TensorType } from "../ir/types.js";
import { formatShape } from "../ir/dims.js";
import type { BoundArg } from "./signature.js";
import { describeValue, type TensorValue, type Value } from "./values.js";

/** Hands out unique, deterministic path components for parameter names within one block instance or iteration. */
export class NamingScope {
  private readonly used = new Map<string, number>();
  constructor(readonly path: readonly string[]) {}

  claim(base: string): string {
    const n = (this.used.get(base) ?? 0) + 1;
    this.used.set(base, n);
    if (n === 1) return base;
    let candidate = `${base}_${n}`;
    while (this.used.has(candidate)) candidate = `${candidate}_`;
    this.used.set(candidate, 1);
    return candidate;
  }

  child(name: string): NamingScope {
    return new NamingScope([...this.path, name]);
  }

  qualify(...parts: string[]): string {
    return [...this.path, ...parts].join(".");
  }
}

/** Typed access to a call's bound arguments; a wrong kind of value aborts the call with a diagnostic at that argument. */
export class LayerArgs {
  constructor(private readonly callee: string, private readonly bound: ReadonlyMap<string, BoundArg>) {}

  has(name: string): boolean {
    return this.bound.has(name);
  }

  spanOf(name: string): Span | undefined {
    return this.bound.get(name)?.span;
  }

  private get(name: string): BoundArg {
    const arg = this.bound.get(name);
    if (!arg) throw new Error(`internal: ${this.callee} has no argument ${name}`);
    return arg;
  }

  value(name: string): Value {
    return this.get(name).value;
  }

  tensor(name: string): TensorValue {
    const { value } = this.get(name);
    if (value.kind !== "tensor") throw new Error(`internal: ${this.callee}.${name} is not a tensor`);
    return value;
  }

  tensors(name: string): TensorValue[] {
    const { value } = this.get(name);
    if (value.kind !== "list") throw new Error(`internal: ${this.callee}.${name} is not a list`);
    return value.items as TensorValue[];
  }

  dim(name: string): Dim {
    const { value } = this.get(name);
    if (value.kind !== "int") throw new Error(`internal: ${this.callee}.${name} is not an int`);
    return value.dim;
  }

  /** An int that must be known at compile time (a kernel size, an axis). */
  int(name: string): number {
    const arg = this.get(name);
    const v = arg.value.kind === "int" ? arg.value.dim.constValue() : undefined;
    if (v === undefined)
      throw new ShapeFailure(shapeError("notCompileTime", { what: `${this.callee}: \`${name}\``, actual: describeValue(arg.value) }), arg.span);
    return v;
  }

  positiveInt(name: string): number {
    const v = this.int(name);
    if (v < 1) throw new ShapeFailure(shapeError("badValue", { what: `${this.callee}: \`${name}\``, value: String(v), expected: "a positive int" }), this.get(name).span);
    return v;
  }

  /** A positive size that may be symbolic (dense units). */
  size(name: string): Dim {
    const d = this.dim(name);
    const v = d.constValue();
    if (v !== undefined && v < 1) throw new ShapeFailure(shapeError("badValue", { what: `${this.callee}: \`${name}\``, value: String(v), expected: "a positive int" }), this.get(name).span);
    return d;
  }

  ints(name: string): number[] {
    const arg = this.get(name);
    const items: Value[] = arg.value.kind === "list" ? arg.value.items : [arg.value];
    return items.map((item) => {
      const v = item.kind === "int" ? item.dim.constValue() : undefined;
      if (v === undefined) throw new ShapeFailure(shapeError("notCompileTime", { what: `${this.callee}: \`${name}\``, actual: describeValue(item) }), arg.span);
      return v;
    });
  }

  dims(name: string): Dim[] {
    const { value } = this.get(name);
    if (value.kind !== "list") throw new Error(`internal: ${this.callee}.${name} is not a list`);
    return value.items.map((i) => (i.kind === "int" ? i.dim : Dim.const(0)));
  }

  float(name: string): number {
    const { value } = this.get(name);
    if (value.kind === "float") return value.value;
    if (value.kind === "int") return value.dim.constValue() ?? NaN;
    throw new Error(`internal: ${this.callee}.${name} is not a number`);
  }

  bool(name: string): boolean {
    const { value } = this.get(name);
    if (value.kind !== "bool") throw new Error(`internal: ${this.callee}.${name} is not a bool`);
    return value.value;
  }

  choice<T extends string>(name: string, options: readonly T[]): T {
    const arg = this.get(name);
    const value = arg.value.kind === "string" ? arg.value.value : "";
    if (!(options as readonly string[]).includes(value))
      throw new ShapeFailure(shapeError("badValue", { what: `${this.callee}: \`${name}\``, value: JSON.stringify(value), expected: options.map((o) => JSON.stringify(o)).join(" or ") }), arg.span);
    return value as T;
  }
}

/** What a layer's expansion can do: emit primitives, create parameters under its own name, and fail. */
export interface LayerContext {
  readonly callee: string;
  op<N extends OpName>(name: N, inputs: readonly TensorValue[], ...attrs: OpAttrsArg<N>): TensorValue;
  constant(value: number, dtype?: DType): TensorValue;
  /** An f32 scalar holding a (possibly symbolic) dim's value. */
  dimScalar(d: Dim): TensorValue;
  /** A parameter named `<layer>.<suffix>`; several calls of one layer share `<layer>`. */
  param(suffix: string, shape: readonly Dim[], init: InitSpec, dtype?: DType): TensorValue;
  /** The mode the model is lowered in; reading it marks the model as checked in both (see CheckOptions.mode). */
  readonly mode: "train" | "eval";
  /** Non-trainable state named `<layer>.<suffix>` (running statistics), starting at `init`, saved with the model. */
  buffer(suffix: string, shape: readonly Dim[], init: number, dtype?: DType): TensorValue;
  /** The value a training step stores into `buffer`. */
  updateBuffer(buffer: TensorValue, next: TensorValue): void;
  fail(error: ShapeError, span?: Span): never;
  /** Declares that a classification loss compares `scores` (class scores, classes last) with integer `labels`. */
  scores(scores: TensorValue, labels: TensorValue): void;
}
