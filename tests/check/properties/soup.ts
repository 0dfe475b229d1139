// Inputs that are not generated to type-check: token soup (real tokens in random order), and syntax soup (text that
// follows the grammar but means nothing in particular, with odd layout: comments inside argument lists, `;`,
// escapes in strings, deep parentheses, unary chains, pipes).
import fc from "fast-check";
import { Tape } from "./generator.js";

export const TOKENS = [
  "model", "block", "input", "output", "param", "return", "repeat", "train", "with", "as",
  "M", "x", "y", "N", "D", "B", "f32", "i32", "f16", "int", "float", "bool", "relu", "dense", "concat", "reshape",
  "conv2d", "mean", "true", "false", "adam", "sgd", "zeros", "glorot_uniform", "_a1", "Blk",
  "0", "1", "3", "128", "0.5", "1e-3", "2.", ".5", "1e5", "99999999999999999999", "007",
  '"same"', '"a\\"b"', '"\\u00e9"', '"unterminated', '""', '"\\q"',
  "(", ")", "[", "]", "{", "}", ",", ":", "=", "->", "+", "-", "*", "/", "@", ";", "\n", "\n", "# c", "#", " ", "\t", "\r\n",
];

/** Random sequences of real tokens, loosely or tightly joined, half of them inside a model with an input. */
export const tokenSoupArb: fc.Arbitrary<string> = fc
  .tuple(fc.array(fc.constantFrom(...TOKENS), { maxLength: 80 }), fc.boolean(), fc.boolean())
  .map(([tokens, tight, wrap]) => {
    const body = tokens.join(tight ? "" : " ");
    return wrap ? `model M(h: int = 4) {\n  input x: f32[N, 4]\n  ${body}\n  output x\n}\n` : body;
  });

const IDENTS = ["x", "y", "h", "N", "D", "relu", "dense", "concat", "Blk", "M", "true", "f32", "i32", "int", "mean", "_q", "adam", "__proto__", "constructor", "toString"];
const STRINGS = ['"same"', '"valid"', '"a\\"b"', '"\\u00e9\\n"', '""', '"\\q"', '"tab\there"', '"# not a comment"'];
const NUMBERS = ["0", "1", "16", "0.5", "1e-3", "2.", ".25", "1E+2", "007"];

/** Text in the grammar of .dlg (so it must parse without errors), with no regard for meaning. */
export function syntaxSoup(t: Tape): string {
  const ws = () => (t.chance(15) ? "" : t.chance(10) ? "  " : " ");
  const sep = () => {
    if (t.chance(8)) return `, # comment ${t.int(0, 9)}\n    `;
    if (t.chance(10)) return ",\n    ";
    return t.chance(20) ? "," : ", ";
  };
  const ident = () => t.pick(IDENTS);
  let budget = 60;
  const expr = (depth: number): string => {
    budget--;
    const atom = (): string => {
      const k = depth <= 0 || budget <= 0 ? t.int(0, 2) : t.int(0, 7);
      switch (k) {
        case 0:
          return ident();
        case 1:
          return t.pick(NUMBERS);
        case 2:
          return t.pick(STRINGS);
        case 3:
          return `(${ws()}${expr(depth - 1)}${ws()})`;
        case 4:
          return `[${listOf(() => expr(depth - 1), 0, 3)}]`;
        case 5:
          return `${ident()}(${args(depth - 1)})`;
        case 6:
          return `-${atom()}`;
        default:
          return `${ident()}()`;
      }
    };
    let e = atom();
    const ops = t.int(0, 2);
    for (let i = 0; i < ops; i++) e += `${ws()}${t.pick(["+", "-", "*", "/", "@"])}${ws()}${t.chance(20) ? "-" : ""}${atom()}`;
    if (t.chance(25)) e += `${ws()}->${ws()}${ident()}${t.chance(50) ? `(${args(depth - 1)})` : ""}`;
    return e;
  };
  const listOf = (item: () => string, min: number, max: number): string => {
    const n = t.int(min, max);
    let out = "";
    for (let i = 0; i < n; i++) out += (i > 0 ? sep() : "") + item();
    return out;
  };
  const args = (depth: number): string => listOf(() => (t.chance(30) ? `${ident()}:${ws()}${expr(depth)}` : expr(depth)), 0, 3);
  const type = (): string => (t.chance(20) ? ident() : `${t.pick(["f32", "i32", "f16", "x"])}[${listOf(() => expr(1), 0, 3)}]`);
  const paramList = (): string => listOf(() => `${ident()}:${ws()}${type()}${t.chance(30) ? `${ws()}=${ws()}${expr(1)}` : ""}`, 0, 2);
  const stmt = (indent: string, depth: number): string => {
    switch (t.int(0, 7)) {
      case 0:
        return `input ${ident()}:${ws()}${type()}`;
      case 1:
        return `output ${ident()}${t.chance(40) ? `,${ws()}${ident()}` : ""}`;
      case 2:
        return `param ${ident()}:${ws()}${type()}${t.chance(50) ? ` = ${expr(1)}` : ""}`;
      case 3:
        return `return ${expr(2)}`;
      case 4:
        return depth > 0 ? `repeat ${expr(0)}${t.chance(30) ? ` as ${ident()}` : ""} ${body(indent + "  ", depth - 1)}` : `${ident()} = ${expr(2)}`;
      case 5:
        return `train ${expr(1)} with ${expr(1)}`;
      default:
        return `${ident()}${t.chance(20) ? `:${ws()}${type()}` : ""}${ws()}=${ws()}${expr(3)}`;
    }
  };
  const body = (indent: string, depth: number): string => {
    let out = "{";
    const n = t.int(0, 4);
    let commented = false;
    for (let i = 0; i < n; i++) {
      out += t.chance(10) && i > 0 && !commented ? "; " : `\n${indent}${t.chance(10) ? `# own line\n${indent}` : ""}`;
      out += stmt(indent, depth);
      commented = t.chance(10);
      if (commented) out += "  # trailing";
    }
    return `${out}\n${indent.slice(2)}}`;
  };
  let text = t.chance(20) ? "# header\n" : "";
  const decls = t.int(1, 3);
  for (let i = 0; i < decls; i++) {
    if (t.chance(60)) text += `model ${ident()}(${paramList()})${ws()}${body("  ", 1)}\n`;
    else text += `block ${ident()}(${paramList()})${t.chance(50) ? ` -> ${type()}` : ""}${ws()}${body("  ", 1)}\n`;
    if (t.chance(30)) text += "\n";
  }
  return text;
}

export const syntaxSoupArb: fc.Arbitrary<string> = fc.array(fc.nat(), { minLength: 300, maxLength: 300 }).map((tape) => syntaxSoup(new Tape(tape)));
