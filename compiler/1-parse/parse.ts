// Source text to AST plus syntax diagnostics. Never throws: any input yields a Program (possibly empty) and diagnostics.
import type { IToken } from "chevrotain";
import { DiagnosticBag } from "../diagnostics/diagnostic.js";
import type { Span } from "../diagnostics/span.js";
import type { Program } from "./ast.js";
import { cstToAst } from "./cst-to-ast.js";
import { parseTokens } from "./grammar.js";
import { Block, Identifier, LBrace, LBracket, LParen, lex, Minus, Model, RBrace, RBracket, RParen, UnterminatedString } from "./tokens.js";

/** Deeper nesting than this is refused before parsing, so hostile input cannot exhaust the stack of any later phase. */
export const MAX_NESTING = 128;
/** Past this many syntax errors in one file the rest are noise. */
const MAX_SYNTAX_ERRORS = 50;

export interface ParseResult {
  program: Program;
  diagnostics: DiagnosticBag;
}

export function parse(text: string, file: string): ParseResult {
  const bag = new DiagnosticBag(file);
  const empty: Program = { decls: [], comments: [], span: { start: 0, end: text.length } };
  // A UTF-8 byte order mark (editors on Windows write one) is not part of the program; a space in its place keeps
  // every offset, and so every span, where it is in the file.
  const lexed = lex(text.startsWith("\ufeff") ? ` ${text.slice(1)}` : text);
  for (const run of lexed.badRuns.slice(0, MAX_SYNTAX_ERRORS)) {
    bag.report("unexpectedCharacter", { start: run.offset, end: run.offset + run.length }, { text: text.slice(run.offset, run.offset + run.length) });
  }
  for (const t of lexed.tokens.filter((t) => t.tokenType === UnterminatedString).slice(0, MAX_SYNTAX_ERRORS)) {
    if (t.tokenType === UnterminatedString) bag.report("unterminatedString", { start: t.startOffset, end: t.startOffset + t.image.length }, {}, { hint: 'strings end with `"` on the same line' });
  }
  const deep = findExcessiveNesting(lexed.tokens);
  if (deep) {
    bag.report("tooDeep", deep, { limit: MAX_NESTING });
    return { program: empty, diagnostics: bag };
  }
  const { cst, errors } = parseTokens(lexed.tokens);
  let reported = 0;
  let lastOffset = -1;
  const declStarts = lexed.tokens.filter((t) => t.tokenType === Model || t.tokenType === Block).map((t) => t.startOffset);
  for (const e of errors) {
    const span = errorSpan(e.token, e.previous, text);
    // One error per position: recovery can fail several times at the same token.
    if (span.start === lastOffset) continue;
    if (lexed.tokens.length > 0 && e.token.tokenType === UnterminatedString) continue;
    // After a declaration's header fails, recovery skips its body line by line, each skip an "expected EOF": noise
    // under the first error, until the next `model` or `block` begins.
    const skipping = lastOffset >= 0 && isTopLevelResync(e) && !declStarts.some((d) => d > lastOffset && d <= span.start);
    lastOffset = span.start;
    if (skipping) continue;
    if (++reported > MAX_SYNTAX_ERRORS) break;
    const found = describeToken(e.token);
    const expected = expectedFrom(e.message, e.ruleStack);
    const header = e.ruleStack[e.ruleStack.length - 1];
    bag.report("syntaxError", span, { found, expected }, syntaxHint(header, found, expected, e.previous));
  }
  const program = cst ? cstToAst(cst, lexed.comments, text.length) : empty;
  return { program, diagnostics: bag };
}

/** Hints for the slips people make most, from habits of other languages. */
function syntaxHint(rule: string | undefined, found: string, expected: string, previous: IToken | undefined): { hint?: string } {
  if ((rule === "modelDecl" || rule === "blockDecl") && expected === "'('" && found === "'{'") {
    const kind = rule === "modelDecl" ? "model" : "block";
    return { hint: `a ${kind} without parameters still takes \`()\`, as in \`${kind} ${previous?.image ?? "Name"}() {\`` };
  }
  if (rule === "callOrName" && found === "'='" && previous?.tokenType === Identifier)
    return { hint: `named arguments are written \`${previous.image}: value\`` };
  return {};
}

/** The program rule's own failure to go on (chevrotain's "expected EOF"), as opposed to an error inside a declaration. */
function isTopLevelResync(e: { message: string; ruleStack: readonly string[] }): boolean {
  return e.ruleStack.length <= 1 && /--> EOF <--/.test(e.message);
}

function findExcessiveNesting(tokens: IToken[]): Span | undefined {
  let depth = 0;
  let minusRun = 0;
  for (const t of tokens) {
    const type = t.tokenType;
    if (type === LParen || type === LBracket || type === LBrace) depth++;
    else if (type === RParen || type === RBracket || type === RBrace) depth = Math.max(0, depth - 1);
    minusRun = type === Minus ? minusRun + 1 : 0;
    if (depth > MAX_NESTING || minusRun > MAX_NESTING) return { start: t.startOffset, end: t.startOffset + t.image.length };
  }
  return undefined;
}

function errorSpan(token: IToken, previous: IToken | undefined, text: string): Span {
  const afterPrevious = previous && !Number.isNaN(previous.startOffset) ? previous.startOffset + previous.image.length : undefined;
  if (!Number.isNaN(token.startOffset) && token.image.length > 0) {
    // Inside an unclosed `(` the next line's first token is what fails; the mistake is at the end of the line before.
    if (afterPrevious !== undefined && afterPrevious <= token.startOffset && text.slice(afterPrevious, token.startOffset).includes("\n"))
      return { start: afterPrevious, end: afterPrevious };
    return { start: token.startOffset, end: token.startOffset + token.image.length };
  }
  if (!Number.isNaN(token.startOffset) && token.tokenType.name === "Newline") {
    // A synthetic end of statement (before `}` or at end of file): point just after the previous token.
    const at = previous && !Number.isNaN(previous.startOffset) ? previous.startOffset + previous.image.length : token.startOffset;
    return { start: at, end: at };
  }
  const at = previous && !Number.isNaN(previous.startOffset) ? previous.startOffset + previous.image.length : text.length;
  return { start: at, end: at };
}

function describeToken(token: IToken): string {
  if (token.tokenType.name === "EOF" || Number.isNaN(token.startOffset)) return "end of file";
  if (token.tokenType.name === "Newline") return token.image === ";" ? "';'" : "end of line";
  return `'${token.image.length > 20 ? token.image.slice(0, 20) + "…" : token.image}'`;
}

const RULE_EXPECTATIONS: Record<string, string> = {
  program: "`model` or `block`",
  statement: "a statement (binding, input, output, param, return, repeat or train)",
  expression: "an expression",
  additive: "an expression",
  multiplicative: "an expression",
  unary: "an expression",
  atom: "an expression",
  argument: "an argument",
  typeExpr: "a type",
  paramDecl: "a parameter declaration `name: type`",
};

function expectedFrom(message: string, ruleStack: string[]): string {
  const single = /Expecting(?: token of type)? --> (.*?) <--/.exec(message);
  if (single) return single[1]!.replace(/^'(.*)'$/, "'$1'");
  const rule = ruleStack[ruleStack.length - 1] ?? "program";
  return (Object.hasOwn(RULE_EXPECTATIONS, rule) ? RULE_EXPECTATIONS[rule] : undefined) ?? `a ${rule}`;
}
