// CSV files from disk as datasets; the parsing is runtime/data/csv.ts's.
import { readFile } from "node:fs/promises";
import { csvDataset } from "../../data/csv.js";
import { DataError, type Dataset } from "../../data/dataset.js";

export interface CsvOptions {
  /** Fraction of rows held out for testing when there is no test file; default 0.2. */
  holdout?: number;
  /** A second CSV with the same header, used as the test split. */
  testFile?: string;
}

async function readText(path: string, role: string): Promise<string> {
  try {
    const bytes = await readFile(path);
    // A safetensors file starts with its header length, then `{"`; any file with NUL bytes is not text.
    if (bytes.length >= 10 && bytes[8] === 0x7b && bytes[9] === 0x22) throw new DataError(`${role} ${path} is a safetensors file, not CSV (give it a .safetensors name)`);
    if (bytes.subarray(0, 4096).includes(0)) throw new DataError(`${role} ${path} is a binary file, not CSV text`);
    return bytes.toString("utf8");
  } catch (e) {
    if (e instanceof DataError) throw e;
    const code = typeof e === "object" && e !== null && "code" in e ? String((e as { code: unknown }).code) : "";
    const reason = code === "ENOENT" ? "no such file" : code === "EISDIR" ? "is a directory" : e instanceof Error ? e.message : String(e);
    throw new DataError(`cannot read ${role} ${path}: ${reason}`, { cause: e });
  }
}

/** Loads a CSV file (and optional test file) as a dataset named after the path. */
export async function loadCsv(path: string, options: CsvOptions = {}): Promise<Dataset> {
  if (options.testFile !== undefined && options.holdout !== undefined) {
    throw new DataError("give either a holdout fraction or a test file, not both");
  }
  const train = { text: await readText(path, "data file"), source: path };
  const test = options.testFile === undefined ? undefined : { text: await readText(options.testFile, "test file"), source: options.testFile };
  return csvDataset(path, train, test, options.holdout ?? 0.2);
}
