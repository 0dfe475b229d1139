// Statements: inputs, params, bindings, outputs, returns, repeats and the training statement.
import type { Expr, Ident, Stmt } from "../1-parse/ast.js";
import type { Span } from "../diagnostics/span.js";
import { closest } from "../diagnostics/suggest.js";
import { ShapeFailure, type InitSpec } from "../ir/builder.js";
import { formatType, type TensorType } from "../ir/types.js";
import { evalArgs } from "./arguments.js";
import type { CheckContext } from "./context.js";
import { initializers } from "./initializers.js";
import { LayerArgs } from "./lower-to-ir.js";
import { checkOptimizer } from "./optimizer-call.js";
import type { Frame } from "./scope.js";
import { bindArguments } from "./signature.js";
import { checkAnnotation, evalTensorType } from "./type-exprs.js";
import { describeValue, intValue, isPoisoned, POISON, scalarText, type Value } from "./values.js";
import { undefinedName } from "./names.js";

/** Repeat counts beyond this are almost certainly a typo and would only exhaust memory. */
const MAX_REPEAT = 100_000;

/**
 * Limits on what a model expands to, checked before expanding: nested repeats multiply (three nested `repeat 1000`
 * would be a billion statements), so each loop's limit alone does not bound the whole. A model past them would take
 * minutes and gigabytes to check and could never run. They are far above any real model (a 96-layer transformer is a
 * few thousand statements) and give a located diagnostic instead of a hang.
 */
export const MAX_UNROLLED_STATEMENTS = 250_000;
export const MAX_GRAPH_NODES = 1_000_000;

const formatCount = (n: number) => (n >= 1e15 ? n.toExponential(2) : Math.round(n).toLocaleString("en-US"));

/** Statements written in a body, nested bodies included (each counted once: their own repeats multiply when run). */
function writtenStatements(stmts: readonly Stmt[]): number {
  let n = 0;
  for (const s of stmts) n += 1 + (s.kind === "repeat" ? writtenStatements(s.body) : 0);
  return n;
}

/** Runs statements in order; returns a block's return value. */
export function execBody(ctx: CheckContext, stmts: readonly Stmt[], frame: Frame): Value | undefined {
  let returned: Value | undefined;
  for (const stmt of stmts) {
    if (ctx.stopped) break;
    if (++ctx.statementsRun > MAX_UNROLLED_STATEMENTS) {
      ctx.report("unrollTooLarge", stmt.span, { count: formatCount(ctx.statementsRun), limit: formatCount(MAX_UNROLLED_STATEMENTS) });
      ctx.stopped = true;
      break;
    }
    const nodes = ctx.builder.graph.nodes.length;
    if (nodes > MAX_GRAPH_NODES) {
      ctx.report("graphTooLarge", stmt.span, { count: formatCount(nodes), limit: formatCount(MAX_GRAPH_NODES) });
      ctx.stopped = true;
      break;
    }
    if (returned !== undefined) {
      ctx.report("statementNotAllowed", stmt.span, { what: "a statement", where: "after `return`" });
      break;
    }
    returned = exec(ctx, stmt, frame);
  }
  return returned;
}

