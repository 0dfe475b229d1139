// The WGSL `dlg compile` writes for each example, as golden files: every distinct kernel of the forward program and
// of the training step at a small batch, for the WebGPU core limits, named as the command names them. A change to an
// emitter shows up here as a diff of the kernels it touches. Refreshed with UPDATE_GOLDEN=1.
import { expectGoldenDir, ROOT, runCli } from "../helpers.js";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";

/** The batch of the fused-IR goldens (tests/golden/fused), so the two sets describe the same programs. */
const GOLDEN_BATCH = 4;

const examples = readdirSync(join(ROOT, "dsl-examples")).filter((f) => f.endsWith(".dlg")).sort();
const goldenDir = join(ROOT, "tests", "golden", "wgsl");
const work = mkdtempSync(join(tmpdir(), "dlg-wgsl-golden-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe("WGSL of the examples (golden files, refreshed with UPDATE_GOLDEN=1)", () => {
  it("has examples to check", () => {
    expect(examples.length).toBeGreaterThan(0);
  });

  for (const file of examples) {
    it(`compiles ${file} to the expected WGSL kernels`, async () => {
      const name = file.replace(/\.dlg$/, "");
      const out = join(work, name);
      // Through the command itself: its limits, its deduplication by text and its file names are what is checked.
      const r = await runCli(["compile", join(ROOT, "dsl-examples", file), "--batch", String(GOLDEN_BATCH), "-o", out]);
      expect(r.stderr).toBe("");
      expect(r.code).toBe(0);
      const kernels = join(out, "kernels");
      const files = new Map(readdirSync(kernels).sort().map((f) => [f, readFileSync(join(kernels, f), "utf8")]));
      expectGoldenDir(join(goldenDir, name), files);
    });
  }
});
