// Programs that are long or large rather than wrong: a long flat chain is checked and compiled like a short one
// (only real nesting is refused, where it is), and a model that would expand past what can be checked or run is
// refused at the statement that does it, before it is expanded.
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { compileModel } from "../../compiler/index.js";
import { MAX_GROUP_NODES } from "../../compiler/4-optimize/fuse.js";
import { compileText, runCli } from "../helpers.js";

const chain = (n: number, line: (i: number) => string) => Array.from({ length: n }, (_, i) => line(i)).join("\n");

describe("long chains", () => {
  it("a flat 3,000-term sum is checked, not refused as deep nesting", () => {
    const r = compileText(`model M() {\n  input x: f32[N, 4]\n  y = ${Array(3000).fill("x").join(" + ")}\n  output y\n}\n`);
    expect(r.diagnostics).toEqual([]);
    expect(r.check!.graph.nodes.filter((n) => n.op === "add")).toHaveLength(2999);
  });

  it("a chain of 20,000 piped block calls is checked", () => {
    const r = compileText(`block B(x: f32[N, 4]) {\n  return x * 2\n}\nmodel M() {\n  input x: f32[N, 4]\n  y = x${" -> B()".repeat(20_000)}\n  output y\n}\n`);
    expect(r.diagnostics).toEqual([]);
    expect(r.check!.graph.nodes.filter((n) => n.op === "mul")).toHaveLength(20_000);
  });

  it("real nesting is still refused, at the parenthesis that goes too deep", () => {
    const text = `model M() {\n  input x: f32[N, 4]\n  y = ${"(".repeat(200)}x${")".repeat(200)}\n  output y\n}\n`;
    const r = compileText(text);
    expect(r.diagnostics.map((d) => d.code)).toEqual(["E004"]);
    const start = r.diagnostics[0]!.span.start;
    expect(text[start]).toBe("(");
    expect(start).toBeGreaterThan(text.indexOf("= (") + 100);
  });

  it("an 8,000-statement elementwise chain compiles its training step in kernels of at most MAX_GROUP_NODES ops", () => {
    const body = chain(8000, (i) => `  h${i + 1} = h${i} * 0.5 + 0.01`);
    const r = compileText(`model M() {\n  input x: f32[N, 4]\n  input t: f32[N, 4]\n  param w: f32[4, 4]\n  h0 = x @ w\n${body}\n  output h8000\n  train mse(h8000, t) with sgd(lr: 0.1)\n}\n`);
    expect(r.diagnostics).toEqual([]);
    const manifest = compileModel(r.check!.graph, "M", { batch: 4, fuse: true });
    const train = manifest.programs.train!;
    // 16,000 forward ops and their gradients: split into groups, not one kernel per op and not one of 16,000.
    expect(train.kernels.length).toBeGreaterThan(Math.floor(16_000 / MAX_GROUP_NODES));
    expect(train.kernels.length).toBeLessThan(200);
  }, 60_000);
});

describe("sizes past the limits are located diagnostics, found before expanding", () => {
  it("nested repeats whose product is too large are refused at the repeat that crosses the limit", () => {
    const text = "model M() {\n  input x: f32[N, 4]\n  h = x\n  repeat 1000 {\n    repeat 1000 {\n      repeat 1000 {\n        h = h * 2\n      }\n    }\n  }\n  output h\n}\n";
    const r = compileText(text);
    expect(r.diagnostics.map((d) => d.code)).toEqual(["E125"]);
    expect(text.slice(r.diagnostics[0]!.span.start, r.diagnostics[0]!.span.end)).toBe("1000");
    expect(r.diagnostics[0]!.span.start).toBe(text.indexOf("repeat 1000", text.indexOf("repeat 1000") + 1) + 7);
    // Nothing of the refused repeat was expanded.
    expect(r.check!.graph.nodes.length).toBeLessThan(10);
  });

  it("a repeat inside a block called in a repeat multiplies too", () => {
    const r = compileText("block B(x: f32[N, 4]) {\n  y = x\n  repeat 2000 {\n    y = y * 2\n  }\n  return y\n}\nmodel M() {\n  input x: f32[N, 4]\n  h = x\n  repeat 500 {\n    h = B(h)\n  }\n  output h\n}\n");
    expect(r.diagnostics.map((d) => d.code)).toEqual(["E125"]);
  });

  it("parameters past 2^31 - 1 elements in all are refused at the layer that crosses it", () => {
    const r = compileText("model M() {\n  input x: f32[N, 40000]\n  h = dense(x, 40000)\n  y = dense(h, 40000)\n  output y\n}\n");
    expect(r.diagnostics.map((d) => d.code)).toEqual(["E127"]);
    expect(r.diagnostics[0]!.message).toContain("parameter `y.weight` brings the model to 3,200,040,000 parameters");
  });
});

describe("a model too large for host memory is refused from its checked shapes, before allocating", () => {
  const dir = mkdtempSync(join(tmpdir(), "dlg-hostile-sizes-"));
  const model = join(dir, "huge.dlg");
  writeFileSync(model, "model Huge() {\n  input x: f32[N, 40000]\n  input label: i32[N]\n  h = dense(x, 40000)\n  output h\n  train cross_entropy(h, label) with adam(lr: 0.001)\n}\n");
  it.each([
    ["init", ["init", model, "-o", join(dir, "w.safetensors")]],
    ["train", ["train", model, "--data", "mnist", "--backend", "cpu"]],
  ])("%s", async (_what, argv) => {
    const r = await runCli(argv);
    expect(r.stderr).toBe("dlg: model Huge: parameter `h.weight` needs 6.0 GiB, more than one tensor can hold here (4.0 GiB)\n");
    expect(r.code).toBe(1);
  });
});