export function exec(ctx: CheckContext, stmt: Stmt, frame: Frame): Value | undefined {
  switch (stmt.kind) {
    case "error":
      return undefined;
    case "input":
      execInput(ctx, stmt, frame);
      return undefined;
    case "output":
      if (frame.block) return notAllowed(ctx, stmt.span, "`output`", "in a block (a block returns its result)");
      for (const name of stmt.names) {
        if (ctx.builder.graph.outputs.some((o) => o.name === name.name)) {
          ctx.report("duplicateDefinition", name.span, { kind: "output", name: name.name });
          continue;
        }
        const v = frame.scope.lookup(name.name);
        if (v === undefined) undefinedName(ctx, name, frame.scope, "outputUndefined");
        else if (v.kind === "tensor") ctx.builder.graph.outputs.push({ name: name.name, node: v.node, type: v.type });
        else if (!isPoisoned(v)) ctx.report("notATensor", name.span, { what: `output \`${name.name}\``, actual: describeValue(v) });
      }
      return undefined;
    case "param":
      execParam(ctx, stmt, frame);
      return undefined;
    case "return":
      if (!frame.block) return notAllowed(ctx, stmt.span, "`return`", "in a model");
      if (frame.inRepeat) return notAllowed(ctx, stmt.span, "`return`", "inside `repeat`");
      return ctx.eval(stmt.value, { ...frame, bindingName: "out" });
    case "repeat":
      execRepeat(ctx, stmt, frame);
      return undefined;
    case "train":
      execTrain(ctx, stmt, frame);
      return undefined;
    case "binding": {
      const value = ctx.eval(stmt.value, { ...frame, bindingName: stmt.name.name });
      if (stmt.type && value.kind === "tensor") checkAnnotation(ctx, stmt.name, stmt.type, value, stmt.value.span, frame.scope);
      frame.scope.set(stmt.name.name, value);
      if (value.kind === "tensor") ctx.builder.labelNode(value.node, frame.naming.qualify(stmt.name.name));
      if (frame.recordBindings) record(ctx, stmt.name, value, frame.inRepeat);
      return undefined;
    }
  }
}

export function notAllowed(ctx: CheckContext, span: Span, what: string, where: string): undefined {
  ctx.report("statementNotAllowed", span, { what, where });
  return undefined;
}

export function record(ctx: CheckContext, name: Ident, value: Value, repeated: boolean): void {
  ctx.bindings.set(name.span.start, {
    name: name.name,
    type: value.kind === "tensor" ? value.type : undefined,
    description: value.kind === "tensor" ? formatType(value.type) : value.kind === "poison" ? "(error)" : scalarText(value),
    span: name.span,
    repeated,
  });
}

export function execInput(ctx: CheckContext, stmt: Extract<Stmt, { kind: "input" }>, frame: Frame): void {
  if (frame.block) {
    notAllowed(ctx, stmt.span, "`input`", "in a block (declare a parameter in its signature)");
    return;
  }
  if (frame.inRepeat) {
    notAllowed(ctx, stmt.span, "`input`", "inside `repeat`");
    return;
  }
  if (frame.scope.has(stmt.name.name)) ctx.report("shadowedInput", stmt.name.span, { name: stmt.name.name });
  const type = evalTensorType(ctx, stmt.type, frame.scope, "bind");
  if (!type) {
    frame.scope.set(stmt.name.name, POISON);
    return;
  }
  const value = ctx.builder.input(stmt.name.name, type, stmt.span);
  frame.scope.set(stmt.name.name, value);
  if (frame.recordBindings) record(ctx, stmt.name, value, false);
}

export function execParam(ctx: CheckContext, stmt: Extract<Stmt, { kind: "param" }>, frame: Frame): void {
  const type = evalTensorType(ctx, stmt.type, frame.scope, "refuse");
  const init = stmt.init ? evalInitializer(ctx, stmt.init, frame) : defaultInitializer(type);
  if (!type || !init) {
    frame.scope.set(stmt.name.name, POISON);
    return;
  }
  const claimed = frame.naming.claim(stmt.name.name);
  if (claimed !== stmt.name.name) {
    // Renaming it (`w_2`) would break the contract that a `param` is saved under the name written.
    ctx.report("duplicateDefinition", stmt.name.span, { kind: "param", name: stmt.name.name });
    frame.scope.set(stmt.name.name, POISON);
    return;
  }
  const name = frame.naming.qualify(claimed);
  try {
    const value = ctx.declareParam(name, type, init, stmt.span);
    frame.scope.set(stmt.name.name, value);
    if (frame.recordBindings) record(ctx, stmt.name, value, frame.inRepeat);
  } catch (e) {
    if (!(e instanceof ShapeFailure)) throw e;
    ctx.reportShapeError(e.error, stmt.type.span);
    frame.scope.set(stmt.name.name, POISON);
  }
}

