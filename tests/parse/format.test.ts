// Property: the formatter is a fixpoint that keeps meaning. For generated programs (in messy layouts), syntax soup,
// and token soup that happens to parse: format(parse(src)) parses without errors, formatting it again changes
// nothing, its AST equals the original's with spans stripped (comments kept, in order), and checking it gives the
// same types (and, for programs that do not check, the same diagnostics).
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { runs } from "../check/properties/settings.js";
import { formatProgram } from "../../compiler/1-parse/format.js";
import { parse } from "../../compiler/1-parse/parse.js";
import type { Program } from "../../compiler/1-parse/ast.js";
import { compile } from "../../compiler/index.js";
import { formatType } from "../../compiler/ir/types.js";
import { programArb, render, type Generated } from "../check/properties/generator.js";
import { syntaxSoupArb, tokenSoupArb } from "../check/properties/soup.js";

/** The AST without positions; comments reduced to their text as printed. */
function strip(p: Program): unknown {
  const walk = (x: unknown): unknown => {
    if (Array.isArray(x)) return x.map(walk);
    if (x && typeof x === "object") {
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(x)) if (k !== "span" && k !== "opSpan" && k !== "bodySpan" && k !== "comments") out[k] = walk(v);
      return out;
    }
    return x;
  };
  return { decls: walk(p.decls), comments: p.comments.map((c) => c.text.trimEnd()) };
}

/** What checking says about a program, independent of layout: types of bindings, and diagnostics without positions. */
function meaning(text: string): unknown {
  const r = compile(text, "fmt.dlg");
  return {
    bindings: (r.check?.bindings ?? []).map((b) => `${b.name}: ${b.type ? formatType(b.type) : b.description}`),
    diagnostics: r.diagnostics.map((d) => `${d.code} ${d.message}`).sort(),
  };
}

/** Returns the formatted text after checking the properties; `src` must parse cleanly. */
function checkFormat(src: string): string {
  const first = parse(src, "a.dlg");
  expect(first.diagnostics.items, src).toEqual([]);
  const formatted = formatProgram(first.program, src);
  const second = parse(formatted, "b.dlg");
  expect(second.diagnostics.items, formatted).toEqual([]);
  expect(formatProgram(second.program, formatted), formatted).toBe(formatted);
  expect(strip(second.program)).toEqual(strip(first.program));
  expect(meaning(formatted)).toEqual(meaning(src));
  return formatted;
}

describe("the formatter", () => {
  it("is idempotent and keeps the AST and the types of generated programs", () => {
    fc.assert(
      fc.property(programArb, ({ program }: Generated) => {
        const src = render(program).text;
        checkFormat(src);
        // The canonical layout of the generator is already formatted, modulo blank lines between declarations.
      }),
      runs(0x5eed08, 800),
    );
  });

  it("is idempotent and keeps the AST and the diagnostics of syntax soup", () => {
    fc.assert(
      fc.property(syntaxSoupArb, (src) => {
        checkFormat(src);
      }),
      runs(0x5eed09, 1500),
    );
  });

  it("formats left-deep chains of any length (`a + a + ...`, `x -> f -> ...`) without recursing per term", () => {
    const tails = [" + a", " * a", " - a", " -> relu", " -> dense(4)", " + a * a"].map((t) => t.repeat(20_000));
    tails.push(" + a * a".repeat(10_000) + " -> relu".repeat(10_000));
    for (const tail of tails) {
      const src = `model M() {\n  input a: f32[N, 4]\n  y = a${tail}\n  output y\n}\n`;
      const parsed = parse(src, "long.dlg");
      expect(parsed.diagnostics.items).toEqual([]);
      // The source is already in canonical form.
      expect(formatProgram(parsed.program, src)).toBe(src);
    }
  });

  it("is idempotent and keeps the AST of token soup that happens to parse", () => {
    let parsed = 0;
    const settings = runs(0x5eed0a, 4000);
    fc.assert(
      fc.property(tokenSoupArb, (src) => {
        if (parse(src, "s.dlg").diagnostics.items.length > 0) return;
        parsed++;
        checkFormat(src);
      }),
      settings,
    );
    // Enough of the soup parses for this to mean something.
    expect(parsed).toBeGreaterThan(settings.numRuns / 80);
  });
});
