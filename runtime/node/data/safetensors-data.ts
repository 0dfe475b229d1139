// A safetensors file as a dataset (`--data FILE.safetensors`): each tensor is a field named after a model input, its
// dim 0 the rows. The test split is a second file, or `holdout` of the rows (default 0.2) picked by a seeded shuffle.
import { CheckpointError } from "../../checkpoint.js";
import { readCheckpoint } from "../checkpoint-file.js";
import type { HostTensor } from "../../tensor.js";
import { checkFinite } from "../../data/bind.js";
import { checkSplitsAgree, DataError, rowCount, splitHoldout, type Dataset } from "../../data/dataset.js";

export interface SafetensorsDataOptions {
  /** Fraction of rows held out for testing when there is no test file; default 0.2. */
  holdout?: number;
  /** A second safetensors file with the same tensor names, used as the test split. */
  testFile?: string;
}

function fieldsOf(tensors: Map<string, HostTensor>, source: string): Record<string, HostTensor> {
  const fields = Object.fromEntries(tensors); // own properties, even for a tensor named `__proto__`
  rowCount(fields, source); // every tensor needs a row dim, and the same number of rows
  for (const [name, t] of tensors) checkFinite(t, name, (row) => `${source}: row ${row + 1}`);
  return fields;
}

/** A dataset from already-decoded tensors (the train file's, and optionally a test file's). */
export function safetensorsDataset(
  name: string,
  train: Map<string, HostTensor>,
  test?: { tensors: Map<string, HostTensor>; source: string },
  holdout = 0.2,
): Dataset {
  const fieldOrder = [...train.keys()];
  const trainFields = fieldsOf(train, name);
  if (test === undefined) return { name, fieldOrder, ...splitHoldout(trainFields, holdout, name) };
  const testFields = fieldsOf(test.tensors, test.source);
  checkSplitsAgree(trainFields, testFields, name, test.source);
  return { name, fieldOrder, train: trainFields, test: testFields };
}

async function readTensors(path: string): Promise<Map<string, HostTensor>> {
  try {
    return (await readCheckpoint(path)).tensors;
  } catch (e) {
    // Same message (it already names the path), one error type for everything `--data` can go wrong with.
    if (e instanceof CheckpointError) throw new DataError(e.message, { cause: e });
    throw e;
  }
}

/** Loads `path` (and optionally a test file) as a dataset. */
export async function loadSafetensorsData(path: string, options: SafetensorsDataOptions = {}): Promise<Dataset> {
  if (options.testFile !== undefined && options.holdout !== undefined) {
    throw new DataError("give either a holdout fraction or a test file, not both");
  }
  const train = await readTensors(path);
  const test = options.testFile === undefined ? undefined : { tensors: await readTensors(options.testFile), source: options.testFile };
  return safetensorsDataset(path, train, test, options.holdout ?? 0.2);
}
