// The program's declarations: the tables of models and blocks, recursion between blocks, blocks nothing calls, and
// which model to check.
import type { Expr, ModelDecl, Stmt } from "../1-parse/ast.js";
import type { Span } from "../diagnostics/span.js";
import { closest } from "../diagnostics/suggest.js";
import type { CheckContext } from "./context.js";

/** Fills the model and block tables; a name declared twice is reported and the later declaration ignored. */
export function collectDeclarations(ctx: CheckContext): void {
  for (const decl of ctx.program.decls) {
    const table = decl.kind === "model" ? ctx.models : ctx.blocks;
    if (table.has(decl.name.name) || (decl.kind === "model" ? ctx.blocks : ctx.models).has(decl.name.name)) {
      ctx.report("duplicateDefinition", decl.name.span, { kind: decl.kind, name: decl.name.name });
      continue;
    }
    // A repeated parameter name would silently bind only one of them (and a caller's argument to the wrong one).
    const seen = new Set<string>();
    for (const p of decl.params) {
      if (seen.has(p.name.name)) ctx.report("duplicateDefinition", p.name.span, { kind: decl.kind === "model" ? "hyperparameter" : "parameter", name: p.name.name });
      seen.add(p.name.name);
    }
    if (decl.kind === "model") ctx.models.set(decl.name.name, decl);
    else ctx.blocks.set(decl.name.name, decl);
  }
}

export function selectModel(ctx: CheckContext, name: string | undefined): ModelDecl | undefined {
  const names = [...ctx.models.keys()];
  if (name !== undefined) {
    const model = ctx.models.get(name);
    if (!model) {
      const hint = closest(name, names);
      ctx.report("unknownModel", { start: 0, end: 0 }, { name, available: names.join(", ") || "none" }, hint ? { hint: `did you mean \`${hint}\`?` } : {});
    }
    return model;
  }
  if (names.length === 0) {
    ctx.report("noModel", ctx.program.span.end > 0 ? { start: 0, end: 0 } : ctx.program.span, {});
    return undefined;
  }
  if (names.length > 1) {
    ctx.report("several", ctx.models.get(names[1]!)!.name.span, { available: names.join(", ") });
    return undefined;
  }
  return ctx.models.get(names[0]!);
}

/** Calls between blocks form a graph; a cycle would unroll forever, so it is reported and its blocks poisoned. */
export function findRecursion(ctx: CheckContext): void {
  const calls = new Map<string, { callee: string; span: Span }[]>();
  for (const [name, block] of ctx.blocks) calls.set(name, callsIn(block.body).filter((c) => ctx.blocks.has(c.callee)));
  const state = new Map<string, "active" | "done">();
  const stack: string[] = [];
  const visit = (name: string) => {
    state.set(name, "active");
    stack.push(name);
    for (const call of calls.get(name) ?? []) {
      const s = state.get(call.callee);
      if (s === "active") {
        const cycle = [...stack.slice(stack.indexOf(call.callee)), call.callee];
        for (const b of cycle) ctx.recursive.add(b);
        ctx.report("recursiveBlock", call.span, { cycle: cycle.join(" -> ") }, { hint: "use `repeat` to apply a block several times" });
      } else if (s === undefined) visit(call.callee);
    }
    stack.pop();
    state.set(name, "done");
  };
  for (const name of ctx.blocks.keys()) if (!state.has(name)) visit(name);
}

export function warnUncalledBlocks(ctx: CheckContext): void {
  const called = new Set<string>();
  const pending = [...ctx.models.values()].flatMap((m) => callsIn(m.body).map((c) => c.callee));
  while (pending.length > 0) {
    const name = pending.pop()!;
    const block = ctx.blocks.get(name);
    if (!block || called.has(name)) continue;
    called.add(name);
    pending.push(...callsIn(block.body).map((c) => c.callee));
  }
  for (const [name, block] of ctx.blocks) if (!called.has(name)) ctx.report("uncalledBlock", block.name.span, { name });
}

/** `scan(Cell, ...)` calls the block named by its first positional argument. */
function scanned(callee: string, args: readonly { name?: unknown; value: Expr }[]): { callee: string; span: Span }[] {
  const cell = callee === "scan" ? args.find((a) => !a.name)?.value : undefined;
  return cell?.kind === "name" ? [{ callee: cell.name, span: cell.span }] : [];
}

/** Every call by name in a body (pipes included), for the block call graph. */
function callsIn(stmts: readonly Stmt[]): { callee: string; span: Span }[] {
  const out: { callee: string; span: Span }[] = [];
  // An explicit stack, not recursion: a flat chain of thousands of terms nests as deep as it is long.
  const visitExpr = (root: Expr): void => {
    type Call = { callee: string; span: Span };
    const stack: (Expr | Call)[] = [root];
    const pushArgs = (args: readonly { value: Expr }[]) => {
      for (let i = args.length - 1; i >= 0; i--) stack.push(args[i]!.value);
    };
    while (stack.length > 0) {
      const item = stack.pop()!;
      if (!("kind" in item)) {
        out.push(item);
        continue;
      }
      switch (item.kind) {
        case "call":
          out.push({ callee: item.callee.name, span: item.callee.span }, ...scanned(item.callee.name, item.args));
          pushArgs(item.args);
          break;
        case "pipe":
          pushArgs(item.args);
          stack.push(...scanned(item.callee.name, item.args), { callee: item.callee.name, span: item.callee.span });
          stack.push(item.input);
          break;
        case "binary":
          stack.push(item.right, item.left);
          break;
        case "unary":
          stack.push(item.operand);
          break;
        case "paren":
          stack.push(item.inner);
          break;
        case "list":
          for (let i = item.items.length - 1; i >= 0; i--) stack.push(item.items[i]!);
          break;
        default:
          break;
      }
    }
  };
  for (const s of stmts) {
    if (s.kind === "binding") visitExpr(s.value);
    else if (s.kind === "return") visitExpr(s.value);
    else if (s.kind === "train") visitExpr(s.loss);
    else if (s.kind === "repeat") {
      visitExpr(s.count);
      out.push(...callsIn(s.body));
    }
  }
  return out;
}
