import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runCli } from "../helpers.js";

const dir = mkdtempSync(join(tmpdir(), "dlg-cli-"));
function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

const good = file(
  "good.dlg",
  `model M(hidden: int = 16) {
  input x: f32[N, 8]
  input y: i32[N]
  h = dense(x, hidden) -> relu
  logits = dense(h, 3)
  output logits
  train cross_entropy(logits, y) with sgd(lr: 0.1, momentum: 0.9)
}
`,
);
const bad = file("bad.dlg", "model M() {\n  input x: f32[N, 8]\n  w = dense(x, 4)\n  y = w @ w\n  z = relu(q)\n  output y\n}\n");

describe("dlg check", () => {
  it("prints bindings, parameters and the total parameter count, and exits 0", async () => {
    const r = await runCli(["check", good]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("h       f32[N, 16]");
    expect(r.stdout).toMatch(/h\.weight\s+f32\[8, 16\]\s+128/);
    expect(r.stdout).toContain(`total parameters: ${8 * 16 + 16 + 16 * 3 + 3}`);
    expect(r.stderr).toBe("");
  });

  it("exits 1 and reports every independent error with its location", async () => {
    const r = await runCli(["check", bad]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("error[E201]: matmul: inner dims differ (4 vs N)");
    expect(r.stderr).toContain(`--> ${bad}:4:7`);
    expect(r.stderr).toContain("error[E101]: undefined name `q`");
    expect(r.stderr).toContain("2 errors in");
  });

  it("prints the JSON shape LANGUAGE.md specifies, with 1-based positions", async () => {
    const ok = JSON.parse((await runCli(["check", good, "--json"])).stdout);
    expect(ok).toEqual({
      ok: true,
      diagnostics: [],
      model: "M",
      inputs: { x: { dtype: "f32", shape: ["N", 8] }, y: { dtype: "i32", shape: ["N"] } },
      outputs: { logits: { dtype: "f32", shape: ["N", 3] } },
      params: [
        { name: "h.weight", dtype: "f32", shape: [8, 16] },
        { name: "h.bias", dtype: "f32", shape: [16] },
        { name: "logits.weight", dtype: "f32", shape: [16, 3] },
        { name: "logits.bias", dtype: "f32", shape: [3] },
      ],
      paramCount: 8 * 16 + 16 + 16 * 3 + 3,
    });
    const r = await runCli(["check", bad, "--json"]);
    expect(r.code).toBe(1);
    const json = JSON.parse(r.stdout);
    expect(json.ok).toBe(false);
    expect(json.diagnostics[0]).toMatchObject({ severity: "error", code: "E201", file: bad, line: 4, column: 7, endLine: 4, endColumn: 12 });
  });

  it("applies --set overrides and rejects unknown or ill-typed ones", async () => {
    expect((await runCli(["check", good, "--set", "hidden=32"])).stdout).toContain("h       f32[N, 32]");
    const unknown = await runCli(["check", good, "--set", "hiden=32"]);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain("has no hyperparameter `hiden`");
    expect(unknown.stderr).toContain("did you mean `hidden`?");
    const typed = await runCli(["check", good, "--set", "hidden=1.5"]);
    expect(typed.code).toBe(1);
    expect(typed.stderr).toContain("`hidden` is an int");
  });

  it("exits 2 with one line and no stack trace on bad usage", async () => {
    for (const argv of [["check"], ["check", join(dir, "missing.dlg")], ["check", good, "--frobnicate"], ["frob"], ["check", good, "--set", "novalue"], ["graph", good, "--format", "png"], ["check", dir]]) {
      const r = await runCli(argv);
      expect(r.code, argv.join(" ")).toBe(2);
      expect(r.stderr.trim().split("\n")).toHaveLength(1);
      expect(r.stderr).toMatch(/^dlg: /);
      expect(r.stderr).not.toMatch(/\s+at /);
    }
  });

  it("selects a model with --model and lists the models when the name is wrong", async () => {
    const two = file("two.dlg", "model A() {\n  input x: f32[N, 2]\n  output x\n}\nmodel B() {\n  input x: f32[N, 3]\n  output x\n}\n");
    expect((await runCli(["check", two])).stderr).toContain("pick one with --model");
    expect((await runCli(["check", two, "--model", "B"])).stdout).toContain("x  f32[N, 3]");
    expect((await runCli(["check", two, "--model", "C"])).stderr).toContain("no model named `C` (models: A, B)");
  });
});

describe("dlg fmt", () => {
  it("prints canonical text, rewrites with --write, and --check tells whether a file is formatted", async () => {
    const messy = file("messy.dlg", "model M(){\n  input x:f32[N,4]   # the input\n  y=relu(x)*2+1\n\n\n  output y\n}\n");
    const printed = await runCli(["fmt", messy]);
    expect(printed.stdout).toBe("model M() {\n  input x: f32[N, 4]  # the input\n  y = relu(x) * 2 + 1\n\n  output y\n}\n");
    expect((await runCli(["fmt", messy, "--check"])).code).toBe(1);
    expect((await runCli(["fmt", messy, "--write"])).code).toBe(0);
    expect(readFileSync(messy, "utf8")).toBe(printed.stdout);
    expect((await runCli(["fmt", messy, "--check"])).code).toBe(0);
  });

  it("refuses to format a file with syntax errors", async () => {
    const r = await runCli(["fmt", file("broken.dlg", "model M() {\n  y = (\n}\n")]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("error[E003]");
  });
});

describe("dlg graph", () => {
  it("renders the forward graph of primitive ops as DOT and Mermaid", async () => {
    const dot = await runCli(["graph", good]);
    expect(dot.code).toBe(0);
    expect(dot.stdout).toMatch(/^digraph "M" \{/);
    expect(dot.stdout).toContain('label="matmul\\nf32[N, 16]"');
    expect(dot.stdout).toMatch(/n0 -> n\d+;/);
    const mermaid = await runCli(["graph", good, "--format", "mermaid"]);
    expect(mermaid.stdout).toMatch(/^flowchart TD\n/);
    expect(mermaid.stdout).toContain('n0(["input x<br/>f32[N, 8]"])');
  });
});
