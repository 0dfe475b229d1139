// `dlg run -o`: every evaluated row's outputs in row order, as CSV or safetensors, equal to the reference forward pass
// of the same rows; the classifier summary (confusion matrix, precision, recall) agrees with those predictions; data
// without the loss's targets is predicted whole and not scored.
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { compile } from "../../compiler/index.js";
import { readCheckpoint } from "../../runtime/node/checkpoint-file.js";
import { loadDataset } from "../../runtime/node/data/index.js";
import { hostTensor } from "../../runtime/tensor.js";
import { CpuSession } from "../../sessions/cpu-session.js";
import { ROOT, runCli } from "../helpers.js";
import { expectClose } from "../gpu/gpu-helpers.js";
import { lossOnlyInputs } from "../../cli/predictions.js";

const dir = mkdtempSync(join(tmpdir(), "dlg-predict-"));
const iris = "dsl-examples/iris-mlp.dlg";

function parseCsv(text: string): { header: string[]; rows: number[][] } {
  const [head, ...lines] = text.trimEnd().split("\n");
  return { header: head!.split(","), rows: lines.map((l) => l.split(",").map(Number)) };
}

async function irisWeights(): Promise<string> {
  const weights = join(dir, "iris.safetensors");
  const r = await runCli(["train", iris, "--data", "iris", "--backend", "cpu", "--epochs", "20", "--batch", "16", "--seed", "2", "--save", weights]);
  expect(r.code, r.stderr).toBe(0);
  return weights;
}

function referenceLogits(source: string, weights: Map<string, import("../../runtime/tensor.js").HostTensor>, features: import("../../runtime/tensor.js").HostTensor, label: import("../../runtime/tensor.js").HostTensor) {
  const graph = compile(readFileSync(join(ROOT, source), "utf8"), source).check!.graph;
  const cpu = new CpuSession(graph, { seed: 0 });
  for (const [name, t] of weights) if (cpu.params.has(name)) cpu.params.set(name, t);
  return cpu.evaluateBatch({ features, label }, ["logits"]).outputs.get("logits")!;
}

