// Declared types: dtypes, tensor types and their dims, and matching a declared type against an actual one.
import type { Expr, Ident, TypeExpr } from "../1-parse/ast.js";
import type { Span } from "../diagnostics/span.js";
import { closest } from "../diagnostics/suggest.js";
import { Dim } from "../ir/dims.js";
import { DTYPES, formatType, type DType, type TensorType } from "../ir/types.js";
import type { CheckContext } from "./context.js";
import { constantFrame, Scope } from "./scope.js";
import { describeValue, intValue, isPoisoned, type TensorValue } from "./values.js";

/** Other frameworks' names for the dtypes (NumPy, PyTorch), for the hint on an unknown dtype. */
const DTYPE_ALIASES: Readonly<Record<string, DType>> = {
  float: "f32", float32: "f32", single: "f32", float16: "f16", half: "f16", int: "i32", int32: "i32", long: "i32", int64: "i32",
};

export type UnifyResult = { ok: true } | { ok: false; declared: string; detail: string };

export function resolveDtype(ctx: CheckContext, id: Ident): DType | undefined {
  if ((DTYPES as readonly string[]).includes(id.name)) return id.name as DType;
  const alias = id.name.toLowerCase();
  const hint = (Object.hasOwn(DTYPE_ALIASES, alias) ? DTYPE_ALIASES[alias] : undefined) ?? closest(id.name, DTYPES);
  ctx.report("unknownDtype", id.span, { name: id.name }, hint ? { hint: `did you mean \`${hint}\`?` } : {});
  return undefined;
}

/**
 * Evaluates a declared tensor type. `bind`: unknown dim names become new symbolic dims (inputs);
 * `refuse`: they are undefined-name errors (params).
 */
export function evalTensorType(ctx: CheckContext, type: TypeExpr, scope: Scope, unknown: "bind" | "refuse"): TensorType | undefined {
  if (type.kind !== "tensor") {
    ctx.report("unknownType", type.span, { name: type.name.name }, { hint: "a tensor type looks like f32[N, 784]" });
    return undefined;
  }
  const dtype = resolveDtype(ctx, type.dtype);
  const shape: Dim[] = [];
  let ok = dtype !== undefined;
  for (const d of type.dims) {
    if (unknown === "bind") for (const n of freeNames(d)) if (!scope.has(n)) scope.set(n, intValue(Dim.sym(n)));
    const dim = evalDim(ctx, d, scope);
    if (!dim) ok = false;
    else if ((dim.constValue() ?? 1) <= 0) {
      ctx.report("negativeDim", d.span, { dim: dim.toString() });
      ok = false;
    } else shape.push(dim);
  }
  return ok ? { dtype: dtype!, shape } : undefined;
}

export function evalDim(ctx: CheckContext, expr: Expr, scope: Scope): Dim | undefined {
  const v = ctx.eval(expr, constantFrame(scope));
  if (isPoisoned(v)) return undefined;
  if (v.kind === "int") return v.dim;
  ctx.report("notCompileTime", expr.span, { what: "a dim", actual: describeValue(v) });
  return undefined;
}

/**
 * Matches a declared type (a block signature, an annotation, a return type) against an actual one. Dim names not yet
 * bound are bound to the actual dims (`B`, `T`, `D` in a block signature); `4*D` is solved for D when D is unbound.
 */
export function unify(ctx: CheckContext, type: TypeExpr, actual: TensorType, scope: Scope): UnifyResult | undefined {
  if (type.kind !== "tensor") {
    ctx.report("unknownType", type.span, { name: type.name.name }, { hint: "a tensor type looks like f32[N, 784]" });
    return undefined;
  }
  const dtype = resolveDtype(ctx, type.dtype);
  if (!dtype) return undefined;
  const declaredText = () => `${dtype}[${type.dims.map((d) => exprText(d, scope)).join(", ")}]`;
  if (type.dims.length !== actual.shape.length) return { ok: false, declared: declaredText(), detail: `rank ${type.dims.length} vs ${actual.shape.length}` };
  type.dims.forEach((d, i) => {
    if (d.kind === "name" && !scope.has(d.name)) scope.set(d.name, intValue(actual.shape[i]!));
  });
  type.dims.forEach((d, i) => {
    const free = freeNames(d).filter((n) => !scope.has(n));
    if (free.length !== 1) return;
    const probe = new Scope(scope);
    probe.set(free[0]!, intValue(Dim.sym(`?${free[0]}`)));
    const shape = evalDimQuiet(ctx, d, probe);
    const linear = shape?.linearIn(`?${free[0]}`);
    const solved = linear ? actual.shape[i]!.sub(linear.rest).divExact(Dim.const(linear.coef)) : undefined;
    if (solved) scope.set(free[0]!, intValue(solved));
  });
  const mismatches: string[] = [];
  type.dims.forEach((d, i) => {
    const unbound = freeNames(d).filter((n) => !scope.has(n));
    if (unbound.length > 0) {
      mismatches.push(`dim ${i}: cannot solve ${exprText(d, scope)} = ${actual.shape[i]}`);
      return;
    }
    const dim = evalDimQuiet(ctx, d, scope);
    if (dim && !dim.equals(actual.shape[i]!)) {
      // `D = 64 vs 256` says where the 64 came from when the declaration names it.
      const text = exprText(d, scope);
      mismatches.push(`dim ${i}: ${text === dim.toString() ? text : `${text} = ${dim}`} vs ${actual.shape[i]}`);
    }
  });
  if (dtype !== actual.dtype) mismatches.unshift(`dtype ${dtype} vs ${actual.dtype}`);
  return mismatches.length ? { ok: false, declared: declaredText(), detail: mismatches.join(", ") } : { ok: true };
}

export function evalDimQuiet(ctx: CheckContext, expr: Expr, scope: Scope): Dim | undefined {
  const count = ctx.bag.items.length;
  const dim = evalDim(ctx, expr, scope);
  ctx.bag.items.length = count;
  return dim;
}

export function checkAnnotation(ctx: CheckContext, name: Ident, type: TypeExpr, value: TensorValue, valueSpan: Span, scope: Scope): void {
  const result = unify(ctx, type, value.type, scope);
  if (result && !result.ok)
    ctx.report("annotationMismatch", valueSpan, { name: name.name, declared: result.declared, actual: formatType(value.type) },
      { label: result.detail, secondary: [{ span: type.span, label: "declared here" }] });
}

// ---- expressions ----

export function freeNames(e: Expr): string[] {
  switch (e.kind) {
    case "name":
      return e.name === "true" || e.name === "false" ? [] : [e.name];
    case "binary":
      return [...freeNames(e.left), ...freeNames(e.right)];
    case "unary":
      return freeNames(e.operand);
    case "paren":
      return freeNames(e.inner);
    default:
      return [];
  }
}

/** A dim expression as written, with names bound to concrete values left as names (readable in messages). */
export function exprText(e: Expr, scope: Scope): string {
  switch (e.kind) {
    case "number":
      return e.text;
    case "name":
      return e.name;
    case "binary":
      return `${exprText(e.left, scope)} ${e.op} ${exprText(e.right, scope)}`;
    case "unary":
      return `-${exprText(e.operand, scope)}`;
    case "paren":
      return `(${exprText(e.inner, scope)})`;
    default:
      return "?";
  }
}

export function formatTypeExpr(t: TypeExpr): string {
  return t.kind === "scalar" ? t.name.name : `${t.dtype.name}[${t.dims.map((d) => exprText(d, new Scope())).join(", ")}]`;
}

