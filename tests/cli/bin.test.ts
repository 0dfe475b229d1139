import { ROOT } from "../helpers.js";
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

const root = ROOT;

describe("the installed dlg binary", () => {
  it("checks an example end to end as a separate process (npm test builds dist/ first)", () => {
    const r = spawnSync(process.execPath, [join(root, "bin/dlg.js"), "check", "dsl-examples/mnist-mlp.dlg"], { cwd: root, encoding: "utf8" });
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/total parameters: [\d,]+/);
  });

  it("prints one line and exits 2 for a missing file, with no stack trace", () => {
    const r = spawnSync(process.execPath, [join(root, "bin/dlg.js"), "check", "no/such/file.dlg"], { cwd: root, encoding: "utf8" });
    expect(r.status).toBe(2);
    expect(r.stderr).toBe("dlg: cannot read no/such/file.dlg: no such file\n");
  });
});
