import { expectGolden, ROOT } from "../helpers.js";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { compile } from "../../compiler/index.js";
import { printGraph } from "../../compiler/ir/print.js";
import { verifyGraph } from "../../compiler/ir/verify.js";

const dir = join(ROOT, "tests", "golden", "ir");

describe("lowering to IR (golden text, refreshed with UPDATE_GOLDEN=1)", () => {
  for (const file of readdirSync(dir).filter((f) => f.endsWith(".dlg"))) {
    it(`lowers ${file} to the expected primitive graph`, () => {
      const text = readFileSync(join(dir, file), "utf8");
      const result = compile(text, file);
      expect(result.diagnostics).toEqual([]);
      expect(verifyGraph(result.check!.graph)).toEqual([]);
      const ir = printGraph(result.check!.graph);
      expectGolden(join(dir, file.replace(/\.dlg$/, ".ir")), ir);
    });
  }
});
