// Calls of user blocks: arguments bound and unified with the signature, the body run in its own scope, the result
// checked against the declared return type.
import type { BlockDecl } from "../1-parse/ast.js";
import type { Span } from "../diagnostics/span.js";
import { formatType } from "../ir/types.js";
import type { CheckContext } from "./context.js";
import { coerce, scalarKind } from "./hyperparameters.js";
import type { NamingScope } from "./lower-to-ir.js";
import { constantFrame, Scope, type Frame } from "./scope.js";
import { bindArguments, type CallArg, type ParamSpec } from "./signature.js";
import { formatTypeExpr, unify } from "./type-exprs.js";
import { describeValue, isPoisoned, POISON, type Value } from "./values.js";

/** Calls a block; `naming` (a recurrence's step) replaces the scope its parameters would be named in. */
export function callBlock(ctx: CheckContext, block: BlockDecl, args: CallArg[], span: Span, frame: Frame, naming?: NamingScope): Value {
  if (ctx.recursive.has(block.name.name)) return POISON;
  const name = block.name.name;
  const specs: ParamSpec[] = [];
  for (const p of block.params) {
    const kind = p.type.kind === "tensor" ? "tensor" : scalarKind(ctx, p.type);
    if (!kind) return POISON;
    const spec: ParamSpec = { name: p.name.name, kind };
    if (p.default) {
      const v = ctx.eval(p.default, constantFrame(new Scope()));
      const coerced = kind === "tensor" ? undefined : coerce(ctx, v, kind, p.default.span, `default of \`${p.name.name}\``);
      if (!coerced) return POISON;
      spec.default = coerced;
    }
    specs.push(spec);
  }
  const bound = bindArguments(name, specs, args, span, ctx.bag);
  if (!bound) return POISON;
  const scope = new Scope();
  let ok = true;
  for (const p of block.params) {
    const arg = bound.get(p.name.name)!;
    let value = arg.value;
    if (value.kind === "tensor") {
      const result = unify(ctx, p.type, value.type, scope);
      if (!result) return POISON;
      if (!result.ok) {
        ctx.report("argumentShape", arg.span, { callee: name, param: p.name.name, declared: result.declared, actual: formatType(value.type), detail: result.detail },
          { secondary: [{ span: p.type.span, label: "declared here" }] });
        ok = false;
      }
    } else if (value.kind === "int" && p.type.kind === "scalar" && p.type.name.name === "float") value = { kind: "float", value: value.dim.constValue()! };
    scope.set(p.name.name, value);
  }
  if (!ok) return POISON;
  ctx.calls.push({ block: name, span });
  try {
    return runBlockBody(ctx, block, scope, naming ?? frame.naming.child(frame.naming.claim(frame.bindingName || name)));
  } finally {
    ctx.calls.pop();
  }
}

function runBlockBody(ctx: CheckContext, block: BlockDecl, scope: Scope, naming: NamingScope): Value {
  const name = block.name.name;
  const result = ctx.execBody(block.body, { scope, naming, bindingName: "", block, recordBindings: false, inRepeat: false });
  if (result === undefined && ctx.stopped) return POISON; // a size limit cut the body short, not the author
  if (result === undefined) {
    ctx.report("missingReturn", block.name.span, { block: name });
    return POISON;
  }
  if (isPoisoned(result)) return POISON;
  if (block.returns) {
    if (result.kind !== "tensor") {
      ctx.report("returnMismatch", returnSpan(block), { block: name, declared: formatTypeExpr(block.returns), actual: describeValue(result) });
      return POISON;
    }
    const check = unify(ctx, block.returns, result.type, scope);
    if (check && !check.ok) {
      ctx.report("returnMismatch", returnSpan(block), { block: name, declared: check.declared, actual: formatType(result.type) },
        { label: check.detail, secondary: [{ span: block.returns.span, label: "declared here" }] });
      return POISON;
    }
  }
  return result;
}

export function returnSpan(block: BlockDecl): Span {
  const ret = block.body.find((s) => s.kind === "return");
  return ret && ret.kind === "return" ? ret.value.span : block.name.span;
}
