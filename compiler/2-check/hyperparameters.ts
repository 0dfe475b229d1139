// A model's hyperparameters (declared defaults and `--set` overrides) and the scalar kinds that hyperparameters and
// block parameters are declared with.
import type { ModelDecl, TypeExpr } from "../1-parse/ast.js";
import type { Span } from "../diagnostics/span.js";
import { closest } from "../diagnostics/suggest.js";
import type { CheckContext } from "./context.js";
import { constantFrame, type Scope } from "./scope.js";
import type { ParamKind } from "./signature.js";
import { formatTypeExpr } from "./type-exprs.js";
import { describeValue, intValue, isPoisoned, POISON, scalarText, type Value } from "./values.js";

export function bindHyperparameters(ctx: CheckContext, model: ModelDecl, scope: Scope, overrides: Readonly<Record<string, string>>): { name: string; value: string }[] {
  const out: { name: string; value: string }[] = [];
  const declared = new Set(model.params.map((p) => p.name.name));
  for (const key of Object.keys(overrides)) {
    if (!declared.has(key)) {
      const hint = closest(key, declared);
      ctx.report("badOverride", model.name.span, { text: `${key}=${overrides[key]}`, reason: `model \`${model.name.name}\` has no hyperparameter \`${key}\`` },
        { hint: hint ? `did you mean \`${hint}\`?` : `hyperparameters: ${[...declared].join(", ") || "none"}` });
    }
  }
  for (const p of model.params) {
    const kind = scalarKind(ctx, p.type);
    if (!kind) {
      scope.set(p.name.name, POISON);
      continue;
    }
    let value: Value | undefined;
    const raw = Object.hasOwn(overrides, p.name.name) ? overrides[p.name.name] : undefined;
    if (raw !== undefined) {
      value = parseOverride(raw, kind);
      if (!value) ctx.report("badOverride", p.name.span, { text: `${p.name.name}=${raw}`, reason: `\`${p.name.name}\` is ${kind === "int" ? "an int" : `a ${kind}`}` });
    } else if (p.default) {
      value = coerce(ctx, ctx.eval(p.default, constantFrame(scope)), kind, p.default.span, `default of \`${p.name.name}\``);
    } else {
      ctx.report("missingArgument", p.name.span, { callee: `model ${model.name.name}`, param: p.name.name }, { hint: `give it a default or pass --set ${p.name.name}=VALUE` });
    }
    scope.set(p.name.name, value ?? POISON);
    if (value) out.push({ name: p.name.name, value: scalarText(value) });
  }
  return out;
}

/** The kind of a scalar (non-tensor) parameter type, reporting tensor or unknown types. */
export function scalarKind(ctx: CheckContext, type: TypeExpr): ParamKind | undefined {
  if (type.kind === "tensor") {
    ctx.report("unknownType", type.span, { name: formatTypeExpr(type) }, { hint: "hyperparameters are int, float, bool or string" });
    return undefined;
  }
  const kinds: Record<string, ParamKind> = { int: "int", float: "float", bool: "bool", string: "string" };
  const kind = Object.hasOwn(kinds, type.name.name) ? kinds[type.name.name] : undefined;
  if (!kind) ctx.report("unknownType", type.name.span, { name: type.name.name });
  return kind;
}

/** Checks a scalar value against a declared kind; ints widen to floats. */
export function coerce(ctx: CheckContext, v: Value, kind: ParamKind, span: Span, what: string): Value | undefined {
  if (isPoisoned(v)) return undefined;
  if (kind === "float" && v.kind === "int" && v.dim.isConst()) return { kind: "float", value: v.dim.constValue()! };
  if (v.kind === kind) return v;
  ctx.report("argumentKind", span, { callee: "model", param: what, expected: kind === "int" ? "an int" : `a ${kind}`, actual: describeValue(v) });
  return undefined;
}

function parseOverride(raw: string, kind: ParamKind): Value | undefined {
  const text = raw.trim();
  switch (kind) {
    case "int":
      return /^-?\d+$/.test(text) && Number.isSafeInteger(Number(text)) ? intValue(Number(text)) : undefined;
    case "float":
      return text !== "" && Number.isFinite(Number(text)) ? { kind: "float", value: Number(text) } : undefined;
    case "bool":
      return text === "true" || text === "false" ? { kind: "bool", value: text === "true" } : undefined;
    case "string":
      return { kind: "string", value: raw };
    default:
      return undefined;
  }
}
