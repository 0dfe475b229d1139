// Binding a model's inputs to a dataset's fields: by name, checking dtype and every fixed dim, with one fallback for
// tabular data (a matrix input made of the leftover numeric columns). Browser-safe.
import { nameRecord, recordOf } from "../records.js";
import { formatHostType, nonFiniteValues, rowSize, type HostDType, type HostTensor } from "../tensor.js";
import { DataError, describeFields, field, fieldNames, type Dataset } from "./dataset.js";

export { DataError } from "./dataset.js";

/** A model input as the checker reports it: dims are integers or symbolic names (`"N"`). */
export interface ModelInput {
  name: string;
  dtype: HostDType;
  shape: (number | string)[];
}

/** One input's data: both splits, and the dataset fields it was made from (one, or several stacked columns). */
export interface BoundInput {
  train: HostTensor;
  test: HostTensor;
  fields: string[];
}

/**
 * Binds every model input to data. An input takes the field of the same name; dim 0 is the batch (rows; symbolic,
 * or a fixed batch size the training loop must then use), other symbolic dims are free but must mean the same size
 * wherever they appear, and numeric dims must match exactly. An `f32[N, K]` input with no field of its name takes
 * the numeric one-column fields (CSV columns) that no other input claims, in file order, when exactly K remain (any
 * number for a symbolic K). Throws a DataError with one message saying what the dataset provides.
 */
export function bindInputs(inputs: readonly ModelInput[], dataset: Dataset): Record<string, BoundInput> {
  const bound = nameRecord<BoundInput>();
  const dims = new Map<string, { size: number; input: string }>(); // symbolic dim -> size, from the first input using it
  const batchNames = new Set(inputs.flatMap((i) => (typeof i.shape[0] === "string" ? [i.shape[0]] : [])));
  const unmatched: ModelInput[] = [];

  for (const input of inputs) {
    if (input.shape.length === 0) {
      throw new DataError(`model input \`${input.name}\` is a scalar, but data comes in rows; give it a batch dim, e.g. ${input.dtype}[N]`);
    }
    input.shape.forEach((d, i) => {
      if (i > 0 && typeof d === "string" && batchNames.has(d)) {
        throw new DataError(`model input \`${input.name}: ${formatHostType(input.dtype, input.shape)}\` uses the batch dim ${d} at position ${i}; data rows are split into batches only along dim 0`);
      }
    });
    const train = field(dataset.train, input.name);
    const test = field(dataset.test, input.name);
    if (train === undefined || test === undefined) {
      unmatched.push(input);
      continue;
    }
    checkFits(input, train, dataset, dims);
    bound[input.name] = { train: asInputDtype(input, train), test: asInputDtype(input, test), fields: [input.name] };
  }

  if (unmatched.length > 0) bindLeftoverColumns(unmatched, dataset, bound, dims);
  // Keep the model's input order in the result.
  return recordOf(inputs.map((i) => [i.name, bound[i.name]!] as const));
}

/** Checks a field against an input (dtype, rank, fixed dims, consistent symbolic dims), naming both types if not. */
function checkFits(input: ModelInput, t: HostTensor, dataset: Dataset, dims: Map<string, { size: number; input: string }>): void {
  const want = formatHostType(input.dtype, input.shape);
  const have = formatHostType(t.dtype, t.shape, "N");
  const mismatch = (why: string): DataError =>
    new DataError(`model input \`${input.name}\` is ${want} but dataset ${dataset.name} provides \`${input.name}\` as ${have}: ${why}`);
  // Whole numbers in a column (a count, a year, a regression target) read as i32; an f32 input takes them exactly.
  if (t.dtype !== input.dtype && !(t.dtype === "i32" && input.dtype === "f32")) throw mismatch(`dtype ${t.dtype} is not ${input.dtype}`);
  if (t.shape.length !== input.shape.length) {
    const perRow = (shape: readonly (number | string)[]): number | undefined =>
      shape.slice(1).every((d) => typeof d === "number") ? (shape.slice(1) as number[]).reduce((a, b) => a * b, 1) : undefined;
    const same = perRow(input.shape) !== undefined && perRow(input.shape) === perRow(t.shape);
    throw mismatch(`rank ${t.shape.length} is not ${input.shape.length}${same ? " (same values per row: reshape or flatten inside the model)" : ""}`);
  }
  for (let i = 1; i < input.shape.length; i++) {
    const d = input.shape[i]!;
    const size = t.shape[i]!;
    if (typeof d === "number") {
      if (d !== size) throw mismatch(`dim ${i} is ${size}, not ${d}`);
      continue;
    }
    const seen = dims.get(d);
    if (seen === undefined) dims.set(d, { size, input: input.name });
    else if (seen.size !== size) throw mismatch(`dim ${i} (${d}) is ${size}, but ${d} is ${seen.size} in input \`${seen.input}\``);
  }
}

