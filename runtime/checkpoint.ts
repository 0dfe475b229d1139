// Safetensors encoding and decoding (the checkpoint format of Hugging Face's `safetensors`, so PyTorch and NumPy
// read our weights and we read theirs). Browser-safe: bytes in, bytes out; file I/O is in node/checkpoint-file.ts.
//
// Layout: an 8-byte little-endian u64 N, then N bytes of UTF-8 JSON
//   {"__metadata__": {str: str}, "name": {"dtype": "F32", "shape": [2, 3], "data_offsets": [begin, end]}, ...}
// padded with spaces to a multiple of 8 (so the data that follows is 8-byte aligned), then the raw little-endian
// tensor data; offsets count from the first byte after the header, and the tensors tile the data exactly.

import { describeNonFinite, elementCount, formatHostType, type HostDType, type HostTensor } from "./tensor.js";

/** A malformed or mismatched checkpoint. Messages are one line and name the tensor or byte range at fault. */
export class CheckpointError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "CheckpointError";
  }
}

/** A decoded file: tensors in file (data offset) order, and the free-form string metadata. */
export interface Checkpoint {
  tensors: Map<string, HostTensor>;
  metadata: Record<string, string>;
}

const METADATA_KEY = "__metadata__";

// Typed arrays use the platform's byte order; every platform Node and browsers run on is little-endian, but the
// check costs nothing and keeps the file format right if that ever changes.
const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

/** Safetensors dtypes we read, with their element size and the host dtype they load as. */
const FILE_DTYPES: Readonly<Record<string, { bytes: number; host: HostDType }>> = {
  F32: { bytes: 4, host: "f32" },
  F64: { bytes: 8, host: "f32" },
  F16: { bytes: 2, host: "f32" },
  BF16: { bytes: 2, host: "f32" },
  I32: { bytes: 4, host: "i32" },
  I64: { bytes: 8, host: "i32" },
  I16: { bytes: 2, host: "i32" },
  I8: { bytes: 1, host: "i32" },
  U8: { bytes: 1, host: "i32" },
  U16: { bytes: 2, host: "i32" },
  U32: { bytes: 4, host: "i32" },
  U64: { bytes: 8, host: "i32" },
  BOOL: { bytes: 1, host: "i32" },
};
const SUPPORTED = Object.keys(FILE_DTYPES).join(", ");

const HOST_TO_FILE: Record<HostDType, string> = { f32: "F32", i32: "I32" };

// ---------------------------------------------------------------------------------------------------------------
// Encoding

/**
 * The safetensors bytes for `tensors`, laid out in the map's insertion order (so the same map always gives the same
 * bytes). `metadata` is written as `__metadata__` when it has any key.
 */
export function encodeSafetensors(tensors: ReadonlyMap<string, HostTensor>, metadata?: Readonly<Record<string, string>>): Uint8Array {
  // No prototype, so a tensor named `__proto__` is an ordinary key rather than a prototype assignment.
  const header: Record<string, unknown> = Object.create(null) as Record<string, unknown>;
  if (metadata !== undefined && Object.keys(metadata).length > 0) {
    for (const [k, v] of Object.entries(metadata)) {
      if (typeof v !== "string") throw new CheckpointError(`metadata \`${k}\` must be a string, got ${typeof v}`);
    }
    header[METADATA_KEY] = { ...metadata };
  }
  let offset = 0;
  for (const [name, t] of tensors) {
    if (name === METADATA_KEY) throw new CheckpointError(`a tensor cannot be named \`${METADATA_KEY}\``);
    checkHostTensor(name, t);
    const end = offset + t.data.byteLength;
    header[name] = { dtype: HOST_TO_FILE[t.dtype], shape: [...t.shape], data_offsets: [offset, end] };
    offset = end;
  }
  const json = new TextEncoder().encode(JSON.stringify(header));
  const headerLength = Math.ceil(json.length / 8) * 8;
  const out = new Uint8Array(8 + headerLength + offset);
  const view = new DataView(out.buffer);
  // u64 little-endian as two u32 halves; a header never approaches 2^32 bytes, but write the high half properly.
  view.setUint32(0, headerLength % 4294967296, true);
  view.setUint32(4, Math.floor(headerLength / 4294967296), true);
  out.set(json, 8);
  out.fill(0x20, 8 + json.length, 8 + headerLength); // space padding
  let at = 8 + headerLength;
  for (const t of tensors.values()) {
    writeLittleEndian(t, out, at);
    at += t.data.byteLength;
  }
  return out;
}

