// Turns chevrotain's CST into the AST. Recovered (partial) CST nodes become `error` nodes: they were reported already.
import type { CstElement, CstNode, IToken } from "chevrotain";
import type { Span } from "../diagnostics/span.js";
import type { Arg, BinaryOp, BlockDecl, Comment, Decl, Expr, Ident, ModelDecl, ParamDecl, Program, Stmt, TypeExpr } from "./ast.js";

function isToken(e: CstElement): e is IToken {
  return (e as IToken).image !== undefined;
}

function nodes(node: CstNode, key: string): CstNode[] {
  return ((node.children[key] ?? []) as CstElement[]).filter((e): e is CstNode => !isToken(e));
}

function tokens(node: CstNode, key: string): IToken[] {
  return ((node.children[key] ?? []) as CstElement[]).filter(isToken).filter((t) => !t.isInsertedInRecovery);
}

function tokenSpan(t: IToken): Span {
  return { start: t.startOffset, end: t.startOffset + t.image.length };
}

function nodeSpan(node: CstNode): Span {
  const loc = node.location;
  if (!loc || Number.isNaN(loc.startOffset)) return { start: 0, end: 0 };
  const end = Number.isNaN(loc.endOffset ?? NaN) ? loc.startOffset : (loc.endOffset as number) + 1;
  return { start: loc.startOffset, end: Math.max(loc.startOffset, end) };
}

function ident(t: IToken): Ident {
  return { name: t.image, span: tokenSpan(t) };
}

function cover(a: Span, b: Span): Span {
  return { start: Math.min(a.start, b.start), end: Math.max(a.end, b.end) };
}

class Incomplete extends Error {}

function need<T>(value: T | undefined): T {
  if (value === undefined) throw new Incomplete();
  return value;
}

export function cstToAst(cst: CstNode, comments: IToken[], textLength: number): Program {
  const decls: Decl[] = [];
  for (const d of nodes(cst, "modelDecl")) {
    const decl = guard(() => modelDecl(d));
    if (decl) decls.push(decl);
  }
  for (const d of nodes(cst, "blockDecl")) {
    const decl = guard(() => blockDecl(d));
    if (decl) decls.push(decl);
  }
  decls.sort((a, b) => a.span.start - b.span.start);
  const commentList: Comment[] = comments.map((t) => ({ text: t.image, span: tokenSpan(t) }));
  return { decls, comments: commentList, span: { start: 0, end: textLength } };
}

function guard<T>(f: () => T): T | undefined {
  try {
    return f();
  } catch (e) {
    if (e instanceof Incomplete) return undefined;
    throw e;
  }
}

function modelDecl(node: CstNode): ModelDecl {
  const name = ident(need(tokens(node, "Identifier")[0]));
  const bodyNode = need(nodes(node, "body")[0]);
  return {
    kind: "model",
    name,
    params: paramList(nodes(node, "paramList")[0]),
    body: body(bodyNode),
    bodySpan: nodeSpan(bodyNode),
    span: nodeSpan(node),
  };
}

function blockDecl(node: CstNode): BlockDecl {
  const name = ident(need(tokens(node, "Identifier")[0]));
  const bodyNode = need(nodes(node, "body")[0]);
  const returnsNode = nodes(node, "typeExpr")[0];
  const decl: BlockDecl = {
    kind: "block",
    name,
    params: paramList(nodes(node, "paramList")[0]),
    body: body(bodyNode),
    bodySpan: nodeSpan(bodyNode),
    span: nodeSpan(node),
  };
  if (returnsNode) decl.returns = typeExpr(returnsNode);
  return decl;
}

function paramList(node: CstNode | undefined): ParamDecl[] {
  if (!node) return [];
  const out: ParamDecl[] = [];
  for (const p of nodes(node, "paramDecl")) {
    const decl = guard((): ParamDecl => {
      const result: ParamDecl = {
        name: ident(need(tokens(p, "Identifier")[0])),
        type: typeExpr(need(nodes(p, "typeExpr")[0])),
        span: nodeSpan(p),
      };
      const def = nodes(p, "expression")[0];
      if (def) result.default = expression(def);
      return result;
    });
    if (decl) out.push(decl);
  }
  return out;
}

function typeExpr(node: CstNode): TypeExpr {
  const name = ident(need(tokens(node, "Identifier")[0]));
  if ((node.children["LBracket"] ?? []).length === 0) return { kind: "scalar", name, span: name.span };
  return { kind: "tensor", dtype: name, dims: nodes(node, "expression").map(expression), span: nodeSpan(node) };
}

function body(node: CstNode): Stmt[] {
  return nodes(node, "statement").map(statement);
}

function statement(node: CstNode): Stmt {
  const span = nodeSpan(node);
  const inner = Object.values(node.children)
    .flat()
    .find((e): e is CstNode => !isToken(e));
  if (!inner) return { kind: "error", span };
  return guard(() => statementInner(inner)) ?? { kind: "error", span: nodeSpan(inner) };
}