export function evalInitializer(ctx: CheckContext, expr: Expr, frame: Frame): InitSpec | undefined {
  const callee = expr.kind === "call" ? expr.callee : expr.kind === "name" ? { name: expr.name, span: expr.span } : undefined;
  if (!callee) {
    ctx.report("argumentKind", expr.span, { callee: "param", param: "initializer", expected: "an initializer such as glorot_uniform() or normal(std: 0.02)", actual: "an expression" });
    return undefined;
  }
  const def = initializers.get(callee.name);
  if (!def) {
    const hint = closest(callee.name, initializers.keys());
    ctx.report("unknownFunction", callee.span, { name: callee.name }, { hint: hint ? `did you mean \`${hint}\`?` : `initializers: ${[...initializers.keys()].join(", ")}` });
    return undefined;
  }
  const args = expr.kind === "call" ? evalArgs(ctx, expr.args, frame) : [];
  if (!args) return undefined;
  const bound = bindArguments(def.name, def.params, args, expr.span, ctx.bag);
  if (!bound) return undefined;
  const la = new LayerArgs(def.name, bound);
  return { name: def.name, args: def.params.map((p) => la.float(p.name)) };
}

export function execRepeat(ctx: CheckContext, stmt: Extract<Stmt, { kind: "repeat" }>, frame: Frame): void {
  const countValue = ctx.eval(stmt.count, frame);
  if (isPoisoned(countValue)) return;
  const count = countValue.kind === "int" ? countValue.dim.constValue() : undefined;
  if (count === undefined || count < 0 || count > MAX_REPEAT) {
    ctx.report("repeatCount", stmt.count.span, { count: count !== undefined ? String(count) : describeValue(countValue) },
      count !== undefined && count > MAX_REPEAT ? { hint: `at most ${MAX_REPEAT} iterations` } : {});
    return;
  }
  const unrolled = ctx.unrollFactor * count * writtenStatements(stmt.body);
  if (unrolled > MAX_UNROLLED_STATEMENTS) {
    ctx.report("unrollTooLarge", stmt.count.span, { count: formatCount(unrolled), limit: formatCount(MAX_UNROLLED_STATEMENTS) },
      { hint: ctx.unrollFactor > 1 ? `the repeats around this one already run its body ${formatCount(ctx.unrollFactor)} times` : "share the weights or reduce the count" });
    ctx.stopped = true;
    return;
  }
  const naming = frame.naming.child(frame.naming.claim(stmt.index?.name ?? "repeat"));
  const saved = stmt.index ? frame.scope.lookup(stmt.index.name) : undefined;
  const outerFactor = ctx.unrollFactor;
  ctx.unrollFactor *= count;
  for (let i = 0; i < count && !ctx.stopped; i++) {
    if (stmt.index) frame.scope.set(stmt.index.name, intValue(i));
    ctx.execBody(stmt.body, { ...frame, naming: naming.child(String(i)), inRepeat: true });
  }
  ctx.unrollFactor = outerFactor;
  if (stmt.index && saved !== undefined) frame.scope.set(stmt.index.name, saved);
}

export function execTrain(ctx: CheckContext, stmt: Extract<Stmt, { kind: "train" }>, frame: Frame): void {
  if (frame.block) return void notAllowed(ctx, stmt.span, "`train`", "in a block");
  if (frame.inRepeat) return void notAllowed(ctx, stmt.span, "`train`", "inside `repeat`");
  if (ctx.trained) return void ctx.report("trainTwice", stmt.span, {});
  ctx.trained = true;
  const loss = ctx.eval(stmt.loss, { ...frame, bindingName: "loss" });
  if (loss.kind === "tensor") {
    if (loss.type.shape.length !== 0 || loss.type.dtype !== "f32")
      ctx.report("lossNotScalar", stmt.loss.span, { actual: formatType(loss.type) }, { hint: "reduce it, e.g. mean(x), or use a loss such as cross_entropy" });
    else ctx.builder.graph.loss = loss.node;
  } else if (!isPoisoned(loss)) ctx.report("notATensor", stmt.loss.span, { what: "the training loss", actual: describeValue(loss) });
  checkOptimizer(ctx, stmt.optimizer, frame);
}

function defaultInitializer(type: TensorType | undefined): InitSpec {
  return { name: type && type.shape.length >= 2 ? "glorot_uniform" : "zeros", args: [] };
}
