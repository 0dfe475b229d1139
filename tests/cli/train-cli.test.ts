import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { readCheckpoint } from "../../runtime/node/checkpoint-file.js";
import { runCli } from "../helpers.js";

const dir = mkdtempSync(join(tmpdir(), "dlg-train-"));
const iris = "dsl-examples/iris-mlp.dlg";

describe("dlg train on the CPU", () => {
  it("learns iris, printing one JSON object per epoch with the held-out accuracy", async () => {
    const r = await runCli(["train", iris, "--data", "iris", "--backend", "cpu", "--epochs", "40", "--batch", "16", "--seed", "3", "--json"]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split("\n").map((l) => JSON.parse(l));
    expect(lines).toHaveLength(40);
    for (const [i, line] of lines.entries()) {
      expect(Object.keys(line).sort()).toEqual(["accuracy", "backend", "epoch", "loss", "seconds"]);
      expect(line.epoch).toBe(i + 1);
      expect(line.backend).toBe("cpu");
    }
    expect(lines[39].loss).toBeLessThan(lines[0].loss / 3);
    expect(lines[39].accuracy).toBeGreaterThanOrEqual(0.9);
  });

  it("is reproducible: the same seed gives the same losses, another seed different ones", async () => {
    const run = async (seed: string) => (await runCli(["train", iris, "--data", "iris", "--backend", "cpu", "--epochs", "2", "--seed", seed, "--json"])).stdout
      .trim().split("\n").map((l) => JSON.parse(l).loss);
    const a = await run("5");
    expect(await run("5")).toEqual(a);
    expect(await run("6")).not.toEqual(a);
  });

  it("saves parameters and optimizer state, and --resume continues from them", async () => {
    const ckpt = join(dir, "iris.safetensors");
    expect((await runCli(["train", iris, "--data", "iris", "--backend", "cpu", "--epochs", "1", "--batch", "30", "--save", ckpt])).code).toBe(0);
    const first = await readCheckpoint(ckpt);
    expect([...first.tensors.keys()]).toEqual(expect.arrayContaining(["hidden.weight", "hidden.bias", "logits.weight", "logits.bias", "hidden.weight.exp_avg", "optimizer.step"]));
    expect(first.tensors.get("optimizer.step")!.data[0]).toBe(4); // 120 rows in batches of 30
    expect((await runCli(["train", iris, "--data", "iris", "--backend", "cpu", "--epochs", "1", "--batch", "30", "--resume", ckpt, "--save", ckpt])).code).toBe(0);
    const second = await readCheckpoint(ckpt);
    expect(second.tensors.get("optimizer.step")!.data[0]).toBe(8);
    const run = await runCli(["run", iris, "--weights", ckpt, "--data", "iris", "--backend", "cpu", "--json"]);
    expect(JSON.parse(run.stdout)).toMatchObject({ model: "IrisMLP", rows: 30, backend: "cpu" });
  });

  it("stops with a message naming the step when the loss stops being finite", async () => {
    const sgd = join(dir, "sgd.dlg");
    const { writeFileSync } = await import("node:fs");
    writeFileSync(sgd, readFileSync(iris, "utf8").replace("adam(lr: 0.02)", "sgd(lr: 0.1, momentum: 0.9)").replace("-> tanh", "-> relu"));
    const r = await runCli(["train", sgd, "--data", "iris", "--backend", "cpu", "--epochs", "3", "--lr", "1e30", "--json"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^dlg: the loss became (NaN|Infinity|-Infinity) at epoch \d+, step \d+ of \d+; training stopped/);
  });

  it("refuses a checkpoint made for another model, listing what differs", async () => {
    const other = join(dir, "other.safetensors");
    expect((await runCli(["init", "dsl-examples/mnist-mlp.dlg", "-o", other])).code).toBe(0);
    const r = await runCli(["run", iris, "--weights", other, "--data", "iris", "--backend", "cpu"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("does not fit this model: missing tensor `hidden.weight`");
  });

  it("names what the dataset provides when an input has no field", async () => {
    const r = await runCli(["train", "dsl-examples/mnist-mlp.dlg", "--data", "iris", "--backend", "cpu"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe("dlg: model input `image` has no field in dataset iris (it provides features: f32[N, 4], label: i32[N])\n");
  });

  it("reports a truncated checkpoint in one line", async () => {
    const bad = join(dir, "bad.safetensors");
    await runCli(["init", iris, "-o", bad]);
    const bytes = readFileSync(bad);
    const { writeFileSync } = await import("node:fs");
    writeFileSync(bad, bytes.subarray(0, bytes.length - 7));
    const r = await runCli(["run", iris, "--weights", bad, "--data", "iris", "--backend", "cpu"]);
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
    expect(r.stderr).toMatch(/^dlg: .*bad\.safetensors/);
  });

  it("rejects bad flags before doing any work", async () => {
    for (const argv of [
      ["train", iris, "--data", "iris", "--backend", "cpu", "--epochs", "0"],
      ["train", iris, "--data", "iris", "--backend", "cpu", "--lr", "-1"],
      ["train", iris, "--data", "iris", "--backend", "tpu"],
      ["train", iris, "--data", "iris", "--backend", "cpu", "--adapter", "x"],
      ["train", iris],
      ["run", iris, "--data", "iris", "--backend", "cpu"],
      ["init", iris],
      ["init", iris, "-o", "x.safetensors", "--data", "iris"],
    ]) {
      const r = await runCli(argv);
      expect(r.code, argv.join(" ")).toBe(2);
      expect(r.stderr).toMatch(/^dlg: .*\n$/);
    }
  });
});

describe("dlg init and dlg grad", () => {
  it("writes the same initial weights for the same seed", async () => {
    const [a, b, c] = ["a", "b", "c"].map((n) => join(dir, `${n}.safetensors`));
    await runCli(["init", iris, "--seed", "7", "-o", a!]);
    await runCli(["init", iris, "--seed", "7", "-o", b!]);
    await runCli(["init", iris, "--seed", "8", "-o", c!]);
    expect(readFileSync(a!).equals(readFileSync(b!))).toBe(true);
    expect(readFileSync(a!).equals(readFileSync(c!))).toBe(false);
  });

  it("writes the loss and one gradient per parameter for the first rows", async () => {
    const w = join(dir, "w.safetensors");
    const g = join(dir, "g.safetensors");
    await runCli(["init", iris, "-o", w]);
    const r = await runCli(["grad", iris, "--weights", w, "--data", "iris", "--batch", "8", "-o", g]);
    expect(r.code).toBe(0);
    const grads = await readCheckpoint(g);
    expect([...grads.tensors.keys()]).toEqual(["hidden.weight", "hidden.bias", "logits.weight", "logits.bias", "loss"]);
    expect(grads.tensors.get("hidden.weight")!.shape).toEqual([4, 16]);
    const loss = grads.tensors.get("loss")!.data[0]!;
    expect(loss).toBeGreaterThan(0);
    expect(Math.abs(Array.from(grads.tensors.get("logits.bias")!.data).reduce((s, x) => s + x, 0))).toBeLessThan(1e-6); // softmax rows sum to 1
  });
});
