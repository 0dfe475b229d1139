// The .dlg abstract syntax tree. Every node carries the Span of the source text it came from.
import type { Span } from "../diagnostics/span.js";

export interface Ident {
  name: string;
  span: Span;
}

export type Expr =
  | { kind: "number"; value: number; text: string; isInt: boolean; span: Span }
  | { kind: "string"; value: string; span: Span }
  | { kind: "name"; name: string; span: Span }
  | { kind: "call"; callee: Ident; args: Arg[]; span: Span }
  | { kind: "pipe"; input: Expr; callee: Ident; args: Arg[]; span: Span }
  | { kind: "binary"; op: BinaryOp; left: Expr; right: Expr; opSpan: Span; span: Span }
  | { kind: "unary"; op: "-"; operand: Expr; span: Span }
  | { kind: "paren"; inner: Expr; span: Span }
  | { kind: "list"; items: Expr[]; span: Span }
  /** Stands in for text the parser could not read; it has been reported already. */
  | { kind: "error"; span: Span };

export type BinaryOp = "+" | "-" | "*" | "/" | "@";

export interface Arg {
  name?: Ident;
  value: Expr;
  span: Span;
}

export type TypeExpr =
  | { kind: "scalar"; name: Ident; span: Span }
  | { kind: "tensor"; dtype: Ident; dims: Expr[]; span: Span };

export interface ParamDecl {
  name: Ident;
  type: TypeExpr;
  default?: Expr;
  span: Span;
}

export type Stmt =
  | { kind: "input"; name: Ident; type: TypeExpr; span: Span }
  | { kind: "output"; names: Ident[]; span: Span }
  | { kind: "param"; name: Ident; type: TypeExpr; init?: Expr; span: Span }
  | { kind: "return"; value: Expr; span: Span }
  | { kind: "repeat"; count: Expr; index?: Ident; body: Stmt[]; bodySpan: Span; span: Span }
  | { kind: "train"; loss: Expr; optimizer: Expr; span: Span }
  | { kind: "binding"; name: Ident; type?: TypeExpr; value: Expr; span: Span }
  | { kind: "error"; span: Span };

export interface ModelDecl {
  kind: "model";
  name: Ident;
  params: ParamDecl[];
  body: Stmt[];
  bodySpan: Span;
  span: Span;
}

export interface BlockDecl {
  kind: "block";
  name: Ident;
  params: ParamDecl[];
  returns?: TypeExpr;
  body: Stmt[];
  bodySpan: Span;
  span: Span;
}

export type Decl = ModelDecl | BlockDecl;

export interface Comment {
  text: string;
  span: Span;
}

export interface Program {
  decls: Decl[];
  comments: Comment[];
  span: Span;
}
