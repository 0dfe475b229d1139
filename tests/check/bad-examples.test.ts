// Golden diagnostics for dsl-examples/bad/: each file holds one realistic mistake, names the code it must produce on
// its first line (`# expect: E201`), and its .expected file holds exactly what `dlg check` prints to stderr.
// UPDATE_GOLDEN=1 rewrites the .expected files from the current output instead of comparing.
import { ROOT } from "../helpers.js";
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { diagnosticsText } from "../../cli/render.js";
import { compile } from "../../compiler/index.js";
import { runCli } from "../helpers.js";

const root = ROOT;
const dir = "dsl-examples/bad";
const files = readdirSync(join(root, dir))
  .filter((f) => f.endsWith(".dlg"))
  .sort();
const update = process.env["UPDATE_GOLDEN"] === "1";

function expectedCode(text: string): string | undefined {
  return /^# expect: ([EW]\d{3})\s*$/m.exec(text.split("\n")[0] ?? "")?.[1];
}

describe("dsl-examples/bad", () => {
  it("holds at least 18 examples, each expecting a different code or mistake", () => {
    expect(files.length).toBeGreaterThanOrEqual(18);
  });

  for (const file of files) {
    const path = `${dir}/${file}`;
    const text = readFileSync(join(root, path), "utf8");
    const goldenPath = join(root, path.replace(/\.dlg$/, ".expected"));

    it(`${file}: one error, the expected code, the golden rendering`, () => {
      const code = expectedCode(text);
      expect(code, `${path} must start with '# expect: E###'`).toBeDefined();
      const result = compile(text, path);
      expect(result.ok).toBe(false);
      const errors = result.diagnostics.filter((d) => d.severity === "error");
      expect(errors[0]?.code).toBe(code);
      expect(errors.map((d) => `${d.code} ${d.message}`)).toHaveLength(1);
      expect(result.diagnostics).toHaveLength(1);
      const rendered = diagnosticsText(result, { path, text }, false);
      if (update) writeFileSync(goldenPath, rendered);
      else expect(rendered).toBe(readFileSync(goldenPath, "utf8"));
    });
  }

  it("matches what `dlg check` prints to stderr, with exit status 1", async () => {
    for (const file of files.slice(0, 3)) {
      const path = `${dir}/${file}`;
      const absolute = join(root, path);
      const { code, stdout, stderr } = await runCli(["check", absolute]);
      expect(code).toBe(1);
      expect(stdout).toBe("");
      // The CLI prints the path it was given; the goldens are written with the repository-relative one.
      expect(stderr.replaceAll(absolute, path)).toBe(readFileSync(absolute.replace(/\.dlg$/, ".expected"), "utf8"));
    }
  });
});
