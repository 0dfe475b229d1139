// Property: no input makes `compile` throw or hang. Anything that is not a valid program gets at least one diagnostic,
// every diagnostic has a code, a message and a span inside the text, and rendering the diagnostics works.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { runs } from "./settings.js";
import { compile, type CompileResult } from "../../../compiler/index.js";
import { renderAll } from "../../../compiler/diagnostics/diagnostic.js";
import { formatProgram } from "../../../compiler/1-parse/format.js";
import { parse } from "../../../compiler/1-parse/parse.js";
import { bindingType } from "../../helpers.js";
import { tokenSoupArb } from "./soup.js";
import { MAX_DIAGNOSTICS } from "../../../compiler/2-check/context.js";

/** Compiles and checks the invariants every result must satisfy, whatever the input. */
function compileSafely(text: string, budgetMs = 2000): CompileResult {
  const t0 = performance.now();
  const result = compile(text, "hostile.dlg");
  const elapsed = performance.now() - t0;
  expect(elapsed, `compile took ${elapsed.toFixed(0)} ms on ${text.length} characters`).toBeLessThan(budgetMs);
  for (const d of result.diagnostics) {
    expect(d.code).toMatch(/^[EW]\d{3}$/);
    expect(d.message.length).toBeGreaterThan(0);
    expect(0 <= d.span.start && d.span.start <= d.span.end && d.span.end <= text.length, `span ${d.span.start}-${d.span.end} of ${text.length}`).toBe(true);
  }
  // Without any diagnostic, it is a valid program: a model was chosen, checked, and has an output or a loss.
  if (result.diagnostics.length === 0) {
    expect(result.ok).toBe(true);
    expect(result.check?.model).toBeDefined();
    const graph = result.check!.graph;
    expect(graph.outputs.length > 0 || graph.loss !== undefined).toBe(true);
  }
  expect(result.ok).toBe(!result.diagnostics.some((d) => d.severity === "error"));
  expect(typeof renderAll(result.diagnostics, { path: "hostile.dlg", text })).toBe("string");
  // What parses cleanly can be formatted (`dlg fmt`), and the result parses cleanly again.
  const parsed = parse(text, "hostile.dlg");
  if (parsed.diagnostics.errorCount === 0) {
    const formatted = formatProgram(parsed.program, text);
    expect(parse(formatted, "formatted.dlg").diagnostics.items).toEqual([]);
  }
  return result;
}

const latin1 = (bytes: Uint8Array) => Buffer.from(bytes).toString("latin1");
const utf8 = (bytes: Uint8Array) => new TextDecoder("utf-8").decode(bytes);