function checkHostTensor(name: string, t: HostTensor): void {
  const wantArray = t.dtype === "f32" ? Float32Array : t.dtype === "i32" ? Int32Array : undefined;
  if (wantArray === undefined) throw new CheckpointError(`tensor \`${name}\` has unknown dtype ${String(t.dtype)}`);
  if (!(t.data instanceof wantArray)) throw new CheckpointError(`tensor \`${name}\` is ${t.dtype} but holds a ${t.data.constructor.name}`);
  if (!Array.isArray(t.shape) || t.shape.some((d) => !Number.isSafeInteger(d) || d < 0)) {
    throw new CheckpointError(`tensor \`${name}\` has an invalid shape [${String(t.shape)}]`);
  }
  const n = elementCount(t.shape);
  if (n !== t.data.length) {
    throw new CheckpointError(`tensor \`${name}\`: shape [${t.shape.join(", ")}] has ${n} elements but the data has ${t.data.length}`);
  }
}

function writeLittleEndian(t: HostTensor, out: Uint8Array, at: number): void {
  if (LITTLE_ENDIAN) {
    out.set(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength), at);
    return;
  }
  const view = new DataView(out.buffer, out.byteOffset + at, t.data.byteLength);
  for (let i = 0; i < t.data.length; i++) {
    if (t.dtype === "f32") view.setFloat32(i * 4, t.data[i]!, true);
    else view.setInt32(i * 4, t.data[i]!, true);
  }
}

/**
 * What a file that is not safetensors looks like it is, from its first bytes: "a dlg model source", "a CSV or other
 * text file", or undefined when nothing is recognized.
 */
