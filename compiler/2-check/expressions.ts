// Expressions: literals, names, arithmetic on compile-time values and tensors, and calls of layers and blocks.
import type { Arg, Expr, Ident } from "../1-parse/ast.js";
import type { Span } from "../diagnostics/span.js";
import { closest } from "../diagnostics/suggest.js";
import type { Dim } from "../ir/dims.js";
import { callBlock } from "./blocks.js";
import { evalScan } from "./recurrence.js";
import { lowering } from "./lowering.js";
import { evalArgs } from "./arguments.js";
import type { CheckContext } from "./context.js";
import { initializers } from "./initializers.js";
import { LayerArgs } from "./lower-to-ir.js";
import { undefinedName } from "./names.js";
import { isOptimizerCall } from "./optimizer-call.js";
import type { Frame } from "./scope.js";
import { bindArguments, type CallArg } from "./signature.js";
import { builtins } from "./stdlib/index.js";
import { elementwiseBinary, type BuiltinDef } from "./stdlib/define-layer.js";
import { describeValue, intValue, isPoisoned, POISON, type Value } from "./values.js";

export function evalExpr(ctx: CheckContext, expr: Expr, frame: Frame): Value {
  switch (expr.kind) {
    case "error":
      return POISON;
    case "number":
      return expr.isInt && Number.isSafeInteger(expr.value) ? intValue(expr.value) : { kind: "float", value: expr.value };
    case "string":
      return { kind: "string", value: expr.value };
    case "paren":
      return ctx.eval(expr.inner, frame);
    case "list":
      return { kind: "list", items: expr.items.map((i) => ctx.eval(i, frame)) };
    case "name": {
      const v = frame.scope.lookup(expr.name);
      if (v !== undefined) return v;
      if (expr.name === "true" || expr.name === "false") return { kind: "bool", value: expr.name === "true" };
      undefinedName(ctx, { name: expr.name, span: expr.span }, frame.scope, "undefinedName");
      return POISON;
    }
    case "unary": {
      const v = ctx.eval(expr.operand, frame);
      if (isPoisoned(v)) return POISON;
      if (v.kind === "int") return intValue(v.dim.neg());
      if (v.kind === "float") return { kind: "float", value: -v.value };
      if (v.kind === "tensor") return lowering(ctx, "neg", expr.span, frame, (layer) => layer.op("neg", [v]));
      ctx.report("badOperand", expr.span, { op: "-", left: describeValue(v), right: "nothing" });
      return POISON;
    }
    case "binary":
      return evalBinary(ctx, expr, frame);
    case "call":
      return evalCall(ctx, expr.callee, expr.args, undefined, expr.span, frame);
    case "pipe":
      return evalPipeChain(ctx, expr, frame);
  }
}

type Binary = Extract<Expr, { kind: "binary" }>;
type Pipe = Extract<Expr, { kind: "pipe" }>;

/**
 * `x -> f() -> g() -> ...`: each stage's input is the stage before, so a chain nests down its inputs. It is walked
 * with a loop, so a chain of thousands of stages costs no stack (only real nesting, in parentheses, does).
 */
function evalPipeChain(ctx: CheckContext, expr: Pipe, frame: Frame): Value {
  const stages: Pipe[] = [];
  let e: Expr = expr;
  while (e.kind === "pipe") {
    stages.push(e);
    e = e.input;
  }
  let value = ctx.eval(e, frame);
  let span = e.span;
  for (let i = stages.length - 1; i >= 0; i--) {
    const stage = stages[i]!;
    value = evalCallWith(ctx, stage.callee, stage.args, { value, span }, stage.span, frame);
    span = stage.span;
  }
  return value;
}

/** `a + b + c + ...` nests down its left operands; as for pipes, the chain is walked with a loop. */
export function evalBinary(ctx: CheckContext, expr: Binary, frame: Frame): Value {
  const chain: Binary[] = [];
  let e: Expr = expr;
  while (e.kind === "binary") {
    chain.push(e);
    e = e.left;
  }
  let value = ctx.eval(e, frame);
  for (let i = chain.length - 1; i >= 0; i--) {
    const link = chain[i]!;
    value = combine(ctx, link, value, ctx.eval(link.right, frame), frame);
  }
  return value;
}

