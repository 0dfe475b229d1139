// Names that are properties of every JavaScript object (`__proto__`, `constructor`, `toString`...) are ordinary
// names in a .dlg file, in --set, in data fields and in checkpoints: every command treats them like any other name.
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { readCheckpoint, writeCheckpoint } from "../../runtime/node/checkpoint-file.js";
import { hostTensor } from "../../runtime/tensor.js";
import { runCli } from "../helpers.js";

const dir = mkdtempSync(join(tmpdir(), "dlg-hostile-proto-"));
const model = join(dir, "proto.dlg");
writeFileSync(model, `block constructor(toString: f32[N, K], valueOf: int) {
  hasOwnProperty = dense(toString, valueOf) -> relu
  return hasOwnProperty
}
model toString(toString: int = 4, valueOf: int = 3) {
  input __proto__: f32[N, 4]
  input constructor: i32[N]
  isPrototypeOf = constructor(__proto__, toString)
  hasOwnProperty = dense(isPrototypeOf, valueOf)
  output hasOwnProperty
  train cross_entropy(hasOwnProperty, constructor) with adam(lr: 0.01)
}
`);
const data = join(dir, "proto.safetensors");
const rows = 12;
await writeCheckpoint(data, new Map([
  ["__proto__", hostTensor("f32", [rows, 4], Float32Array.from({ length: rows * 4 }, (_, i) => Math.sin(i)))],
  ["constructor", hostTensor("i32", [rows], Int32Array.from({ length: rows }, (_, i) => i % 3))],
]));

describe("prototype names", () => {
  it("check, graph and compile treat them as names", async () => {
    const check = await runCli(["check", model]);
    expect(check.stderr).toBe("");
    expect(check.code).toBe(0);
    expect(check.stdout).toContain("__proto__       f32[N, 4]");
    expect((await runCli(["graph", model])).code).toBe(0);
    expect((await runCli(["compile", model, "--batch", "4", "-o", join(dir, "out"), "--set", "toString=5"])).code).toBe(0);
  });

  it("train, save and run with data fields and checkpoints named like them", async () => {
    const save = join(dir, "proto-weights.safetensors");
    const train = await runCli(["train", model, "--data", data, "--backend", "cpu", "--epochs", "2", "--batch", "4", "--save", save, "--json"]);
    expect(train.stderr).toBe("");
    expect(train.code).toBe(0);
    const saved = await readCheckpoint(save);
    expect([...saved.tensors.keys()]).toContain("isPrototypeOf.hasOwnProperty.weight");
    const run = await runCli(["run", model, "--weights", save, "--data", data, "--backend", "cpu", "--json"]);
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout).rows).toBeGreaterThan(0);
  });

  it.each(["__proto__", "constructor", "toString", "hasOwnProperty"])("--set %s=1 on a model without it is a diagnostic, not a crash", async (name) => {
    const r = await runCli(["check", "dsl-examples/iris-mlp.dlg", "--set", `${name}=1`]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`error[E301]: --set ${name}=1: model \`IrisMLP\` has no hyperparameter \`${name}\``);
  });

  it("a hyperparameter named toString takes --set, and a bad value is located", async () => {
    expect((await runCli(["check", model, "--set", "toString=6"])).stdout).toContain("toString = 6");
    const r = await runCli(["check", model, "--set", "toString=six"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("error[E301]: --set toString=six: `toString` is an int");
  });

  it("a dtype or a type named like a prototype property is an unknown name, not an inherited value", async () => {
    const bad = join(dir, "bad-types.dlg");
    writeFileSync(bad, "model M(n: constructor = 1) {\n  input x: toString[N, 4]\n  output x\n}\n");
    const r = await runCli(["check", bad]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("unknown type `constructor`");
    expect(r.stderr).toContain("unknown dtype `toString`");
    expect(r.stderr).not.toContain("function");
  });

  it("--set given twice is refused rather than silently taking one", async () => {
    const r = await runCli(["check", "dsl-examples/iris-mlp.dlg", "--set", "h=3", "--set", "h=4"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe("dlg: --set h is given twice ('h=3' and 'h=4')\n");
  });
});
