// Token definitions for .dlg, and the lexing pass that makes statement ends explicit for the grammar.
import { createToken, createTokenInstance, Lexer, type IToken, type TokenType } from "chevrotain";

export const Identifier = createToken({ name: "Identifier", pattern: /[A-Za-z_][A-Za-z0-9_]*/, label: "a name" });

function keyword(word: string): TokenType {
  return createToken({ name: word[0]!.toUpperCase() + word.slice(1), pattern: new RegExp(word), longer_alt: Identifier });
}

export const Model = keyword("model");
export const Block = keyword("block");
export const Input = keyword("input");
export const Output = keyword("output");
export const Param = keyword("param");
export const Return = keyword("return");
export const Repeat = keyword("repeat");
export const Train = keyword("train");
export const With = keyword("with");
export const As = keyword("as");
export const KEYWORDS = ["model", "block", "input", "output", "param", "return", "repeat", "train", "with", "as"] as const;

export const WhiteSpace = createToken({ name: "WhiteSpace", pattern: /[ \t\r\f\v]+/, group: Lexer.SKIPPED });
export const Comment = createToken({ name: "Comment", pattern: /#[^\n]*/, group: "comments" });
/** A newline or `;`: ends a statement. */
export const Newline = createToken({ name: "Newline", pattern: /\n|;/, line_breaks: true, label: "end of statement (newline or ';')" });
export const NumberLit = createToken({ name: "NumberLit", pattern: /(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?/, label: "number" });
export const StringLit = createToken({ name: "StringLit", pattern: /"(?:[^"\\\n]|\\.)*"/, label: "string" });
export const UnterminatedString = createToken({ name: "UnterminatedString", pattern: /"(?:[^"\\\n]|\\.)*/, label: "string" });
export const Arrow = createToken({ name: "Arrow", pattern: /->/, label: "'->'" });
export const Plus = createToken({ name: "Plus", pattern: /\+/, label: "'+'" });
export const Minus = createToken({ name: "Minus", pattern: /-/, label: "'-'" });
export const Star = createToken({ name: "Star", pattern: /\*/, label: "'*'" });
export const Slash = createToken({ name: "Slash", pattern: /\//, label: "'/'" });
export const At = createToken({ name: "At", pattern: /@/, label: "'@'" });
export const LParen = createToken({ name: "LParen", pattern: /\(/, label: "'('" });
export const RParen = createToken({ name: "RParen", pattern: /\)/, label: "')'" });
export const LBracket = createToken({ name: "LBracket", pattern: /\[/, label: "'['" });
export const RBracket = createToken({ name: "RBracket", pattern: /]/, label: "']'" });
export const LBrace = createToken({ name: "LBrace", pattern: /{/, label: "'{'" });
export const RBrace = createToken({ name: "RBrace", pattern: /}/, label: "'}'" });
export const Comma = createToken({ name: "Comma", pattern: /,/, label: "','" });
export const Colon = createToken({ name: "Colon", pattern: /:/, label: "':'" });
export const Equals = createToken({ name: "Equals", pattern: /=/, label: "'='" });

export const allTokens: TokenType[] = [
  WhiteSpace, Comment, Newline,
  Model, Block, Input, Output, Param, Return, Repeat, Train, With, As,
  Identifier, NumberLit, StringLit, UnterminatedString,
  Arrow, Plus, Minus, Star, Slash, At, LParen, RParen, LBracket, RBracket, LBrace, RBrace, Comma, Colon, Equals,
];

export const dlgLexer = new Lexer(allTokens, { positionTracking: "full", ensureOptimizations: false });

export interface LexedSource {
  tokens: IToken[];
  comments: IToken[];
  /** Offsets and lengths of characters the lexer could not match, merged into runs. */
  badRuns: { offset: number; length: number }[];
}

/**
 * Lexes, then rewrites the newline tokens so the grammar can demand one after every statement:
 * newlines inside `(...)` and `[...]` are dropped (an argument list may span lines), runs collapse to one,
 * and a synthetic end-of-statement is inserted before each `}` and at end of file.
 */
export function lex(text: string): LexedSource {
  const result = dlgLexer.tokenize(text);
  const badRuns: { offset: number; length: number }[] = [];
  for (const e of result.errors) {
    const last = badRuns[badRuns.length - 1];
    if (last && last.offset + last.length === e.offset) last.length += e.length;
    else badRuns.push({ offset: e.offset, length: e.length });
  }
  const out: IToken[] = [];
  const nesting: TokenType[] = [];
  const pushNewline = (offset: number) => {
    out.push(createTokenInstance(Newline, "", offset, offset - 1, NaN, NaN, NaN, NaN));
  };
  for (const token of result.tokens) {
    const type = token.tokenType;
    if (type === Newline) {
      const top = nesting[nesting.length - 1];
      if (top === LParen || top === LBracket) continue;
      if (out.length === 0 || out[out.length - 1]!.tokenType === Newline) continue;
      out.push(token);
      continue;
    }
    if (type === LParen || type === LBracket || type === LBrace) nesting.push(type);
    else if (type === RParen || type === RBracket || type === RBrace) {
      const open = type === RParen ? LParen : type === RBracket ? LBracket : LBrace;
      // Pop through to the matching opener so one stray bracket does not swallow every later newline.
      const at = nesting.lastIndexOf(open);
      if (at >= 0) nesting.length = at;
      if (type === RBrace && out.length > 0 && out[out.length - 1]!.tokenType !== Newline) pushNewline(token.startOffset);
    }
    out.push(token);
  }
  if (out.length > 0 && out[out.length - 1]!.tokenType !== Newline) pushNewline(text.length);
  return { tokens: out, comments: result.groups["comments"] ?? [], badRuns };
}