/** An i32 field bound to an f32 input, as f32 (integers up to 2^24 convert exactly); anything else as it is. */
function asInputDtype(input: ModelInput, t: HostTensor): HostTensor {
  return t.dtype === "i32" && input.dtype === "f32" ? { dtype: "f32", shape: t.shape, data: Float32Array.from(t.data) } : t;
}

/** The CSV fallback: one `f32[N, K]` input stacked from the one-column numeric fields no other input claimed. */
function bindLeftoverColumns(
  unmatched: readonly ModelInput[],
  dataset: Dataset,
  bound: Record<string, BoundInput>,
  dims: Map<string, { size: number; input: string }>,
): void {
  const noField = (input: ModelInput, extra = ""): DataError =>
    new DataError(`model input \`${input.name}\` has no field in dataset ${dataset.name} (it provides ${describeFields(dataset)})${extra}`);
  const claimed = new Set(Object.values(bound).flatMap((b) => b.fields));
  const leftover = fieldNames(dataset).filter((name) => {
    const t = field(dataset.train, name)!;
    return !claimed.has(name) && t.dtype === "f32" && t.shape.length === 1;
  });
  const input = unmatched[0]!;
  if (input.dtype !== "f32" || input.shape.length !== 2 || leftover.length === 0) throw noField(input);
  if (unmatched.length > 1) {
    throw noField(input, `; only one input can be made of the leftover numeric columns, and \`${unmatched[1]!.name}\` has no field either`);
  }
  const k = input.shape[1]!;
  const list = leftover.map((n) => `\`${n}\``).join(", ");
  if (typeof k === "number" && k !== leftover.length) {
    throw noField(input, `; the ${leftover.length} numeric columns no other input uses (${list}) would make f32[N, ${leftover.length}], not f32[N, ${k}]`);
  }
  if (typeof k === "string") {
    const seen = dims.get(k);
    if (seen !== undefined && seen.size !== leftover.length) {
      throw noField(input, `; the ${leftover.length} leftover numeric columns (${list}) do not match ${k} = ${seen.size} from input \`${seen.input}\``);
    }
  }
  const stack = (split: Record<string, HostTensor>): HostTensor => {
    const columns = leftover.map((name) => field(split, name)!.data);
    const rows = columns[0]!.length;
    const out = new Float32Array(rows * columns.length);
    for (let r = 0; r < rows; r++) for (let c = 0; c < columns.length; c++) out[r * columns.length + c] = columns[c]![r]!;
    return { dtype: "f32", shape: [rows, columns.length], data: out };
  };
  bound[input.name] = { train: stack(dataset.train), test: stack(dataset.test), fields: leftover };
}

/**
 * Refuses a label outside a classifier's classes before any step runs (a step would stop at it, after the work
 * before it). `whereRow(r)` names row r of the split in messages (file, row).
 */
export function checkLabels(labels: HostTensor, classes: number, field: string, whereRow: (row: number) => string): void {
  for (let i = 0; i < labels.data.length; i++) {
    const label = labels.data[i]!;
    if (!(Number.isInteger(label) && label >= 0 && label < classes)) {
      throw new DataError(`${whereRow(Math.floor(i / rowSize(labels)))}, field \`${field}\`: label ${label} is outside the model's ${classes} classes (0..${classes - 1})`);
    }
  }
}

/** Refuses NaN and infinite values in a field (they would pass for a diverged run); `whereRow` as for checkLabels. */
export function checkFinite(t: HostTensor, field: string, whereRow: (row: number) => string): void {
  const bad = nonFiniteValues(t);
  if (bad) throw new DataError(`${whereRow(Math.floor(bad.index / rowSize(t)))}, field \`${field}\`: value ${bad.value} is not finite (dlg trains only on finite data)`);
}
