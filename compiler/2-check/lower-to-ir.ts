// Lowering: appends typed primitive nodes to the IR graph, names parameters, and gives layers a small API.
import type { Span } from "../diagnostics/span.js";
import { isShapeError, shapeError, type Attrs, type ShapeError } from "../ir/define-op.js";
import { emptyGraph, type Graph } from "../ir/graph.js";
import { getOp } from "../ir/registry.js";
import { Dim, formatType, type DType, type TensorType } from "../ir/types.js";
import { formatShape } from "../ir/dims.js";
import type { BoundArg } from "./signature.js";
import { describeValue, type TensorValue, type Value } from "./values.js";

/** Thrown by lowering helpers and layers to abort one call with one diagnostic; the checker catches it. */
export class ShapeFailure extends Error {
  constructor(readonly error: ShapeError, readonly span?: Span) {
    super(error.key);
  }
}

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

export interface InitSpec {
  name: string;
  args: readonly number[];
}

export class IRBuilder {
  /** Appends to `graph` (a fresh one by default); later phases extend a copy of the forward graph. */
  constructor(readonly graph: Graph = emptyGraph()) {}

  op(name: string, inputs: readonly TensorValue[], attrs: Attrs = {}, span?: Span, label?: string): TensorValue {
    const type = getOp(name).shape(inputs.map((i) => i.type), attrs);
    if (isShapeError(type)) throw new ShapeFailure(type);
    for (const d of type.shape) {
      const v = d.constValue();
      if (v !== undefined && v <= 0) throw new ShapeFailure(shapeError("negativeDim", { dim: d.toString() }, `${name} would produce ${formatType(type)}`));
      // Products of large dims (flatten, reshape) can pass 2^53, where numbers stop being exact integers.
      if (!d.isExact()) throw new ShapeFailure(shapeError("badValue", { what: `${name}: a dim of the result`, value: "too large to be exact", expected: "an integer below 2^53" }));
    }
    const id = this.graph.nodes.length;
    const node = { id, op: name, inputs: inputs.map((i) => i.node), attrs, type, ...(span ? { span } : {}), ...(label ? { label } : {}) };
    this.graph.nodes.push(node);
    return { kind: "tensor", type, node: id };
  }

  input(name: string, type: TensorType, span: Span): TensorValue {
    const v = this.op("input", [], { name, dtype: type.dtype, shape: type.shape }, span, name);
    this.graph.inputs.push({ name, node: v.node, type });
    return v;
  }

  param(name: string, type: TensorType, init: InitSpec, span: Span): TensorValue {
    if (type.shape.some((d) => !d.isConst()))
      throw new ShapeFailure(shapeError("symbolicParam", { param: name, shape: formatShape(type.shape) }, undefined,
        "give the dims of the inputs this parameter depends on as numbers or hyperparameters"));
    const v = this.op("param", [], { name, dtype: type.dtype, shape: type.shape, init: init.name, initArgs: init.args }, span, name);
    this.graph.params.push({ name, node: v.node, type, init: init.name, initArgs: init.args });
    return v;
  }

  /** Names a node after the binding that holds it, unless it already has a name (an input, or an earlier binding). */
  labelNode(id: number, label: string): void {
    const node = this.graph.nodes[id];
    if (node && node.label === undefined) node.label = label;
  }

  constant(value: number, dtype: DType = "f32"): TensorValue {
    return this.op("constant", [], { value, dtype });
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
  op(name: string, inputs: readonly TensorValue[], attrs?: Attrs): TensorValue;
  constant(value: number, dtype?: DType): TensorValue;
  /** An f32 scalar holding a (possibly symbolic) dim's value. */
  dimScalar(d: Dim): TensorValue;
  /** A parameter named `<layer>.<suffix>`; several calls of one layer share `<layer>`. */
  param(suffix: string, shape: readonly Dim[], init: InitSpec, dtype?: DType): TensorValue;
  fail(error: ShapeError, span?: Span): never;
}
