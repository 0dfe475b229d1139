import { describe, expect, it } from "vitest";
import { parse } from "../../compiler/1-parse/parse.js";
import { expr as printExpr } from "../../compiler/1-parse/format.js";
import type { Expr, Stmt } from "../../compiler/1-parse/ast.js";

function body(src: string): Stmt[] {
  const r = parse(`model M() {\n${src}\n}\n`, "t.dlg");
  expect(r.diagnostics.items).toEqual([]);
  return r.program.decls[0]!.body;
}

function valueOf(src: string): Expr {
  const s = body(`y = ${src}`)[0]!;
  if (s.kind !== "binding") throw new Error("not a binding");
  return s.value;
}

/** Fully parenthesized form, to see precedence. */
function shape(e: Expr): string {
  switch (e.kind) {
    case "binary":
      return `(${shape(e.left)} ${e.op} ${shape(e.right)})`;
    case "unary":
      return `(-${shape(e.operand)})`;
    case "pipe":
      return `${e.callee.name}[${shape(e.input)}${e.args.map((a) => `, ${a.name ? a.name.name + ": " : ""}${shape(a.value)}`).join("")}]`;
    case "paren":
      return shape(e.inner);
    default:
      return printExpr(e);
  }
}

describe("the parser", () => {
  it("gives * / @ precedence over + - and makes -> the loosest", () => {
    expect(shape(valueOf("a + b * c @ d - e"))).toBe("((a + ((b * c) @ d)) - e)");
    expect(shape(valueOf("a + b -> relu"))).toBe("relu[(a + b)]");
    expect(shape(valueOf("-a * b"))).toBe("((-a) * b)");
    expect(shape(valueOf("x -> dense(10, bias: false) -> relu"))).toBe("relu[dense[x, 10, bias: false]]");
  });

  it("reads positional and named arguments, lists, strings and numbers", () => {
    const e = valueOf('conv2d(x, 32, kernel: 3, padding: "same", rates: [0.5, 1e-3, -2])');
    expect(e.kind).toBe("call");
    if (e.kind !== "call") return;
    expect(e.args.map((a) => a.name?.name ?? null)).toEqual([null, null, "kernel", "padding", "rates"]);
    expect(printExpr(e)).toBe('conv2d(x, 32, kernel: 3, padding: "same", rates: [0.5, 1e-3, -2])');
  });

  it("keeps exact source spans on nodes", () => {
    const src = "model M() {\n  h = dense(x, 10)\n}\n";
    const r = parse(src, "t.dlg");
    const s = r.program.decls[0]!.body[0]!;
    if (s.kind !== "binding") throw new Error();
    expect(src.slice(s.name.span.start, s.name.span.end)).toBe("h");
    expect(src.slice(s.value.span.start, s.value.span.end)).toBe("dense(x, 10)");
    expect(src.slice(s.span.start, s.span.end)).toBe("h = dense(x, 10)");
  });

  it("lets argument lists span lines and separates statements with newlines or semicolons", () => {
    const stmts = body("a = f(x,\n  y)\nb = 1; c = 2");
    expect(stmts.map((s) => (s.kind === "binding" ? s.name.name : s.kind))).toEqual(["a", "b", "c"]);
  });

  it("parses blocks with typed signatures, repeat with an index, params and train", () => {
    const src = `block R(x: f32[B, T, D], heads: int = 8) -> f32[B, T, D] {
  return x
}
model M(n: int = 2) {
  input x: f32[N, 4]
  param w: f32[4, 4] = normal(std: 0.02)
  repeat n as i { x = x @ w }
  output x
  train mean(x) with sgd(lr: 0.1)
}
`;
    const r = parse(src, "t.dlg");
    expect(r.diagnostics.items).toEqual([]);
    const [block, model] = r.program.decls;
    expect(block!.kind).toBe("block");
    expect(block!.params.map((p) => p.name.name)).toEqual(["x", "heads"]);
    expect(model!.body.map((s) => s.kind)).toEqual(["input", "param", "repeat", "output", "train"]);
  });

  it("reports every syntax error in a file, each with its location and what was expected", () => {
    const src = "model M() {\n  a = dense(x, 10 +)\n  b = relu(a) c = 3\n  d = 4\n}\nblock B() -> {\n  return 1\n}\n";
    const r = parse(src, "t.dlg");
    const messages = r.diagnostics.items.map((d) => `${d.code} ${d.message}`);
    expect(messages).toEqual([
      "E003 expected an expression, found ')'",
      "E003 expected end of statement (newline or ';'), found 'c'",
      "E003 expected a name, found '{'",
    ]);
    // Recovery keeps the statements after an error.
    const names = r.program.decls[0]!.body.flatMap((s) => (s.kind === "binding" ? [s.name.name] : []));
    expect(names).toContain("d");
  });

  it("reports unknown characters and unterminated strings without failing the rest of the lexing", () => {
    const r = parse('model M() {\n  a = 1 $ 2\n  s = "open\n}\n', "t.dlg");
    expect(r.diagnostics.items.map((d) => d.code)).toEqual(expect.arrayContaining(["E001", "E002"]));
  });
});
