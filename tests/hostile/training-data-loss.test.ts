// Hostile runs of `dlg train`: a run that diverges, that would save over its own inputs, that resumes from bad
// optimizer state, or that would fail late, loses nothing. The previous checkpoint is untouched byte for byte, and
// every refusal is one line before any step runs. Each backend behaves the same.
import { copyFileSync, linkSync, mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { readCheckpoint, writeCheckpoint } from "../../runtime/node/checkpoint-file.js";
import { hostTensor, type HostTensor } from "../../runtime/tensor.js";
import { adapterTest, openTestGpu } from "../gpu/gpu-helpers.js";
import { runCli } from "../helpers.js";

const gpu = await openTestGpu();
const dir = mkdtempSync(join(tmpdir(), "dlg-hostile-train-"));
const iris = "dsl-examples/iris-mlp.dlg";
const labelsModel = join(dir, "labels.dlg");
writeFileSync(labelsModel, "model L() {\n  input x: f32[N, 2]\n  input label: i32[N]\n  logits = dense(x, 3)\n  train cross_entropy(logits, label) with sgd(lr: 0.1)\n}\n");
const backends = gpu.ctx ? (["cpu", "webgpu"] as const) : (["cpu"] as const);

/** One epoch of iris on the CPU saved to `path`: a good checkpoint with Adam state. */
async function goodCheckpoint(path: string): Promise<Buffer> {
  const r = await runCli(["train", iris, "--data", "iris", "--backend", "cpu", "--epochs", "1", "--batch", "30", "--save", path]);
  expect(r.code, r.stderr).toBe(0);
  return readFileSync(path);
}

function readFileSafe(path: string): Buffer | undefined {
  try {
    return readFileSync(path);
  } catch {
    return undefined;
  }
}

function expectOneLine(stderr: string, pattern: RegExp): void {
  const lines = stderr.trim().split("\n").filter((l) => l.startsWith("dlg:") && !l.startsWith("dlg: warning") && !l.startsWith("dlg: note"));
  expect(lines, stderr).toHaveLength(1);
  expect(lines[0]).toMatch(pattern);
}

describe("hostile training runs", () => {
  adapterTest(gpu, "hostile-train");

  it.each(backends)("%s: a last update that makes the parameters non-finite exits 1 naming the epoch and step, and the resumed file is untouched", async (backend) => {
    const good = join(dir, `diverge-${backend}.safetensors`);
    const before = await goodCheckpoint(good);
    // One step per epoch (120 rows, batch 120): the loss of that step is finite, only its update overflows f32.
    const r = await runCli(["train", iris, "--data", "iris", "--backend", backend, "--epochs", "1", "--batch", "120", "--lr", "1e39", "--resume", good, "--save", good]);
    expect(r.code).toBe(1);
    expectOneLine(r.stderr, /^dlg: the parameters became non-finite at epoch 1 by step 1 of 1 .*`[a-z.]+` holds .*non-finite.*; .*diverge-\w+\.safetensors was not written$/);
    expect(readFileSync(good).equals(before)).toBe(true);
  });

  it("a run that stays finite may still resume into the file it resumed from", async () => {
    const good = join(dir, "resume-into.safetensors");
    const before = await goodCheckpoint(good);
    const r = await runCli(["train", iris, "--data", "iris", "--backend", "cpu", "--epochs", "1", "--resume", good, "--save", good]);
    expect(r.code, r.stderr).toBe(0);
    expect(readFileSync(good).equals(before)).toBe(false);
    expect((await readCheckpoint(good)).tensors.get("optimizer.step")!.data[0]).toBe(4 + 2);
  });

  describe("optimizer state on --resume is validated once, for both backends", () => {
    const base = join(dir, "state-base.safetensors");
    const variants: [string, (t: Map<string, HostTensor>) => void, RegExp][] = [
      ["a wrong shape", (t) => t.set("hidden.weight.exp_avg", hostTensor("f32", [2, 2])), /tensor `hidden\.weight\.exp_avg` has shape \[2, 2\] in the checkpoint but the model expects \[16, 4\]|\[4, 16\]/],
      ["a vector step", (t) => t.set("optimizer.step", hostTensor("f32", [3], Float32Array.of(1, 2, 3))), /tensor `optimizer\.step` has shape \[3\] in the checkpoint but the model expects \[\]/],
      ["an i32 moment", (t) => { const m = t.get("logits.bias.exp_avg")!; t.set("logits.bias.exp_avg", hostTensor("i32", m.shape)); }, /tensor `logits\.bias\.exp_avg` has dtype i32 in the checkpoint but the model expects f32/],
      ["a NaN moment", (t) => { const m = t.get("logits.bias.exp_avg_sq")!; const d = Float32Array.from(m.data); d[1] = NaN; t.set("logits.bias.exp_avg_sq", hostTensor("f32", m.shape, d)); }, /`logits\.bias\.exp_avg_sq` holds a non-finite value \(at index 1, is NaN\)/],
      ["a negative step", (t) => t.set("optimizer.step", hostTensor("f32", [], Float32Array.of(-2))), /`optimizer\.step` is -2, not a step count/],
      ["another optimizer's state", (t) => t.set("hidden.bias.momentum_buffer", hostTensor("f32", [16])), /`hidden\.bias\.momentum_buffer` is sgd state, but this model trains with adam/],
      ["partial state", (t) => t.delete("hidden.weight.exp_avg_sq"), /missing tensor `hidden\.weight\.exp_avg_sq`/],
    ];
    for (const backend of backends) {
      it.each(variants)(`${backend}: %s is refused before training, in one line`, async (_what, damage, message) => {
        if (!readFileSafe(base)) await goodCheckpoint(base);
        const tensors = new Map((await readCheckpoint(base)).tensors);
        damage(tensors);
        const path = join(dir, `state-${backend}-${_what.replace(/\W+/g, "-")}.safetensors`);
        await writeCheckpoint(path, tensors);
        const r = await runCli(["train", iris, "--data", "iris", "--backend", backend, "--epochs", "1", "--resume", path]);
        expect(r.code).toBe(1);
        expect(r.stdout).toBe("");
        expectOneLine(r.stderr, /^dlg: .*: its optimizer state does not fit this model: /);
        expect(r.stderr).toMatch(message);
      });
    }

    it.each(backends)("%s: a checkpoint without state resumes with fresh state and says so", async (backend) => {
      if (!readFileSafe(base)) await goodCheckpoint(base);
      const params = new Map([...(await readCheckpoint(base)).tensors].filter(([name]) => !/exp_avg|optimizer\.step/.test(name)));
      const path = join(dir, `params-only-${backend}.safetensors`);
      await writeCheckpoint(path, params);
      const r = await runCli(["train", iris, "--data", "iris", "--backend", backend, "--epochs", "1", "--resume", path, "--json"]);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).toContain(`dlg: note: ${path} holds no optimizer state; adam starts from fresh state\n`);
    });
  });

  describe("--save that is one of the inputs is refused before training, by real path", () => {
    const csv = join(dir, "data.csv");
    writeFileSync(csv, "a,b,label\n" + Array.from({ length: 20 }, (_, i) => `${i / 10},${(i % 3) / 2},${i % 3}`).join("\n") + "\n");
    const model = join(dir, "tab.dlg");
    writeFileSync(model, "model Tab() {\n  input x: f32[N, 2]\n  input label: i32[N]\n  logits = dense(x, 3)\n  train cross_entropy(logits, label) with sgd(lr: 0.1)\n}\n");
    const test = join(dir, "test.csv");
    copyFileSync(csv, test);
    const alias = join(dir, "alias.csv");
    symlinkSync(csv, alias);
    const hard = join(dir, "hard.dlg");
    linkSync(model, hard);

    it.each([
      ["the --data file", ["--save", csv], csv],
      ["the --data file, through a symlink", ["--save", alias], csv],
      ["the --test-data file", ["--test-data", test, "--save", test], test],
      ["the model source, through a hard link", ["--save", hard], model],
      ["the model source, spelled another way", ["--save", join(dir, ".", "tab.dlg")], model],
    ])("%s", async (_what, extra, victim) => {
      const before = readFileSync(victim);
      const r = await runCli(["train", model, "--data", csv, "--backend", "cpu", "--epochs", "1", ...extra]);
      expect(r.code).toBe(2);
      expectOneLine(r.stderr, /^dlg: --save .* is (the --data file|the --test-data file|the model source) \(.*\); writing there would destroy it/);
      expect(r.stdout).toBe("");
      expect(readFileSync(victim).equals(before)).toBe(true);
    });

    it("the --resume checkpoint of another run is an input too, unless it is also the --save target", async () => {
      const other = join(dir, "other.safetensors");
      const before = await goodCheckpoint(other);
      const r = await runCli(["init", iris, "-o", iris]);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/^dlg: -o dsl-examples\/iris-mlp\.dlg is the model source/);
      const g = await runCli(["grad", iris, "--data", "iris", "--weights", other, "-o", other]);
      expect(g.code).toBe(2);
      expect(g.stderr).toMatch(/^dlg: -o .* is the --weights checkpoint/);
      expect(readFileSync(other).equals(before)).toBe(true);
    });
  });

  describe("a --save path that cannot be written is refused before the first step", () => {
    const file = join(dir, "plain-file");
    writeFileSync(file, "x");
    mkdirSync(join(dir, "a-directory"));
    it.each([
      ["in a missing directory", join(dir, "missing", "m.safetensors"), /does not exist/],
      ["under a file", join(file, "m.safetensors"), /does not exist \(or a part of it is not a directory\)|is not a directory/],
      ["a directory", join(dir, "a-directory"), /is a directory; give a file name/],
    ])("%s", async (_what, save, reason) => {
      const r = await runCli(["train", iris, "--data", "iris", "--backend", "cpu", "--epochs", "1", "--save", save]);
      expect(r.code).toBe(2);
      expectOneLine(r.stderr, reason);
      expect(r.stdout).toBe(""); // no epoch ran
    });
  });

  it("a label out of range in --test-data is found before the first step, naming the file, the field and the row", async () => {
    const train = join(dir, "labels-train.csv");
    const test = join(dir, "labels-test.csv");
    writeFileSync(train, "a,b,label\n0.1,0.2,0\n0.3,0.1,1\n0.5,0.5,2\n");
    writeFileSync(test, "a,b,label\n0.1,0.2,0\n0.3,0.1,7\n");
    const r = await runCli(["train", labelsModel, "--data", train, "--test-data", test, "--backend", "cpu", "--epochs", "3"]);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe("");
    expectOneLine(r.stderr, new RegExp(`^dlg: ${test.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}: row 2, field \`label\`: label 7 is outside the model's 3 classes \\(0\\.\\.2\\)$`));
  });

  it("a label out of range in a held-out split names its row in the file", async () => {
    const data = join(dir, "labels-holdout.csv");
    writeFileSync(data, "a,b,label\n" + Array.from({ length: 10 }, (_, i) => `${i},${i},${i === 6 ? 5 : i % 3}`).join("\n") + "\n");
    const r = await runCli(["train", labelsModel, "--data", data, "--holdout", "0.5", "--backend", "cpu", "--epochs", "1"]);
    expect(r.code).toBe(1);
    expectOneLine(r.stderr, /: row 7( \(held out\))?, field `label`: label 5 is outside the model's 3 classes/);
  });

  it("NaN in a data file is refused when loading, naming the file, the field and the row", async () => {
    const x = hostTensor("f32", [4, 2], Float32Array.from([0, 1, 2, 3, 4, NaN, 6, 7]));
    const y = hostTensor("i32", [4], Int32Array.from([0, 1, 2, 0]));
    const path = join(dir, "nan.safetensors");
    await writeCheckpoint(path, new Map<string, HostTensor>([["x", x], ["label", y]]));
    const model = join(dir, "nan.dlg");
    writeFileSync(model, "model M() {\n  input x: f32[N, 2]\n  input label: i32[N]\n  logits = dense(x, 3)\n  train cross_entropy(logits, label) with sgd(lr: 0.1)\n}\n");
    const r = await runCli(["train", model, "--data", path, "--backend", "cpu", "--epochs", "1"]);
    expect(r.code).toBe(1);
    expectOneLine(r.stderr, /nan\.safetensors: row 3, field `x`: value NaN is not finite/);
  });

  it("an integer target column bound to an f32 input is converted, not refused", async () => {
    const data = join(dir, "regression.csv");
    writeFileSync(data, "a,b,y\n" + Array.from({ length: 12 }, (_, i) => `${i / 10},${(i * 7) % 5},${i * 3}`).join("\n") + "\n");
    const flat = join(dir, "regression-flat.dlg");
    writeFileSync(flat, "model R() {\n  input x: f32[N, 2]\n  input y: f32[N]\n  p = dense(x, 1) -> reshape([N])\n  train mse(p, y) with sgd(lr: 0.001)\n}\n");
    const r = await runCli(["train", flat, "--data", data, "--backend", "cpu", "--epochs", "1", "--json"]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
  });

  it("--test-data that is the --data file warns that the held-out figures are the training rows", async () => {
    const data = join(dir, "same.csv");
    writeFileSync(data, "a,b,label\n" + Array.from({ length: 9 }, (_, i) => `${i},${i % 2},${i % 3}`).join("\n") + "\n");
    const r = await runCli(["train", labelsModel, "--data", data, "--test-data", data, "--backend", "cpu", "--epochs", "1", "--json"]);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe("dlg: warning: --test-data is the --data file, so the held-out figures are measured on the training rows\n");
  });
});
