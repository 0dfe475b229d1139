// The TextMate grammar of the VS Code extension (editors/vscode) tokenizes every example without gaps: every
// non-blank character gets a scope of its own beyond `source.dlg`, tokenized by VS Code's own engine
// (vscode-textmate with the Oniguruma regex library).
import { readFileSync, readdirSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import vsctm from "vscode-textmate";
import oniguruma from "vscode-oniguruma";
import { ROOT } from "../helpers.js";

const require = createRequire(import.meta.url);
const wasm = readFileSync(require.resolve("vscode-oniguruma/release/onig.wasm"));
await oniguruma.loadWASM(wasm.buffer.slice(wasm.byteOffset, wasm.byteOffset + wasm.byteLength));
const registry = new vsctm.Registry({
  onigLib: Promise.resolve({ createOnigScanner: (p: string[]) => new oniguruma.OnigScanner(p), createOnigString: (s: string) => new oniguruma.OnigString(s) }),
  loadGrammar: async (scope: string) => (scope === "source.dlg"
    ? vsctm.parseRawGrammar(readFileSync(join(ROOT, "editors/vscode/syntaxes/dlg.tmLanguage.json"), "utf8"), "dlg.tmLanguage.json")
    : null),
});
const grammar = (await registry.loadGrammar("source.dlg"))!;

const files = [
  ...readdirSync(join(ROOT, "dsl-examples")).filter((f) => f.endsWith(".dlg")).map((f) => join("dsl-examples", f)),
  ...readdirSync(join(ROOT, "dsl-examples", "bad")).filter((f) => f.endsWith(".dlg")).map((f) => join("dsl-examples", "bad", f)),
];

/** Each token of `text` as [line, text, innermost scope]. */
function tokens(text: string): { line: number; text: string; scopes: string[] }[] {
  const out: { line: number; text: string; scopes: string[] }[] = [];
  let stack = vsctm.INITIAL;
  text.split("\n").forEach((line, i) => {
    const r = grammar.tokenizeLine(line, stack);
    for (const t of r.tokens) out.push({ line: i + 1, text: line.slice(t.startIndex, t.endIndex), scopes: t.scopes });
    stack = r.ruleStack;
  });
  return out;
}

describe("the TextMate grammar", () => {
  it.each(files)("tokenizes %s without gaps", (file) => {
    const gaps = tokens(readFileSync(join(ROOT, file), "utf8"))
      .filter((t) => t.scopes.length === 1 && t.text.trim() !== "")
      .map((t) => `line ${t.line}: ${JSON.stringify(t.text)}`);
    expect(gaps).toEqual([]);
  });

  it("gives the language's pieces their scopes", () => {
    const scopeOf = (text: string, piece: string) => tokens(text).find((t) => t.text === piece)?.scopes.at(-1);
    const line = 'model M(h: int = 8) {  # hidden width\n  x = dense(image, h, bias: true) -> relu @ w2 + 1.5e-3 "s"\n}';
    expect(scopeOf(line, "model")).toBe("storage.type.model.dlg");
    expect(scopeOf(line, "M")).toBe("entity.name.type.dlg");
    expect(scopeOf(line, "int")).toBe("support.type.dlg");
    expect(scopeOf(line, "# hidden width")).toBe("comment.line.number-sign.dlg");
    expect(scopeOf(line, "dense")).toBe("entity.name.function.dlg");
    expect(scopeOf(line, "bias")).toBe("variable.parameter.dlg");
    expect(scopeOf(line, "true")).toBe("constant.language.boolean.dlg");
    expect(scopeOf(line, "->")).toBe("keyword.operator.dlg");
    expect(scopeOf(line, "1.5e-3")).toBe("constant.numeric.dlg");
    expect(scopeOf(line, "image")).toBe("variable.other.dlg");
  });

  it("is wired into the extension's manifest", () => {
    const manifest = JSON.parse(readFileSync(join(ROOT, "editors/vscode/package.json"), "utf8"));
    expect(manifest.contributes.grammars).toEqual([{ language: "dlg", scopeName: "source.dlg", path: "./syntaxes/dlg.tmLanguage.json" }]);
    expect(manifest.contributes.languages[0].extensions).toEqual([".dlg"]);
    expect(readFileSync(join(ROOT, "editors/vscode/extension.js"), "utf8")).toContain('args: ["lsp", "--stdio"]');
  });
});
