// Host-side tensors: a dtype, a concrete shape and a flat row-major typed array. The common currency of data
// loaders, checkpoints and the CPU executor; browser-safe (no Node imports).

export type HostDType = "f32" | "i32";

export interface HostTensor {
  dtype: HostDType;
  shape: number[];
  /** Row-major, `elementCount(shape)` long; Float32Array for f32, Int32Array for i32. */
  data: Float32Array | Int32Array;
}

/** Number of elements of a shape; a scalar (`[]`) has one. */
export function elementCount(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/** The first NaN or infinite value of a tensor and how many there are; undefined when every value is finite. */
export function nonFiniteValues(t: HostTensor): { count: number; index: number; value: number } | undefined {
  if (t.dtype !== "f32") return undefined;
  let count = 0;
  let index = -1;
  for (let i = 0; i < t.data.length; i++) {
    if (!Number.isFinite(t.data[i]!)) {
      if (count++ === 0) index = i;
    }
  }
  return count === 0 ? undefined : { count, index, value: t.data[index]! };
}

/** "`w` holds 3 non-finite values (the first, at index 7, is NaN)", or undefined when `t` is finite. */
export function describeNonFinite(name: string, t: HostTensor): string | undefined {
  const bad = nonFiniteValues(t);
  if (!bad) return undefined;
  const what = bad.count === 1 ? "a non-finite value" : `${bad.count} non-finite values`;
  return `\`${name}\` holds ${what} (${bad.count === 1 ? "" : "the first, "}at index ${bad.index}, is ${bad.value})`;
}

/** The first of `tensors` holding NaN or infinity, described as `describeNonFinite` does; undefined when all are finite. */
export function firstNonFinite(tensors: Iterable<readonly [string, HostTensor]>): string | undefined {
  for (const [name, t] of tensors) {
    const bad = describeNonFinite(name, t);
    if (bad !== undefined) return bad;
  }
  return undefined;
}

/** `elementCount` of a tensor. */
export function sizeOf(t: HostTensor): number {
  return t.data.length;
}

function checkShape(shape: readonly number[]): void {
  for (const d of shape) {
    if (!Number.isSafeInteger(d) || d < 0) throw new RangeError(`invalid shape [${shape.join(", ")}]: dims must be non-negative integers`);
  }
}

/**
 * A tensor of the given dtype and shape. Without `data` it is zero-filled. A typed array of the right kind is used
 * as is (not copied); any other array-like is copied, and for i32 every value must be an integer in range (a silent
 * truncation would hide a bug in the caller).
 */
export function hostTensor(dtype: HostDType, shape: readonly number[], data?: Float32Array | Int32Array | ArrayLike<number>): HostTensor {
  checkShape(shape);
  const n = elementCount(shape);
  let typed: Float32Array | Int32Array;
  if (data === undefined) {
    typed = dtype === "f32" ? new Float32Array(n) : new Int32Array(n);
  } else if (dtype === "f32" && data instanceof Float32Array) {
    typed = data;
  } else if (dtype === "i32" && data instanceof Int32Array) {
    typed = data;
  } else if (data instanceof Float32Array || data instanceof Int32Array) {
    throw new TypeError(`hostTensor: ${dtype} tensor given a ${data.constructor.name}`);
  } else if (dtype === "f32") {
    typed = Float32Array.from(data);
  } else {
    typed = new Int32Array(data.length);
    for (let i = 0; i < data.length; i++) {
      const v = data[i]!;
      if (!Number.isInteger(v) || v < -2147483648 || v > 2147483647) throw new RangeError(`hostTensor: ${v} is not an i32 value`);
      typed[i] = v;
    }
  }
  if (typed.length !== n) {
    throw new RangeError(`hostTensor: shape [${shape.join(", ")}] has ${n} elements but the data has ${typed.length}`);
  }
  return { dtype, shape: [...shape], data: typed };
}

/** Elements per row of dim 0 (the product of the remaining dims). */
export function rowSize(t: HostTensor): number {
  if (t.shape.length === 0) throw new RangeError("a scalar tensor has no rows");
  return elementCount(t.shape.slice(1));
}

/**
 * Gathers rows of dim 0 into a new tensor of shape `[indices.length, ...rest]` (batching and shuffling).
 * Indices may repeat; each must be in range.
 */
export function takeRows(t: HostTensor, indices: Int32Array | readonly number[]): HostTensor {
  const rows = t.shape[0];
  if (rows === undefined) throw new RangeError("takeRows: a scalar tensor has no rows");
  const width = rowSize(t);
  const out = t.dtype === "f32" ? new Float32Array(indices.length * width) : new Int32Array(indices.length * width);
  for (let i = 0; i < indices.length; i++) {
    const r = indices[i]!;
    if (!Number.isInteger(r) || r < 0 || r >= rows) throw new RangeError(`takeRows: row ${r} is out of range for ${rows} rows`);
    // subarray + set copies a whole row at once; far faster than an element loop for wide rows (images).
    out.set(t.data.subarray(r * width, (r + 1) * width), i * width);
  }
  return { dtype: t.dtype, shape: [indices.length, ...t.shape.slice(1)], data: out };
}

/** Rows `[start, end)` of dim 0, copied (a contiguous batch). */
export function sliceRows(t: HostTensor, start: number, end: number): HostTensor {
  const rows = t.shape[0];
  if (rows === undefined) throw new RangeError("sliceRows: a scalar tensor has no rows");
  if (!Number.isInteger(start) || !Number.isInteger(end) || start < 0 || end > rows || start > end) {
    throw new RangeError(`sliceRows: [${start}, ${end}) is out of range for ${rows} rows`);
  }
  const width = rowSize(t);
  return { dtype: t.dtype, shape: [end - start, ...t.shape.slice(1)], data: t.data.slice(start * width, end * width) };
}

/**
 * A tensor type as text, `f32[N, 28, 28]`. With `batchName`, dim 0 is written as that name (datasets describe
 * their fields per row, since the row count differs between splits).
 */
export function formatHostType(dtype: HostDType, shape: readonly (number | string)[], batchName?: string): string {
  const dims = shape.map((d, i) => (i === 0 && batchName !== undefined ? batchName : String(d)));
  return `${dtype}[${dims.join(", ")}]`;
}
