// The layers of ../shared/DESIGN.md, enforced: dependency-cruiser runs the rules of .dependency-cruiser.cjs over the
// project, and over a small tree with one forbidden import of each kind, so the rules are known to be able to fail.
import { execFileSync } from "node:child_process";
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { ROOT } from "../helpers.js";

interface Violation {
  from: string;
  to: string;
  rule: { name: string };
  cycle?: { name: string }[];
}

const DEPCRUISE = join(ROOT, "node_modules", ".bin", "depcruise");

/** The violations dependency-cruiser finds under `cwd` (whose .dependency-cruiser.cjs and tsconfig.json it uses). */
function violations(cwd: string, folders: readonly string[]): Violation[] {
  let out: string;
  try {
    out = execFileSync(DEPCRUISE, [...folders, "--config", ".dependency-cruiser.cjs", "--output-type", "json"], { cwd, encoding: "utf8", maxBuffer: 64 << 20 });
  } catch (e) {
    // dependency-cruiser exits non-zero when it finds errors; its report is still on stdout.
    out = (e as { stdout?: string }).stdout ?? "";
    if (!out) throw e;
  }
  const result = JSON.parse(out) as { summary: { violations: Violation[] } };
  return result.summary.violations;
}

const describeViolation = (v: Violation) => `${v.rule.name}: ${v.from} -> ${v.to}${v.cycle ? ` (cycle ${v.cycle.map((c) => c.name).join(" -> ")})` : ""}`;

describe("the layers", () => {
  it("hold across the project: no forbidden import and no cycle", () => {
    const found = violations(ROOT, ["compiler", "runtime", "sessions", "cli", "bench", "web", "testing", "lsp"]).map(describeViolation);
    expect(found, found.join("\n")).toEqual([]);
  });

  describe("each rule fails on a forbidden import", () => {
    const dir = mkdtempSync(join(tmpdir(), "dlg-layers-"));
    afterAll(() => rmSync(dir, { recursive: true, force: true }));
    const files: Record<string, string> = {
      "compiler/diagnostics/span.ts": "export const span = 1;\n",
      "compiler/ir/graph.ts": 'import { kernel } from "../wgsl/kit.js";\nexport const graph = kernel;\n',
      "compiler/wgsl/kit.ts": 'import { op } from "../ops/add.js";\nexport const kernel = op;\n',
      "compiler/ops/add.ts": 'import { fuse } from "../4-optimize/fuse.js";\nexport const op = fuse;\n',
      "compiler/optimizers/sgd.ts": 'import { check } from "../2-check/check.js";\nexport const sgd = check;\n',
      "compiler/2-check/check.ts": 'import { emit } from "../5-codegen-wgsl/emit.js";\nexport const check = emit;\n',
      "compiler/4-optimize/fuse.ts": 'import { train } from "../../runtime/train.js";\nexport const fuse = train;\n',
      "compiler/5-codegen-wgsl/emit.ts": 'import { check } from "../2-check/check.js";\nexport const emit = check;\n',
      "runtime/train.ts": 'import { graph } from "../compiler/ir/graph.js";\nimport { readFileSync } from "node:fs";\nexport const train = [graph, readFileSync];\n',
      "runtime/node/files.ts": "export const files = 1;\n",
      "runtime/model.ts": 'import { files } from "./node/files.js";\nexport const model = files;\n',
      "compiler/export/onnx.ts": 'import { fuse } from "../4-optimize/fuse.js";\nexport const onnx = fuse;\n',
      "web/page.ts": 'import { check } from "../compiler/2-check/check.js";\nimport { model } from "../runtime/model.js";\nexport const page = [check, model];\n',
      "tsconfig.json": JSON.stringify({ compilerOptions: { module: "NodeNext", moduleResolution: "NodeNext", strict: true } }),
    };
    for (const [file, text] of Object.entries(files)) {
      mkdirSync(dirname(join(dir, file)), { recursive: true });
      writeFileSync(join(dir, file), text);
    }
    copyFileSync(join(ROOT, ".dependency-cruiser.cjs"), join(dir, ".dependency-cruiser.cjs"));
    const found = violations(dir, ["compiler", "runtime", "web"]);
    const broken = (rule: string) => found.filter((v) => v.rule.name === rule).map(describeViolation);

    it.each([
      ["ir-imports-diagnostics-only", "compiler/ir/graph.ts -> compiler/wgsl/kit.ts"],
      ["wgsl-kit-below-ops", "compiler/wgsl/kit.ts -> compiler/ops/add.ts"],
      ["ops-below-phases", "compiler/ops/add.ts -> compiler/4-optimize/fuse.ts"],
      ["optimizers-below-phases", "compiler/optimizers/sgd.ts -> compiler/2-check/check.ts"],
      ["phase-2-check-looks-down", "compiler/2-check/check.ts -> compiler/5-codegen-wgsl/emit.ts"],
      ["compiler-reads-only-the-manifest-contract", "compiler/4-optimize/fuse.ts -> runtime/train.ts"],
      ["runtime-is-compiler-free", "runtime/train.ts -> compiler/ir/graph.ts"],
      ["runtime-is-browser-safe", "runtime/train.ts -> fs"],
      ["runtime-core-below-node-helpers", "runtime/model.ts -> runtime/node/files.ts"],
      ["exporters-read-the-ir", "compiler/export/onnx.ts -> compiler/4-optimize/fuse.ts"],
      ["web-page-ships-only-the-browser-runtime", "web/page.ts -> compiler/2-check/check.ts"],
    ])("%s: %s", (rule, edge) => {
      expect(broken(rule).some((v) => v.startsWith(`${rule}: ${edge}`)), `${rule} reports ${broken(rule).join("; ") || "nothing"}`).toBe(true);
    });

    it("no-cycles", () => {
      expect(broken("no-cycles").length, found.map(describeViolation).join("\n")).toBeGreaterThan(0);
    });
  });
});