function statementInner(node: CstNode): Stmt {
  const span = nodeSpan(node);
  switch (node.name) {
    case "inputStmt":
      return { kind: "input", name: ident(need(tokens(node, "Identifier")[0])), type: typeExpr(need(nodes(node, "typeExpr")[0])), span };
    case "outputStmt": {
      const names = tokens(node, "Identifier").map(ident);
      if (names.length === 0) throw new Incomplete();
      return { kind: "output", names, span };
    }
    case "paramStmt": {
      const stmt: Stmt = { kind: "param", name: ident(need(tokens(node, "Identifier")[0])), type: typeExpr(need(nodes(node, "typeExpr")[0])), span };
      const init = nodes(node, "expression")[0];
      if (init) stmt.init = expression(init);
      return stmt;
    }
    case "returnStmt":
      return { kind: "return", value: expression(need(nodes(node, "expression")[0])), span };
    case "repeatStmt": {
      const bodyNode = need(nodes(node, "body")[0]);
      const stmt: Stmt = { kind: "repeat", count: expression(need(nodes(node, "expression")[0])), body: body(bodyNode), bodySpan: nodeSpan(bodyNode), span };
      const index = tokens(node, "Identifier")[0];
      if (index) stmt.index = ident(index);
      return stmt;
    }
    case "trainStmt": {
      const [loss, optimizer] = nodes(node, "expression");
      return { kind: "train", loss: expression(need(loss)), optimizer: expression(need(optimizer)), span };
    }
    case "bindingStmt": {
      const stmt: Stmt = { kind: "binding", name: ident(need(tokens(node, "Identifier")[0])), value: expression(need(nodes(node, "expression")[0])), span };
      const type = nodes(node, "typeExpr")[0];
      if (type) stmt.type = typeExpr(type);
      return stmt;
    }
    default:
      return { kind: "error", span };
  }
}

function errorExpr(node: CstNode): Expr {
  return { kind: "error", span: nodeSpan(node) };
}

function expression(node: CstNode): Expr {
  return guard(() => expressionInner(node)) ?? errorExpr(node);
}

function expressionInner(node: CstNode): Expr {
  let result = additive(need(nodes(node, "additive")[0]));
  for (const target of nodes(node, "pipeTarget")) {
    const callee = ident(need(tokens(target, "Identifier")[0]));
    const args = argList(nodes(target, "argList")[0]);
    result = { kind: "pipe", input: result, callee, args, span: cover(result.span, nodeSpan(target)) };
  }
  return result;
}

function binaryChain(operands: Expr[], ops: IToken[]): Expr {
  // Operator tokens of different kinds sit under different CST keys; source order restores the interleaving.
  const sorted = [...ops].sort((a, b) => a.startOffset - b.startOffset);
  let result = need(operands[0]);
  for (let i = 0; i < sorted.length; i++) {
    const right = need(operands[i + 1]);
    const op = sorted[i]!;
    result = { kind: "binary", op: op.image as BinaryOp, left: result, right, opSpan: tokenSpan(op), span: cover(result.span, right.span) };
  }
  return result;
}

function additive(node: CstNode): Expr {
  return binaryChain(nodes(node, "multiplicative").map(multiplicative), [...tokens(node, "Plus"), ...tokens(node, "Minus")]);
}

function multiplicative(node: CstNode): Expr {
  return binaryChain(nodes(node, "unary").map(unary), [...tokens(node, "Star"), ...tokens(node, "Slash"), ...tokens(node, "At")]);
}

function unary(node: CstNode): Expr {
  const minus = tokens(node, "Minus")[0];
  if (minus) {
    const operand = unary(need(nodes(node, "unary")[0]));
    return { kind: "unary", op: "-", operand, span: cover(tokenSpan(minus), operand.span) };
  }
  return atom(need(nodes(node, "atom")[0]));
}

function atom(node: CstNode): Expr {
  const span = nodeSpan(node);
  const num = tokens(node, "NumberLit")[0];
  if (num) {
    const isInt = /^\d+$/.test(num.image);
    return { kind: "number", value: Number(num.image), text: num.image, isInt, span: tokenSpan(num) };
  }
  const str = tokens(node, "StringLit")[0];
  if (str) {
    let value: string;
    try {
      value = JSON.parse(str.image) as string;
    } catch {
      value = str.image.slice(1, -1);
    }
    return { kind: "string", value, span: tokenSpan(str) };
  }
  if (tokens(node, "UnterminatedString")[0]) return { kind: "error", span };
  const call = nodes(node, "callOrName")[0];
  if (call) {
    const name = ident(need(tokens(call, "Identifier")[0]));
    if ((call.children["LParen"] ?? []).length === 0) return { kind: "name", name: name.name, span: name.span };
    return { kind: "call", callee: name, args: argList(nodes(call, "argList")[0]), span: nodeSpan(call) };
  }
  const exprs = nodes(node, "expression");
  if ((node.children["LBracket"] ?? []).length > 0) return { kind: "list", items: exprs.map(expression), span };
  return { kind: "paren", inner: expression(need(exprs[0])), span };
}

function argList(node: CstNode | undefined): Arg[] {
  if (!node) return [];
  return nodes(node, "argument").map((a) => {
    const value = expression(need(nodes(a, "expression")[0]));
    const name = tokens(a, "Identifier")[0];
    const arg: Arg = { value, span: nodeSpan(a) };
    if (name) arg.name = ident(name);
    return arg;
  });
}
