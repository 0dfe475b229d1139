// The canonical printer: one statement per line, two-space indent, single spaces around binary operators.
// Comments are kept: own-line comments stay before the statement they precede, end-of-line comments stay on it;
// comments from inside a multi-line statement move above it. At most one blank line is kept between statements.
import { LineIndex } from "../diagnostics/span.js";
import type { Arg, Comment, Decl, Expr, ParamDecl, Program, Stmt, TypeExpr } from "./ast.js";

const INDENT = "  ";
/**
 * Separates a line's code from its end-of-line comment until alignment: a run of NULs that occurs nowhere in the
 * source, so no comment text (which may hold NUL bytes) can be taken for it.
 */
function trailingMarker(sourceText: string): string {
  let marker = "\u0000";
  while (sourceText.includes(marker)) marker += "\u0000";
  return marker;
}

/** Pads the code of each run of consecutive lines with end-of-line comments so the comments line up. */
function alignTrailingComments(lines: readonly string[], marker: string): string[] {
  const out = [...lines];
  for (let i = 0; i < out.length; ) {
    if (!out[i]!.includes(marker)) {
      i++;
      continue;
    }
    let j = i;
    while (j < out.length && out[j]!.includes(marker)) j++;
    const width = Math.max(...out.slice(i, j).map((l) => l.indexOf(marker)));
    for (let k = i; k < j; k++) {
      const at = out[k]!.indexOf(marker);
      out[k] = `${out[k]!.slice(0, at).padEnd(width)}  ${out[k]!.slice(at + marker.length)}`;
    }
    i = j;
  }
  return out;
}

export function formatProgram(program: Program, sourceText: string): string {
  return new Printer(program.comments, new LineIndex(sourceText), trailingMarker(sourceText)).program(program);
}

class Printer {
  private readonly out: string[] = [];
  private next = 0;

  constructor(private readonly comments: readonly Comment[], private readonly lines: LineIndex, private readonly marker: string) {}

  program(p: Program): string {
    p.decls.forEach((d, i) => {
      if (i > 0) this.out.push("");
      this.leadingComments(d.span.start, "");
      this.decl(d);
    });
    if (this.next < this.comments.length && p.decls.length > 0) this.out.push("");
    this.leadingComments(Infinity, "");
    return alignTrailingComments(this.out, this.marker).join("\n").replace(/\n{3,}/g, "\n\n") + "\n";
  }

  private line(offset: number): number {
    return this.lines.position(offset).line;
  }

  /**
   * Emits the comments that start before `before`, keeping one blank line wherever the source had at least one
   * between two of them or between the last of them and the code at `before`.
   */
  private leadingComments(before: number, indent: string): void {
    let lastLine: number | undefined;
    while (this.next < this.comments.length && this.comments[this.next]!.span.start < before) {
      const comment = this.comments[this.next]!;
      const line = this.line(comment.span.start);
      if (lastLine !== undefined && line - lastLine > 1) this.out.push("");
      this.out.push(indent + comment.text.trimEnd());
      lastLine = line;
      this.next++;
    }
    if (lastLine !== undefined && before !== Infinity && this.line(before) - lastLine > 1) this.out.push("");
  }

  /**
   * A comment that starts on the line where `end` is, right after it, rides along on that line. It is marked with
   * the marker so the final pass can align the comments of consecutive lines, as gofmt does.
   */
  private trailingComment(end: number): string {
    const c = this.comments[this.next];
    // Only when nothing but spaces (or the `;` ending this statement) lies between: in `a; b # c` the comment is b's.
    if (c && c.span.start >= end && this.line(c.span.start) === this.line(end) && /^[\s;]*$/.test(this.lines.text.slice(end, c.span.start))) {
      this.next++;
      return `${this.marker}${c.text.trimEnd()}`;
    }
    return "";
  }

  private decl(d: Decl): void {
    const params = d.params.map(paramDecl).join(", ");
    const returns = d.kind === "block" && d.returns ? ` -> ${typeExpr(d.returns)}` : "";
    this.out.push(`${d.kind} ${d.name.name}(${params})${returns} {`);
    this.body(d.body, d.bodySpan.end, INDENT);
    this.out.push("}");
  }

