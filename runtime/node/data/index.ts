// `--data SOURCE`: picks the loader for a data source. Node only (the loaders read files).
import { loadCsv } from "./csv.js";
import { DataError, type Dataset } from "../../data/dataset.js";
import { loadIris } from "../../data/iris.js";
import { loadMnist } from "./mnist.js";
import { loadSafetensorsData } from "./safetensors-data.js";
import { readFile } from "node:fs/promises";
import { ioReason } from "../atomic-write.js";
import { textDataset, type Tokenization } from "../../data/text.js";

export { bindInputs, type BoundInput, type ModelInput } from "../../data/bind.js";
export { DataError, describeFields, type Dataset } from "../../data/dataset.js";

export interface LoadOptions {
  /** Fraction of a data file's rows held out for testing (default 0.2); not for the built-in datasets. */
  holdout?: number;
  /** A second data file used as the test split; not for the built-in datasets. */
  testFile?: string;
  /** For a text file: the model's window and how to tokenize (see runtime/data/text.ts). */
  text?: { window: number | undefined; tokenization: Tokenization; vocabulary?: readonly string[]; /** Read the file as text whatever its name (`--tokens` given). */ forced?: boolean };
}

const SOURCES = "mnist, iris, a .safetensors, .csv or .txt file";

/** The data sources that are names, not files. */
export const BUILT_IN_DATASETS: ReadonlySet<string> = new Set(["mnist", "iris"]);

/** Loads `mnist`, `iris`, a `*.safetensors`, `*.csv` or `*.txt` file (by extension, case-insensitive). */
export async function loadDataset(source: string, options: LoadOptions = {}): Promise<Dataset> {
  if (BUILT_IN_DATASETS.has(source)) {
    // The built-ins have fixed, published splits; silently ignoring a requested split would be worse than saying so.
    if (options.holdout !== undefined || options.testFile !== undefined) {
      throw new DataError(`the built-in dataset ${source} has a fixed train/test split; holdout and test files apply to data files only`);
    }
    return source === "mnist" ? loadMnist() : loadIris();
  }
  const lower = source.toLowerCase();
  if (options.text?.forced) return loadText(source, options);
  if (lower.endsWith(".safetensors")) return loadSafetensorsData(source, options);
  if (lower.endsWith(".csv")) return loadCsv(source, options);
  if (lower.endsWith(".txt") || options.text?.forced) return loadText(source, options);
  throw new DataError(`unknown data source \`${source}\`: use ${SOURCES}`);
}

async function loadText(source: string, options: LoadOptions): Promise<Dataset> {
  if (options.testFile !== undefined) throw new DataError(`${source}: a text is held out at its end (--holdout P, default 0.1), not from a second file`);
  const window = options.text?.window;
  if (window === undefined) {
    throw new DataError(`${source}: a text trains a model with inputs \`tokens: i32[B, T]\` and \`targets: i32[B, T]\` whose T is a number (or bound with --dim T=...)`);
  }
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(await readFile(source));
  } catch (e) {
    throw new DataError(`cannot read ${source}: ${ioReason(e)}`);
  }
  return textDataset(source, bytes, {
    window,
    tokenization: options.text?.tokenization ?? "bytes",
    ...(options.text?.vocabulary ? { vocabulary: options.text.vocabulary } : {}),
    ...(options.holdout !== undefined ? { holdout: options.holdout } : {}),
  });
}