function combine(ctx: CheckContext, expr: Binary, left: Value, right: Value, frame: Frame): Value {
  if (isPoisoned(left) || isPoisoned(right)) return POISON;
  const bad = () => {
    ctx.report("badOperand", expr.opSpan, { op: expr.op, left: describeValue(left), right: describeValue(right) });
    return POISON;
  };
  if (left.kind === "int" && right.kind === "int") {
    const [a, b] = [left.dim, right.dim];
    const exact = (d: Dim): Value => {
      if (d.isExact()) return intValue(d);
      ctx.report("badValue", expr.span, { what: `\`${expr.op}\` of ${a} and ${b}`, value: "too large to be exact", expected: "an integer below 2^53" });
      return POISON;
    };
    switch (expr.op) {
      case "+":
        return exact(a.add(b));
      case "-":
        return exact(a.sub(b));
      case "*":
        return exact(a.mul(b));
      case "/": {
        if (b.isZero()) {
          ctx.report("inexactDivision", expr.span, { left: a.toString(), right: "0" }, { label: "division by zero" });
          return POISON;
        }
        const exact = a.divExact(b);
        if (exact) return intValue(exact);
        if (a.isConst() && b.isConst()) {
          ctx.report("inexactDivision", expr.span, { left: a.toString(), right: b.toString() }, { hint: "dims must divide exactly" });
          return POISON;
        }
        // Not provably exact for every value of the symbols: kept symbolic, checked when sizes are known.
        return intValue(a.floorDiv(b));
      }
      case "@":
        return bad();
    }
  }
  const isNumber = (v: Value) => v.kind === "float" || (v.kind === "int" && v.dim.isConst());
  if (isNumber(left) && isNumber(right)) {
    const a = left.kind === "float" ? left.value : (left as { dim: Dim }).dim.constValue()!;
    const b = right.kind === "float" ? right.value : (right as { dim: Dim }).dim.constValue()!;
    const ops = { "+": a + b, "-": a - b, "*": a * b, "/": a / b } as const;
    return expr.op === "@" ? bad() : { kind: "float", value: ops[expr.op] };
  }
  const operand = (v: Value) => v.kind === "tensor" || v.kind === "float" || v.kind === "int";
  if (!operand(left) || !operand(right) || (left.kind !== "tensor" && right.kind !== "tensor")) return bad();
  if (expr.op === "@") {
    if (left.kind !== "tensor" || right.kind !== "tensor") return bad();
    return lowering(ctx, "matmul", expr.span, frame, (layer) => layer.op("matmul", [left, right]));
  }
  const prim = ({ "+": "add", "-": "sub", "*": "mul", "/": "div" } as const)[expr.op];
  return lowering(ctx, prim, expr.span, frame, (layer) => elementwiseBinary(layer, prim, left, right));
}

export function evalCall(ctx: CheckContext, callee: Ident, argExprs: readonly Arg[], piped: Expr | undefined, span: Span, frame: Frame): Value {
  return evalCallWith(ctx, callee, argExprs, piped ? { value: ctx.eval(piped, frame), span: piped.span } : undefined, span, frame);
}

/** A call whose piped input (`input -> callee(...)`), if any, is already evaluated. */
function evalCallWith(ctx: CheckContext, callee: Ident, argExprs: readonly Arg[], piped: CallArg | undefined, span: Span, frame: Frame): Value {
  if (callee.name === "scan" && !ctx.blocks.has("scan")) return evalScan(ctx, argExprs, piped, span, frame);
  const args: CallArg[] = [];
  if (piped) args.push(piped);
  args.push(...(evalArgs(ctx, argExprs, frame) ?? []));
  const block = ctx.blocks.get(callee.name);
  if (block) return callBlock(ctx, block, args, span, frame);
  const builtin = builtins.get(callee.name);
  if (builtin) return callBuiltin(ctx, builtin, args, span, frame);
  const known = [...builtins.keys(), "scan", ...ctx.blocks.keys()];
  const hint = initializers.has(callee.name)
    ? `\`${callee.name}\` is an initializer: use it in a param declaration, \`param w: f32[...] = ${callee.name}()\``
    : isOptimizerCall(callee.name)
      ? `\`${callee.name}\` is an optimizer: use it in \`train LOSS with ${callee.name}(...)\``
      : closest(callee.name, known);
  ctx.report("unknownFunction", callee.span, { name: callee.name }, hint ? { hint: hint.includes(" ") ? hint : `did you mean \`${hint}\`?` } : {});
  return POISON;
}

export function callBuiltin(ctx: CheckContext, def: BuiltinDef, args: CallArg[], span: Span, frame: Frame): Value {
  const bound = bindArguments(def.name, def.params, args, span, ctx.bag);
  if (!bound) return POISON;
  return lowering(ctx, def.name, span, frame, (layer) => def.apply(layer, new LayerArgs(def.name, bound)));
}