export function describeContent(bytes: Uint8Array): string | undefined {
  const head = new TextDecoder("utf-8", { fatal: false }).decode(bytes.subarray(0, 512));
  if (/^\ufeff?\s*(#[^\n]*\n\s*)*(model|block)\s+\w+/.test(head)) return "a dlg model source (.dlg)";
  if (head.length > 0 && !/[\u0000-\u0008\u000e-\u001f\ufffd]/.test(head)) return "a text file (CSV, JSON or source)";
  return undefined;
}

// ---------------------------------------------------------------------------------------------------------------
// Decoding

/** The tensors of a safetensors file, in data order. Throws CheckpointError on any malformation. */
export function decodeSafetensors(bytes: Uint8Array): Map<string, HostTensor> {
  return decodeCheckpoint(bytes).tensors;
}

interface Entry {
  name: string;
  fileDType: string;
  shape: number[];
  begin: number;
  end: number;
}

/** Tensors and metadata of a safetensors file. Throws CheckpointError on any malformation. */
export function decodeCheckpoint(bytes: Uint8Array): Checkpoint {
  if (bytes.length < 8) {
    throw new CheckpointError(`file is ${bytes.length} bytes long; a safetensors file starts with an 8-byte header length`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLength = view.getUint32(0, true) + view.getUint32(4, true) * 4294967296; // exact up to 2^53
  if (headerLength > bytes.length - 8) {
    const kind = describeContent(bytes);
    if (kind !== undefined) throw new CheckpointError(`this is ${kind}, not a safetensors checkpoint`);
    throw new CheckpointError(`header length ${headerLength} runs past the end of the file (${bytes.length} bytes; at most ${bytes.length - 8} available)`);
  }
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes.subarray(8, 8 + headerLength));
  } catch {
    throw new CheckpointError("header is not valid UTF-8");
  }
  let header: unknown;
  try {
    header = JSON.parse(text);
  } catch (e) {
    const detail = e instanceof Error ? e.message.split("\n")[0] : String(e);
    throw new CheckpointError(`header is not valid JSON (${detail})`);
  }
  if (!isPlainObject(header)) throw new CheckpointError(`header must be a JSON object, got ${describeJson(header)}`);

  const metadata = parseMetadata(header[METADATA_KEY]);
  const entries: Entry[] = [];
  for (const [name, value] of Object.entries(header)) {
    if (name !== METADATA_KEY) entries.push(parseEntry(name, value));
  }

  // The tensors must tile the data region exactly: no overlap (two tensors sharing bytes), no gap, nothing after.
  const dataStart = 8 + headerLength;
  const dataLength = bytes.length - dataStart;
  const byOffset = [...entries].sort((a, b) => a.begin - b.begin || a.end - b.end);
  let covered = 0;
  let previous: Entry | undefined;
  for (const e of byOffset) {
    if (e.end > dataLength) {
      throw new CheckpointError(`tensor \`${e.name}\`: data_offsets [${e.begin}, ${e.end}] run past the end of the data (${dataLength} bytes)`);
    }
    if (e.begin < covered) {
      throw new CheckpointError(`tensors \`${previous!.name}\` [${previous!.begin}, ${previous!.end}] and \`${e.name}\` [${e.begin}, ${e.end}] overlap`);
    }
    if (e.begin > covered) {
      const after = previous === undefined ? "the start of the data" : `tensor \`${previous.name}\``;
      throw new CheckpointError(`${e.begin - covered} unused bytes between ${after} and tensor \`${e.name}\` (data_offsets [${e.begin}, ${e.end}])`);
    }
    covered = e.end;
    previous = e;
  }
  if (covered < dataLength) {
    throw new CheckpointError(`${dataLength - covered} bytes of trailing data after the last tensor (data ends at ${covered}, file has ${dataLength})`);
  }

  const tensors = new Map<string, HostTensor>();
  for (const e of byOffset) tensors.set(e.name, decodeTensor(e, bytes.subarray(dataStart + e.begin, dataStart + e.end)));
  return { tensors, metadata };
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function describeJson(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "an array";
  return `a ${typeof v}`;
}

function parseMetadata(value: unknown): Record<string, string> {
  if (value === undefined) return {};
  if (!isPlainObject(value)) throw new CheckpointError(`\`${METADATA_KEY}\` must be an object of strings, got ${describeJson(value)}`);
  for (const [k, v] of Object.entries(value)) {
    if (typeof v !== "string") throw new CheckpointError(`\`${METADATA_KEY}\` value \`${k}\` must be a string, got ${describeJson(v)}`);
  }
  // fromEntries defines own properties, so even a key named `__proto__` survives.
  return Object.fromEntries(Object.entries(value)) as Record<string, string>;
}

function isCount(v: unknown): v is number {
  return typeof v === "number" && Number.isSafeInteger(v) && v >= 0;
}

function parseEntry(name: string, value: unknown): Entry {
  const where = `tensor \`${name}\``;
  if (!isPlainObject(value)) throw new CheckpointError(`${where}: entry must be an object with dtype, shape and data_offsets, got ${describeJson(value)}`);
  const { dtype, shape, data_offsets: offsets } = value;
  if (typeof dtype !== "string") throw new CheckpointError(`${where}: dtype must be a string, got ${describeJson(dtype)}`);
  const info = FILE_DTYPES[dtype];
  if (info === undefined) throw new CheckpointError(`${where} has dtype ${dtype}, which dlg cannot load (supported: ${SUPPORTED})`);
  if (!Array.isArray(shape) || !shape.every(isCount)) {
    throw new CheckpointError(`${where}: shape must be a list of non-negative integers, got ${JSON.stringify(shape) ?? "nothing"}`);
  }
  if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every(isCount) || offsets[0] > offsets[1]) {
    throw new CheckpointError(`${where}: data_offsets must be [begin, end] with 0 <= begin <= end, got ${JSON.stringify(offsets) ?? "nothing"}`);
  }
  const [begin, end] = offsets as [number, number];
  const need = elementCount(shape) * info.bytes;
  if (end - begin !== need) {
    throw new CheckpointError(`${where}: shape [${shape.join(", ")}] of ${dtype} needs ${need} bytes but data_offsets [${begin}, ${end}] span ${end - begin}`);
  }
  return { name, fileDType: dtype, shape: shape as number[], begin, end };
}

/** Converts one tensor's raw bytes to a host tensor (f32 or i32), widening or narrowing as the table above says. */
function decodeTensor(e: Entry, raw: Uint8Array): HostTensor {
  const n = elementCount(e.shape);
  // Copy first: the result owns its memory, and the copy is 4-byte aligned whatever the input's offset. (Not
  // raw.slice(): on a Node Buffer that returns a view into the same memory.)
  const copy = new Uint8Array(raw);
  if (LITTLE_ENDIAN && e.fileDType === "F32") return { dtype: "f32", shape: e.shape, data: new Float32Array(copy.buffer, 0, n) };
  if (LITTLE_ENDIAN && e.fileDType === "I32") return { dtype: "i32", shape: e.shape, data: new Int32Array(copy.buffer, 0, n) };
  const v = new DataView(copy.buffer);
  if (FILE_DTYPES[e.fileDType]!.host === "f32") {
    const out = new Float32Array(n);
    if (e.fileDType === "F16" || e.fileDType === "BF16") {
      // Half formats widen exactly, so build the f32 bit patterns directly: that keeps NaN payloads and signs, which a
      // detour through a JS number would not.
      const bits = new Uint32Array(out.buffer);
      for (let i = 0; i < n; i++) {
        const h = v.getUint16(i * 2, true);
        bits[i] = e.fileDType === "BF16" ? (h << 16) >>> 0 : halfBitsToFloatBits(h);
      }
    } else {
      for (let i = 0; i < n; i++) out[i] = e.fileDType === "F64" ? v.getFloat64(i * 8, true) : v.getFloat32(i * 4, true);
    }
    return { dtype: "f32", shape: e.shape, data: out };
  }
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const x = readInteger(e.fileDType, v, i);
    if (x < -2147483648 || x > 2147483647) {
      throw new CheckpointError(`tensor \`${e.name}\` (${e.fileDType}) holds ${x} at element ${i}, which does not fit in i32`);
    }
    out[i] = x;
  }
  return { dtype: "i32", shape: e.shape, data: out };
}

/**
 * IEEE binary16 bits to binary32 bits: 1 sign, 5 exponent (bias 15), 10 mantissa bits. Exponent 0 is zero or a
 * subnormal (renormalized, since every half subnormal is a normal f32), 31 is infinity or NaN (payload kept).
 */
export function halfBitsToFloatBits(h: number): number {
  const sign = (h & 0x8000) << 16;
  const exp = (h >> 10) & 0x1f;
  let mant = h & 0x3ff;
  if (exp === 31) return (sign | 0x7f800000 | (mant << 13)) >>> 0;
  if (exp !== 0) return (sign | ((exp + 127 - 15) << 23) | (mant << 13)) >>> 0;
  if (mant === 0) return sign >>> 0;
  let e = 127 - 15 + 1;
  while ((mant & 0x400) === 0) {
    mant <<= 1;
    e--;
  }
  return (sign | (e << 23) | ((mant & 0x3ff) << 13)) >>> 0;
}

/** A half-precision value (given as its 16 bits) as a number. */
export function halfToFloat(h: number): number {
  const view = new DataView(new ArrayBuffer(4));
  view.setUint32(0, halfBitsToFloatBits(h));
  return view.getFloat32(0);
}

/** The integer value of element i; 64-bit values outside ±2^53 come back inexact but still out of i32 range. */
function readInteger(dtype: string, v: DataView, i: number): number {
  switch (dtype) {
    case "I32":
      return v.getInt32(i * 4, true);
    case "I64":
      return v.getInt32(i * 8 + 4, true) * 4294967296 + v.getUint32(i * 8, true);
    case "U64":
      return v.getUint32(i * 8 + 4, true) * 4294967296 + v.getUint32(i * 8, true);
    case "I16":
      return v.getInt16(i * 2, true);
    case "U16":
      return v.getUint16(i * 2, true);
    case "U32":
      return v.getUint32(i * 4, true);
    case "I8":
      return v.getInt8(i);
    case "U8":
      return v.getUint8(i);
    default: // BOOL: any non-zero byte is true
      return v.getUint8(i) === 0 ? 0 : 1;
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Checking a checkpoint against a model

export interface ExpectedTensor {
  name: string;
  dtype: HostDType;
  shape: number[];
}

export interface MatchOptions {
  /** What the tensors are, in messages: "parameter" (default) or "optimizer state tensor". */
  what?: string;
  /** The sentence for a tensor the model does not expect (default: the model has no such `what`). */
  unexpected?: (name: string, t: HostTensor) => string;
}

/**
 * The ways `actual` differs from `expected`, one sentence each, in plain words: missing tensors (in expected order),
 * dtype, shape and non-finite values, then tensors the model does not have (in file order). Empty when they match.
 * A non-finite value is refused here because training from it gives only NaN, and an evaluation silently wrong
 * numbers.
 */
export function checkTensorsMatch(expected: readonly ExpectedTensor[], actual: ReadonlyMap<string, HostTensor>, options: MatchOptions = {}): string[] {
  const what = options.what ?? "parameter";
  const problems: string[] = [];
  const names = new Set<string>();
  for (const want of expected) {
    names.add(want.name);
    const got = actual.get(want.name);
    if (got === undefined) {
      problems.push(`missing tensor \`${want.name}\` (the model expects ${formatHostType(want.dtype, want.shape)})`);
      continue;
    }
    if (got.dtype !== want.dtype) {
      problems.push(`tensor \`${want.name}\` has dtype ${got.dtype} in the checkpoint but the model expects ${want.dtype}`);
    }
    if (got.shape.length !== want.shape.length || got.shape.some((d, i) => d !== want.shape[i])) {
      problems.push(`tensor \`${want.name}\` has shape [${got.shape.join(", ")}] in the checkpoint but the model expects [${want.shape.join(", ")}]`);
    }
    const nonFinite = describeNonFinite(want.name, got);
    if (nonFinite !== undefined) problems.push(nonFinite);
  }
  for (const [name, t] of actual) {
    if (names.has(name)) continue;
    problems.push(options.unexpected?.(name, t) ?? `unexpected tensor \`${name}\` (${formatHostType(t.dtype, t.shape)}): the model has no ${what} of that name`);
  }
  return problems;
}

/** Problems as one line: the first five, and how many more. */
export function joinProblems(problems: readonly string[]): string {
  return `${problems.slice(0, 5).join("; ")}${problems.length > 5 ? `; and ${problems.length - 5} more` : ""}`;
}