describe("hostile input", () => {
  it("token soup never throws, and gets a diagnostic unless it is a valid program", () => {
    fc.assert(
      fc.property(tokenSoupArb, (text) => {
        compileSafely(text);
      }),
      runs(0x5eed04, 3000),
    );
  });

  it("random strings never throw", () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ maxLength: 200 }), fc.string({ unit: "binary", maxLength: 200 }), fc.string({ unit: "grapheme", maxLength: 100 })), (text) => {
        compileSafely(text);
      }),
      runs(0x5eed05, 1500),
    );
  });

  it("random bytes, decoded as latin1 or utf-8, never throw", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.boolean(), (bytes, asLatin1) => {
        compileSafely(asLatin1 ? latin1(bytes) : utf8(bytes));
      }),
      runs(0x5eed06, 1500),
    );
  });

  it("random bytes inside a model body never throw", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 120 }), (bytes) => {
        compileSafely(`model M() {\n  input x: f32[N, 4]\n  y = ${latin1(bytes)}\n  output y\n}\n`);
      }),
      runs(0x5eed07, 1000),
    );
  });

  describe("explicit cases", () => {
    const wrap = (body: string) => `model M() {\n  input a: f32[N, 4]\n${body}\n}\n`;
    const errorsOf = (r: CompileResult) => r.diagnostics.filter((d) => d.severity === "error");

    it("an empty file", () => {
      expect(errorsOf(compileSafely("")).length).toBeGreaterThan(0);
    });

    it("a file of comments only", () => {
      expect(errorsOf(compileSafely("# one\n#two\n   # three\n#")).length).toBeGreaterThan(0);
    });

    it("100k-deep nesting", () => {
      expect(errorsOf(compileSafely("(".repeat(100_000))).length).toBeGreaterThan(0);
      expect(errorsOf(compileSafely(wrap(`  y = ${"(".repeat(100_000)}a${")".repeat(100_000)}\n  output y`))).length).toBeGreaterThan(0);
      expect(errorsOf(compileSafely(wrap(`  y = ${"[".repeat(100_000)}`))).length).toBeGreaterThan(0);
      expect(errorsOf(compileSafely("model M() {".repeat(50_000))).length).toBeGreaterThan(0);
    });

    it("50k unary minuses", () => {
      expect(errorsOf(compileSafely(wrap(`  y = ${"-".repeat(50_000)}a\n  output y`))).length).toBeGreaterThan(0);
      expect(errorsOf(compileSafely(wrap(`  y = ${"- ".repeat(50_000)}a\n  output y`))).length).toBeGreaterThan(0);
      expect(errorsOf(compileSafely(wrap(`  y = ${"-(".repeat(20_000)}a${")".repeat(20_000)}\n  output y`))).length).toBeGreaterThan(0);
    });

    it("a 20k-term expression", () => {
      // Deeper than the checker recurses: it must say so in one diagnostic (E004), or check it; never throw. It parses,
      // so compileSafely also formats it.
      const long = [" + a", " * a", " - a", " -> relu"].map((t) => `a${t.repeat(20_000)}`);
      long.push(`a${" + a * a".repeat(10_000)}${" -> relu".repeat(10_000)}`);
      for (const expr of long) {
        const r = compileSafely(wrap(`  y = ${expr}\n  output y`), 5000);
        if (r.ok) expect(bindingType(r, "y")).toBe("f32[N, 4]");
        else expect(errorsOf(r).map((d) => d.code)).toEqual(["E004"]);
      }
      expect(errorsOf(compileSafely(wrap(`  y = a${" @ a".repeat(20_000)}\n  output y`), 5000)).length).toBeGreaterThan(0);
      expect(errorsOf(compileSafely(wrap(`  y = b${" + b".repeat(20_000)}\n  output y`), 5000)).length).toBeGreaterThan(0);
    });

    it("a 5000-statement file", () => {
      const lines = [...Array(5000).keys()].map((i) => `  x${i + 1} = relu(x${i})`);
      const ok = compileSafely(`model M() {\n  input x0: f32[N, 4]\n${lines.join("\n")}\n  output x5000\n}\n`, 5000);
      expect(ok.diagnostics).toEqual([]);
      // The same file with every name misspelled: 5000 independent mistakes; the first MAX_DIAGNOSTICS are reported,
      // in file order, each with a did-you-mean search.
      const typos = [...Array(5000).keys()].map((i) => `  x${i + 1} = relu(y${i})`);
      const bad = compileSafely(`model M() {\n  input x0: f32[N, 4]\n${typos.join("\n")}\n  output x5000\n}\n`, 10_000);
      expect(errorsOf(bad)).toHaveLength(MAX_DIAGNOSTICS);
      expect(errorsOf(bad)[0]!.message).toBe("undefined name `y0`");
      // And 5000 statements that are each a syntax error.
      compileSafely(`model M() {\n${"  x = = )\n".repeat(5000)}}\n`, 5000);
    });

    it("a NUL byte", () => {
      expect(errorsOf(compileSafely("\0")).length).toBeGreaterThan(0);
      expect(errorsOf(compileSafely(wrap("  y = a\0\n  output y"))).length).toBeGreaterThan(0);
    });

    it("a lone closing brace", () => {
      expect(errorsOf(compileSafely("}")).length).toBeGreaterThan(0);
      expect(errorsOf(compileSafely(wrap("  }\n  output a"))).length).toBeGreaterThan(0);
    });

    it("a few hundred KB of garbage parses quickly", () => {
      const junk = "x = ( [ , ] ) -> @ model { } block \" 1e9 # c\n".repeat(8000);
      compileSafely(junk, 5000);
      compileSafely(wrap(junk), 5000);
    });

    it("dims and counts too large to be exact are errors, not wrong shapes", () => {
      // Past 2^53 numbers stop being exact integers: the arithmetic (or the op whose result it would be) is reported,
      // rather than a rounded dim in a shape, or a RangeError passed off as "nests too deep".
      for (const body of [
        "  y = reshape(a, [99999999999999999999, -1])\n  output y",
        "  b = dense(a, 9007199254740991 * 4096)\n  output b",
        "  c = conv2d(reshape(a, [N, 2, 2, 1]), 2, kernel: 9007199254740991 * 9007199254740991)\n  output c",
        "  repeat 99999999999 { a = relu(a) }\n  output a",
        "  input z: f32[N, 9007199254740991 * 9007199254740991]\n  output z",
        "  input z: f32[N, 4194304, 4194304, 4194304]\n  y = flatten(z)\n  output y",
        "  y = max_pool2d(reshape(a, [N, 2, 2, 1]), 99999999 * 99999999 * 9999)\n  output y",
      ]) {
        const errors = errorsOf(compileSafely(wrap(body)));
        expect(errors.length, body).toBeGreaterThan(0);
        expect(errors.map((d) => d.code), body).not.toContain("E004");
      }
    });
  });
});