describe("dlg run -o", () => {
  it("writes each held-out row's class and probabilities, as the reference computes them, with a matching summary", async () => {
    const weights = await irisWeights();
    // Iris as a CSV file, so the held-out rows are a seeded subset of the file's rows (the built-in split is shuffled).
    const builtIn = await loadDataset("iris");
    const all = [builtIn.train, builtIn.test].flatMap((split) => Array.from({ length: split["label"]!.shape[0]! }, (_, r) =>
      [...Array.from(split["features"]!.data.subarray(r * 4, r * 4 + 4)), split["label"]!.data[r]!].join(",")));
    const file = join(dir, "iris-data.csv");
    writeFileSync(file, `a,b,c,d,label\n${all.join("\n")}\n`);
    const csv = join(dir, "iris.csv");
    const r = await runCli(["run", iris, "--weights", weights, "--data", file, "--backend", "cpu", "-o", csv, "--json"]);
    expect(r.code, r.stderr).toBe(0);
    const summary = JSON.parse(r.stdout);
    const { header, rows } = parseCsv(readFileSync(csv, "utf8"));
    expect(header).toEqual(["row", "predicted", "p_0", "p_1", "p_2"]);
    // The held-out split: 30 of iris's 150 rows, in source order, named by their index in the source.
    const data = await loadDataset(file);
    expect(rows.map((row) => row[0])).toEqual(Array.from(data.sourceRows!.test));
    const held = Array.from(data.sourceRows!.test, (i) => all[i]!.split(",").map(Number));
    const truth = held.map((row) => row[4]!);
    const logits = referenceLogits(iris, (await readCheckpoint(weights)).tensors,
      hostTensor("f32", [30, 4], held.flatMap((row) => row.slice(0, 4))), hostTensor("i32", [30], truth));
    const confusion = [[0, 0, 0], [0, 0, 0], [0, 0, 0]];
    rows.forEach((row, i) => {
      const scores = Array.from({ length: 3 }, (_, c) => logits.data[i * 3 + c]!);
      const exps = scores.map((s) => Math.exp(s - Math.max(...scores)));
      const total = exps.reduce((a, b) => a + b);
      expectClose(row.slice(2), exps.map((e) => e / total), { atol: 1e-6, rtol: 1e-5 }, `row ${row[0]}`);
      expect(row[1]).toBe(scores.indexOf(Math.max(...scores)));
      confusion[truth[i]!]![row[1]!]!++;
    });
    expect(summary.confusion).toEqual(confusion);
    expect(summary.rows).toBe(30);
    expect(summary.labeled).toBe(true);
    expect(summary.accuracy).toBeCloseTo((confusion[0]![0]! + confusion[1]![1]! + confusion[2]![2]!) / 30, 12);
    for (let c = 0; c < 3; c++) {
      const predicted = confusion.reduce((n, row) => n + row[c]!, 0);
      expect(summary.precision[c]).toBeCloseTo(predicted ? confusion[c]![c]! / predicted : 0, 12);
      expect(summary.recall[c]).toBeCloseTo(confusion[c]![c]! / confusion[c]!.reduce((a, b) => a + b), 12);
    }

    // The same rows as safetensors: the model's outputs by name, the logits the CSV's probabilities came from.
    const st = join(dir, "iris.safetensors.out.safetensors");
    expect((await runCli(["run", iris, "--weights", weights, "--data", file, "--backend", "cpu", "-o", st])).code).toBe(0);
    const tensors = (await readCheckpoint(st)).tensors;
    expect([...tensors.keys()]).toEqual(["logits"]);
    expect(tensors.get("logits")!.shape).toEqual([30, 3]);
    expectClose(tensors.get("logits")!.data, logits.data, { atol: 1e-6, rtol: 1e-6 }, "logits");

    const text = await runCli(["run", iris, "--weights", weights, "--data", "iris", "--backend", "cpu"]);
    expect(text.stdout).toMatch(/^IrisMLP: 30 held-out rows, loss [\d.]+, accuracy [\d.]+%\n  confusion matrix \(rows: true class, columns: predicted\)\n/);
    expect(text.stdout).toContain("  class  precision  recall  support\n");
  });

  it("predicts every row of data without labels, scoring nothing", async () => {
    const weights = await irisWeights();
    const features = join(dir, "features.csv");
    writeFileSync(features, "sepal_length,sepal_width,petal_length,petal_width\n5.1,3.5,1.4,0.2\n6.7,3.0,5.2,2.3\n5.9,3.0,4.2,1.5\n");
    const out = join(dir, "unlabeled.csv");
    const r = await runCli(["run", iris, "--weights", weights, "--data", features, "--backend", "cpu", "-o", out]);
    expect(r.stderr).toBe("");
    expect(r.stdout).toBe(`IrisMLP: 3 rows (no targets: predicted, not scored)\nwrote the outputs of 3 rows to ${out}\n`);
    const { rows } = parseCsv(readFileSync(out, "utf8"));
    expect(rows.map((row) => row[0])).toEqual([0, 1, 2]);
    expect(rows.map((row) => row[1])).toEqual([0, 2, 1]); // setosa, virginica, versicolor
    for (const row of rows) expect(row.slice(2).reduce((a, b) => a + b)).toBeCloseTo(1, 5);
  });

  it("writes a regression model's outputs element by element", async () => {
    const file = join(dir, "reg.dlg");
    writeFileSync(file, "model Reg {\n  input x: f32[N, 3]\n  input y: f32[N, 2]\n  p = dense(x, 2)\n  output p\n  train mse(p, y) with sgd(lr: 0.1)\n}\n");
    const graph = compile(readFileSync(file, "utf8"), file).check!.graph;
    expect(lossOnlyInputs(graph)).toEqual(["y"]);
    const weights = join(dir, "reg-init.safetensors");
    expect((await runCli(["init", file, "-o", weights])).code).toBe(0);
    const data = join(dir, "reg.csv");
    writeFileSync(data, "a,b,c\n1,0,0\n0,1,0\n0,0,1\n1,1,1\n");
    const out = join(dir, "reg-out.csv");
    const r = await runCli(["run", file, "--weights", weights, "--data", data, "--backend", "cpu", "-o", out]);
    expect(r.code, r.stderr).toBe(0);
    const { header, rows } = parseCsv(readFileSync(out, "utf8"));
    expect(header).toEqual(["row", "p[0]", "p[1]"]);
    const w = (await readCheckpoint(weights)).tensors.get("p.weight")!.data; // [3, 2]; the bias starts at zero
    const expected = [[1, 0, 0], [0, 1, 0], [0, 0, 1], [1, 1, 1]].map((x) => [0, 1].map((j) => x.reduce((s, v, i) => s + v * w[i * 2 + j]!, 0)));
    rows.forEach((row, i) => expectClose(row.slice(1), expected[i]!, { atol: 1e-6, rtol: 1e-6 }, `row ${i}`));
  });

  it("refuses an output it cannot write, in one line", async () => {
    const weights = join(dir, "iris-init.safetensors");
    expect((await runCli(["init", iris, "-o", weights])).code).toBe(0);
    expect(await runCli(["run", iris, "--weights", weights, "--data", "iris", "-o", join(dir, "p.txt")]))
      .toMatchObject({ code: 2, stderr: `dlg: -o ${join(dir, "p.txt")}: predictions are written as .csv or .safetensors\n` });
    const same = await runCli(["run", iris, "--weights", weights, "--data", "iris", "-o", weights]);
    expect(same.code).toBe(2);
    expect(same.stderr).toMatch(/^dlg: -o .* is the --weights checkpoint/);
  });
});
