// A text as a dataset for next-token prediction: the text becomes token ids (its bytes, vocabulary 256, or its
// characters, with a vocabulary of the characters it uses), and windows of the model's length T become rows of
// `tokens: i32[rows, T]` and `targets: i32[rows, T]` (the same window shifted by one token). The held-out split is the
// end of the text, tiled by windows that do not overlap, so every held-out token is predicted once and none of them
// was seen in training; training windows start at every token (as drawing random offsets would), fewer only for a
// text so long that they would not fit in memory. Browser-safe.
import { hostTensor } from "../tensor.js";
import { DataError, type Dataset, type TextEncoding } from "./dataset.js";

export type Tokenization = TextEncoding["tokenization"];
export type { TextEncoding };

export interface TextOptions {
  /** The model's window T (tokens per row). */
  window: number;
  tokenization: Tokenization;
  /** For "chars": the vocabulary to use (from a checkpoint); by default the text's own characters, sorted. */
  vocabulary?: readonly string[];
  /** Fraction of the text, at its end, held out (default 0.1). */
  holdout?: number;
}


/** Rows of training windows at most, per field (int32s): 64 MiB each. */
const MAX_TRAIN_ELEMENTS = 1 << 24;

function lineOf(text: string, index: number): number {
  let line = 1;
  for (let i = 0; i < index; i++) if (text.charCodeAt(i) === 10) line++;
  return line;
}

/** The token ids of a text, and its vocabulary when tokenized by characters. */
export function encodeText(bytes: Uint8Array, encoding: { tokenization: Tokenization; vocabulary?: readonly string[] }, source: string): { ids: Int32Array; vocabulary?: string[] } {
  if (encoding.tokenization === "bytes") return { ids: Int32Array.from(bytes) };
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(bytes);
  } catch {
    throw new DataError(`${source}: not UTF-8 text, so it has no characters to tokenize (use --tokens bytes)`);
  }
  const chars = Array.from(text);
  const vocabulary = encoding.vocabulary ? [...encoding.vocabulary] : [...new Set(chars)].sort();
  const index = new Map(vocabulary.map((c, i) => [c, i]));
  const ids = new Int32Array(chars.length);
  let at = 0;
  for (let i = 0; i < chars.length; i++) {
    const id = index.get(chars[i]!);
    if (id === undefined) {
      throw new DataError(`${source}: line ${lineOf(text, at)}: the character ${JSON.stringify(chars[i])} is not in the model's vocabulary of ${vocabulary.length} characters`);
    }
    ids[i] = id;
    at += chars[i]!.length;
  }
  return { ids, vocabulary };
}

/** Token ids back to text. */
export function decodeTokens(ids: ArrayLike<number>, encoding: TextEncoding): string {
  if (encoding.tokenization === "bytes") return new TextDecoder("utf-8").decode(Uint8Array.from(ids));
  return Array.from(ids, (id) => encoding.vocabulary![id] ?? "").join("");
}

function windows(ids: Int32Array, starts: readonly number[], window: number): { tokens: Int32Array; targets: Int32Array } {
  const tokens = new Int32Array(starts.length * window);
  const targets = new Int32Array(starts.length * window);
  starts.forEach((s, row) => {
    tokens.set(ids.subarray(s, s + window), row * window);
    targets.set(ids.subarray(s + 1, s + 1 + window), row * window);
  });
  return { tokens, targets };
}

export function textDataset(name: string, bytes: Uint8Array, options: TextOptions): Dataset & { text: TextEncoding } {
  const { window } = options;
  const holdout = options.holdout ?? 0.1;
  if (!(holdout > 0 && holdout < 1)) throw new DataError(`${name}: the held-out part of a text must be a fraction in (0, 1), got ${holdout}`);
  const { ids, vocabulary } = encodeText(bytes, options, name);
  const cut = Math.floor(ids.length * (1 - holdout));
  const need = window + 1;
  if (cut < need || ids.length - cut < need) {
    throw new DataError(`${name}: ${ids.length} tokens are too few for windows of ${window} (+1 for the targets) in both the training part and the held-out ${Math.round(holdout * 100)}%`);
  }
  const train = ids.subarray(0, cut);
  const test = ids.subarray(cut);
  const possible = train.length - window;
  const stride = Math.max(1, Math.ceil((possible * window) / MAX_TRAIN_ELEMENTS));
  const trainStarts = Array.from({ length: Math.ceil(possible / stride) }, (_, i) => i * stride);
  const testStarts = Array.from({ length: Math.floor((test.length - 1) / window) }, (_, i) => i * window);
  const a = windows(train, trainStarts, window);
  const b = windows(test, testStarts, window);
  // The unigram entropy of the training part: the bits per token of a model that knows only token frequencies.
  const counts = new Map<number, number>();
  for (const id of train) counts.set(id, (counts.get(id) ?? 0) + 1);
  const unigramBits = -[...counts.values()].reduce((h, c) => h + (c / train.length) * Math.log2(c / train.length), 0);
  const text: TextEncoding = { tokenization: options.tokenization, ...(vocabulary ? { vocabulary } : {}) };
  return {
    name,
    train: { tokens: hostTensor("i32", [trainStarts.length, window], a.tokens), targets: hostTensor("i32", [trainStarts.length, window], a.targets) },
    test: { tokens: hostTensor("i32", [testStarts.length, window], b.tokens), targets: hostTensor("i32", [testStarts.length, window], b.targets) },
    fieldOrder: ["tokens", "targets"],
    notes: [
      `${name}: ${ids.length.toLocaleString("en-US")} ${options.tokenization === "bytes" ? "bytes" : `characters (vocabulary ${vocabulary!.length})`}; ` +
        `${trainStarts.length.toLocaleString("en-US")} training windows of ${window} (one every ${stride === 1 ? "token" : `${stride} tokens`}), ` +
        `${testStarts.length} held-out windows tiling the last ${Math.round(holdout * 100)}%; unigram entropy ${unigramBits.toFixed(3)} bits per ${options.tokenization === "bytes" ? "byte" : "character"}`,
    ],
    text,
  };
}
