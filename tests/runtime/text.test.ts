// Text as data: tokenization by bytes and characters, training windows and a held-out tail that never overlaps
// them, clear refusals; `dlg train --data FILE.txt` saves how it read the text and `dlg sample` draws from the
// model with it, reproducibly for a seed.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { drawToken } from "../../cli/sample-command.js";
import { decodeCheckpoint } from "../../runtime/checkpoint.js";
import { DataError } from "../../runtime/data/dataset.js";
import { decodeTokens, encodeText, textDataset } from "../../runtime/data/text.js";
import { Random } from "../../runtime/random.js";
import { runCli } from "../helpers.js";

const bytesOf = (s: string) => new TextEncoder().encode(s);
const dir = mkdtempSync(join(tmpdir(), "dlg-text-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("text datasets", () => {
  const text = "the quick brown fox jumps over the lazy dog. ".repeat(12);

  it("cuts training windows at every token and tiles the held-out tail, targets shifted by one", () => {
    const ds = textDataset("t.txt", bytesOf(text), { window: 8, tokenization: "bytes", holdout: 0.25 });
    const ids = bytesOf(text);
    const cut = Math.floor(ids.length * 0.75);
    const train = ds.train["tokens"]!;
    expect(train.shape).toEqual([cut - 8, 8]);
    for (let row = 0; row < train.shape[0]!; row += 37) {
      expect(Array.from(train.data.subarray(row * 8, row * 8 + 8))).toEqual(Array.from(ids.subarray(row, row + 8)));
      expect(Array.from(ds.train["targets"]!.data.subarray(row * 8, row * 8 + 8))).toEqual(Array.from(ids.subarray(row + 1, row + 9)));
    }
    // Training windows read only the training part (their targets included): nothing held out is seen in training.
    const lastTrainTarget = (train.shape[0]! - 1) + 8;
    expect(lastTrainTarget).toBeLessThan(cut);
    const test = ds.test["tokens"]!;
    expect(test.shape).toEqual([Math.floor((ids.length - cut - 1) / 8), 8]);
    for (let row = 0; row < test.shape[0]!; row++) expect(Array.from(test.data.subarray(row * 8, row * 8 + 8))).toEqual(Array.from(ids.subarray(cut + row * 8, cut + row * 8 + 8)));
    expect(ds.notes![0]).toMatch(/unigram entropy \d\.\d{3} bits per byte/);
  });

  it("tokenizes characters with a sorted vocabulary, and decodes back", () => {
    const { ids, vocabulary } = encodeText(bytesOf("héllo wörld"), { tokenization: "chars" }, "t");
    expect(vocabulary).toEqual([" ", "d", "h", "l", "o", "r", "w", "é", "ö"]);
    expect(decodeTokens(ids, { tokenization: "chars", vocabulary: vocabulary! })).toBe("héllo wörld");
    expect(decodeTokens(encodeText(bytesOf("héllo"), { tokenization: "bytes" }, "t").ids, { tokenization: "bytes" })).toBe("héllo");
  });

  it("refuses a character outside a given vocabulary, text that is not UTF-8, and a text too short for the window", () => {
    expect(() => encodeText(bytesOf("ab\ncz"), { tokenization: "chars", vocabulary: ["a", "b", "c", "\n"] }, "t.txt")).toThrow(/t.txt: line 2: the character "z" is not in the model's vocabulary of 4 characters/);
    expect(() => encodeText(Uint8Array.of(0x66, 0xff, 0x66), { tokenization: "chars" }, "t.txt")).toThrow(/not UTF-8 text.*--tokens bytes/);
    expect(() => textDataset("t.txt", bytesOf("short text"), { window: 8, tokenization: "bytes" })).toThrow(DataError);
    expect(() => textDataset("t.txt", bytesOf("short text"), { window: 8, tokenization: "bytes" })).toThrow(/too few for windows of 8/);
  });
});

describe("drawing a token", () => {
  it("temperature 0 and top-k 1 pick the most likely; otherwise the softmax's frequencies", () => {
    const random = new Random(4);
    const logits = [0.5, 2, -1, 1.2];
    expect(drawToken(logits, 0, undefined, random)).toBe(1);
    for (let i = 0; i < 20; i++) expect(drawToken(logits, 1.7, 1, random)).toBe(1);
    const counts = [0, 0, 0, 0];
    const draws = 40_000;
    for (let i = 0; i < draws; i++) counts[drawToken(logits, 1, undefined, random)]!++;
    const z = logits.reduce((a, l) => a + Math.exp(l), 0);
    logits.forEach((l, i) => expect(Math.abs(counts[i]! / draws - Math.exp(l) / z)).toBeLessThan(0.01));
    const top2 = [0, 0, 0, 0];
    for (let i = 0; i < 4000; i++) top2[drawToken(logits, 1, 2, random)]!++;
    expect(top2[0]! + top2[2]!).toBe(0);
  });
});

describe("dlg train on text, then dlg sample", () => {
  const model = `
model Chars(vocab: int = 40) {
  input tokens: i32[B, 12]
  input targets: i32[B, 12]
  x = embedding(tokens, vocab, 16)
  h = lstm(x, 24)
  logits = dense(h, vocab)
  output logits
  train cross_entropy(logits, targets) with adam(lr: 1e-2)
}`;
  const file = join(dir, "chars.dlg");
  const data = join(dir, "poem.txt");
  writeFileSync(file, model);
  writeFileSync(data, "so much depends upon a red wheel barrow glazed with rain water beside the white chickens. ".repeat(8));

  it("saves the vocabulary with the weights, samples reproducibly, and reads the text again in run", async () => {
    const weights = join(dir, "w.safetensors");
    const trained = await runCli(["train", file, "--data", data, "--tokens", "chars", "--epochs", "1", "--batch", "32", "--backend", "cpu", "--save", weights]);
    expect(trained.code, trained.stderr).toBe(0);
    expect(trained.stderr).toMatch(/characters \(vocabulary 2\d\)/);
    expect(trained.stdout).toMatch(/bits\/token/);
    const metadata = decodeCheckpoint(new Uint8Array(readFileSync(weights))).metadata;
    expect(metadata["tokens"]).toBe("chars");
    expect(JSON.parse(metadata["vocabulary"]!)).toContain("w");
    const sample = (seed: string) => runCli(["sample", file, "--weights", weights, "--prompt", "so much ", "--length", "40", "--seed", seed, "--backend", "cpu"]);
    const a = await sample("7");
    expect(a.code, a.stderr).toBe(0);
    expect(a.stdout.startsWith("so much ")).toBe(true);
    expect(a.stdout.length).toBe("so much ".length + 40 + 1);
    expect((await sample("7")).stdout).toBe(a.stdout);
    const run = await runCli(["run", file, "--weights", weights, "--data", data, "--backend", "cpu", "--json"]);
    expect(run.code, run.stderr).toBe(0);
    const outside = await runCli(["sample", file, "--weights", weights, "--prompt", "SO MUCH", "--backend", "cpu"]);
    expect(outside.code).toBe(1);
    expect(outside.stderr).toMatch(/--prompt: line 1: the character "S" is not in the model's vocabulary/);
    const mismatch = await runCli(["run", file, "--weights", weights, "--data", data, "--tokens", "bytes", "--backend", "cpu"]);
    expect(mismatch.code).toBe(2);
    expect(mismatch.stderr).toMatch(/--tokens bytes: the weights are of a model trained on chars/);
  });

  it("refuses a text with more characters than the model's vocabulary, in one line", async () => {
    const small = await runCli(["train", file, "--data", data, "--tokens", "chars", "--set", "vocab=10", "--epochs", "1", "--backend", "cpu"]);
    expect(small.code).toBe(1);
    expect(small.stderr).toMatch(/uses 2\d distinct characters, more than the model's 10 classes/);
  });
});