  private body(stmts: readonly Stmt[], bodyEnd: number, indent: string): void {
    let previousEnd: number | undefined;
    for (const s of stmts) {
      if (previousEnd !== undefined) {
        const firstComment = this.comments[this.next];
        const startOfNext = firstComment && firstComment.span.start < s.span.start ? firstComment.span.start : s.span.start;
        if (this.line(startOfNext) - this.line(previousEnd) > 1) this.out.push("");
      }
      this.leadingComments(s.span.start, indent);
      this.stmt(s, indent);
      previousEnd = s.span.end;
    }
    this.leadingComments(bodyEnd - 1, indent);
  }

  private stmt(s: Stmt, indent: string): void {
    if (s.kind !== "repeat") {
      // Comments inside a statement that spans lines would be lost on one line: hoist them above it.
      while (this.next < this.comments.length && this.comments[this.next]!.span.start < s.span.end) {
        this.out.push(indent + this.comments[this.next]!.text.trimEnd());
        this.next++;
      }
    }
    if (s.kind === "repeat") {
      const index = s.index ? ` as ${s.index.name}` : "";
      this.out.push(`${indent}repeat ${expr(s.count)}${index} {`);
      this.body(s.body, s.bodySpan.end, indent + INDENT);
      this.out.push(`${indent}}${this.trailingComment(s.span.end)}`);
      return;
    }
    this.out.push(indent + simpleStmt(s) + this.trailingComment(s.span.end));
  }
}

function simpleStmt(s: Exclude<Stmt, { kind: "repeat" }>): string {
  switch (s.kind) {
    case "input":
      return `input ${s.name.name}: ${typeExpr(s.type)}`;
    case "output":
      return `output ${s.names.map((n) => n.name).join(", ")}`;
    case "param":
      return `param ${s.name.name}: ${typeExpr(s.type)}${s.init ? ` = ${expr(s.init)}` : ""}`;
    case "return":
      return `return ${expr(s.value)}`;
    case "train":
      return `train ${expr(s.loss)} with ${expr(s.optimizer)}`;
    case "binding":
      return `${s.name.name}${s.type ? `: ${typeExpr(s.type)}` : ""} = ${expr(s.value)}`;
    case "error":
      throw new Error("internal: cannot format a program with syntax errors");
  }
}

function paramDecl(p: ParamDecl): string {
  return `${p.name.name}: ${typeExpr(p.type)}${p.default ? ` = ${expr(p.default)}` : ""}`;
}

export function typeExpr(t: TypeExpr): string {
  return t.kind === "scalar" ? t.name.name : `${t.dtype.name}[${t.dims.map(expr).join(", ")}]`;
}

function args(list: readonly Arg[]): string {
  return list.map((a) => (a.name ? `${a.name.name}: ${expr(a.value)}` : expr(a.value))).join(", ");
}

export function expr(e: Expr): string {
  // Left-deep chains (`a + a + ...`, `x -> f -> g ...`) are walked in a loop: the parser accepts them at any length,
  // and recursing once per term would overflow the stack on a long one.
  if (e.kind === "binary" || e.kind === "pipe") {
    const suffixes: string[] = [];
    let base: Expr = e;
    for (;;) {
      if (base.kind === "binary") {
        suffixes.push(` ${base.op} ${expr(base.right)}`);
        base = base.left;
      } else if (base.kind === "pipe") {
        suffixes.push(` -> ${base.callee.name}${base.args.length ? `(${args(base.args)})` : ""}`);
        base = base.input;
      } else break;
    }
    return expr(base) + suffixes.reverse().join("");
  }
  switch (e.kind) {
    case "number":
      return e.text;
    case "string":
      return JSON.stringify(e.value);
    case "name":
      return e.name;
    case "call":
      return `${e.callee.name}(${args(e.args)})`;
    case "unary":
      return `-${expr(e.operand)}`;
    case "paren":
      return `(${expr(e.inner)})`;
    case "list":
      return `[${e.items.map(expr).join(", ")}]`;
    case "error":
      throw new Error("internal: cannot format a program with syntax errors");
  }
}
