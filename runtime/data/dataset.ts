// What every data loader returns, the error they throw, and the helpers they share (row checks, seeded holdout
// splits, one-line descriptions for messages). Browser-safe.
import { Random } from "../random.js";
import { formatHostType, takeRows, type HostTensor } from "../tensor.js";

/**
 * A dataset: named fields, each a tensor whose dim 0 is the row (example) index; every field of a split has the
 * same number of rows, and a field has the same dtype and non-row dims in both splits. Treat it as read-only
 * (built-in datasets are cached and shared).
 */
export interface Dataset {
  name: string;
  train: Record<string, HostTensor>;
  test: Record<string, HostTensor>;
  /** Field names in source order (CSV column order), where it differs from or matters more than key order. */
  fieldOrder?: string[];
  /** For each categorical field, its class names: class i is `classNames[field][i]`. */
  classNames?: Record<string, string[]>;
  /**
   * For splits made from one source by a holdout: each row's index among the source's rows (0-based), so a message
   * about a row can name it in the file. Absent where a split is a whole source.
   */
  sourceRows?: { train: Int32Array; test: Int32Array };
  /** For a text source: how its tokens map to text (saved with a model trained on it, needed to sample from it). */
  text?: TextEncoding;
  /** Things worth telling the user, one line each (e.g. how a text column was mapped to class indices). */
  notes?: string[];
}

/** How a text source's tokens map to text: saved with a model trained on it, needed to sample from it. */
export interface TextEncoding {
  tokenization: "bytes" | "chars";
  /** For "chars": token i is vocabulary[i]. */
  vocabulary?: string[];
}

/** A data source that cannot be loaded or does not fit the model. Messages are one line. */
export class DataError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "DataError";
  }
}

/**
 * A value from a file as a message shows it: quoted, with control characters escaped, and at most 60 characters (a
 * 10 MB cell must not become a 10 MB error line).
 */
export function echo(value: string): string {
  const shown = value.length > 60 ? `${value.slice(0, 40)}…${value.slice(-15)}` : value;
  return `${JSON.stringify(shown)}${value.length > 60 ? ` (${value.length} characters)` : ""}`;
}

/** Default seed of the holdout shuffle for user files (fixed, so a split is the same every run). */
export const HOLDOUT_SEED = 0x64_6c_67; // "dlg"

/** A field of a record by name, own properties only (so a model input named `constructor` finds nothing). */
export function field(record: Record<string, HostTensor>, name: string): HostTensor | undefined {
  return Object.hasOwn(record, name) ? record[name] : undefined;
}

/** Field names in source order. */
export function fieldNames(ds: Dataset): string[] {
  return ds.fieldOrder ?? Object.keys(ds.train);
}

/** `image: f32[N, 28, 28], label: i32[N]`: the fields of a dataset per row, for messages. */
export function describeFields(ds: Dataset): string {
  return fieldNames(ds)
    .map((name) => {
      const t = field(ds.train, name)!;
      return `${name}: ${formatHostType(t.dtype, t.shape, "N")}`;
    })
    .join(", ");
}

/** The common row count of `fields`, or a DataError naming the first field that disagrees. */
export function rowCount(fields: Record<string, HostTensor>, source: string): number {
  let rows: number | undefined;
  let first = "";
  for (const [name, t] of Object.entries(fields)) {
    if (t.shape.length === 0) throw new DataError(`${source}: field \`${name}\` is a scalar; every field needs a row dim`);
    if (rows === undefined) {
      rows = t.shape[0]!;
      first = name;
    } else if (t.shape[0] !== rows) {
      throw new DataError(`${source}: field \`${name}\` has ${t.shape[0]} rows but \`${first}\` has ${rows}`);
    }
  }
  if (rows === undefined) throw new DataError(`${source}: no fields`);
  return rows;
}

/** The same rows of every field. */
export function selectRows(fields: Record<string, HostTensor>, indices: Int32Array): Record<string, HostTensor> {
  return Object.fromEntries(Object.entries(fields).map(([name, t]) => [name, takeRows(t, indices)]));
}

/**
 * Splits rows into train and held-out test: a seeded shuffle picks `round(rows * fraction)` rows (at least one when
 * the fraction is positive) for test. Both splits keep the source's row order, so "the first B training rows" are
 * easy to find in the file (for comparing gradients with another framework).
 */
export function splitHoldout(
  fields: Record<string, HostTensor>,
  fraction: number,
  source: string,
  seed: number = HOLDOUT_SEED,
): { train: Record<string, HostTensor>; test: Record<string, HostTensor>; sourceRows: { train: Int32Array; test: Int32Array } } {
  if (!(fraction >= 0 && fraction < 1)) throw new DataError(`holdout must be a fraction in [0, 1), got ${fraction}`);
  const rows = rowCount(fields, source);
  const testCount = fraction === 0 ? 0 : Math.max(1, Math.round(rows * fraction));
  if (testCount >= rows) {
    throw new DataError(`${source}: holding out ${fraction} of ${rows} rows leaves no rows to train on`);
  }
  const order = new Random(seed).permutation(rows);
  const train = order.slice(0, rows - testCount).sort();
  const test = order.slice(rows - testCount).sort();
  return { train: selectRows(fields, train), test: selectRows(fields, test), sourceRows: { train, test } };
}

/**
 * Checks that a separate test split has the same fields, dtypes and non-row dims as train, so a model bound to one
 * fits the other.
 */
export function checkSplitsAgree(train: Record<string, HostTensor>, test: Record<string, HostTensor>, trainSource: string, testSource: string): void {
  for (const [name, a] of Object.entries(train)) {
    const b = field(test, name);
    if (b === undefined) throw new DataError(`test data ${testSource} has no field \`${name}\` (train data ${trainSource} has)`);
    const ta = formatHostType(a.dtype, a.shape, "N");
    const tb = formatHostType(b.dtype, b.shape, "N");
    if (ta !== tb) throw new DataError(`field \`${name}\` is ${ta} in ${trainSource} but ${tb} in ${testSource}`);
  }
  for (const name of Object.keys(test)) {
    if (field(train, name) === undefined) throw new DataError(`test data ${testSource} has a field \`${name}\` that train data ${trainSource} lacks`);
  }
}
