// `--data SOURCE`: picks the loader for a data source. Node only (the loaders read files).
import { loadCsv } from "./csv.js";
import { DataError, type Dataset } from "../../data/dataset.js";
import { loadIris } from "../../data/iris.js";
import { loadMnist } from "./mnist.js";
import { loadSafetensorsData } from "./safetensors-data.js";

export { bindInputs, type BoundInput, type ModelInput } from "../../data/bind.js";
export { DataError, describeFields, type Dataset } from "../../data/dataset.js";

export interface LoadOptions {
  /** Fraction of a data file's rows held out for testing (default 0.2); not for the built-in datasets. */
  holdout?: number;
  /** A second data file used as the test split; not for the built-in datasets. */
  testFile?: string;
}

const SOURCES = "mnist, iris, a .safetensors file or a .csv file";

/** The data sources that are names, not files. */
export const BUILT_IN_DATASETS: ReadonlySet<string> = new Set(["mnist", "iris"]);

/** Loads `mnist`, `iris`, a `*.safetensors` file or a `*.csv` file (by extension, case-insensitive). */
export async function loadDataset(source: string, options: LoadOptions = {}): Promise<Dataset> {
  if (BUILT_IN_DATASETS.has(source)) {
    // The built-ins have fixed, published splits; silently ignoring a requested split would be worse than saying so.
    if (options.holdout !== undefined || options.testFile !== undefined) {
      throw new DataError(`the built-in dataset ${source} has a fixed train/test split; holdout and test files apply to data files only`);
    }
    return source === "mnist" ? loadMnist() : loadIris();
  }
  const lower = source.toLowerCase();
  if (lower.endsWith(".safetensors")) return loadSafetensorsData(source, options);
  if (lower.endsWith(".csv")) return loadCsv(source, options);
  throw new DataError(`unknown data source \`${source}\`: use ${SOURCES}`);
}
