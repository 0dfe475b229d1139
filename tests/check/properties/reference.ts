// A reference shape checker for the subset of .dlg the generator writes, written from LANGUAGE.md and independent of
// the compiler: dims are monomials c*N^p in the one symbolic batch dim N (or plain numbers in the concrete variant).
// It runs a program in the checker's evaluation order and either returns every model-level binding's type, or the
// first node whose evaluation must fail, or gives up (Unknown) where a dim would leave its domain (N + 1, floor(N/2)).
import type { GBlock, GExpr, GParam, GProgram, GStmt, GType } from "./program.js";

// ---- dims ----

/** c * N^p; c may be zero or negative only for int values, never in a tensor shape of a valid program. */
export interface MDim {
  readonly c: number;
  readonly p: number;
}

export class Unknown extends Error {}

export const md = (c: number, p = 0): MDim => ({ c, p: c === 0 ? 0 : p });
export const dimEq = (a: MDim, b: MDim): boolean => a.c === b.c && a.p === b.p;
export const isOne = (d: MDim): boolean => d.c === 1 && d.p === 0;
export const isConst = (d: MDim): boolean => d.p === 0;

export function dimMul(a: MDim, b: MDim): MDim {
  return md(a.c * b.c, a.p + b.p);
}

export function dimAdd(a: MDim, b: MDim): MDim {
  if (a.c === 0) return b;
  if (b.c === 0) return a;
  if (a.p !== b.p) throw new Unknown(`polynomial dim ${dimText(a)} + ${dimText(b)}`);
  return md(a.c + b.c, a.p);
}

export function dimSub(a: MDim, b: MDim): MDim {
  return dimAdd(a, md(-b.c, b.p));
}

export function dimDivExact(a: MDim, b: MDim): MDim | undefined {
  if (b.c === 0) return undefined;
  if (a.c === 0) return a;
  return a.c % b.c === 0 && a.p >= b.p ? md(a.c / b.c, a.p - b.p) : undefined;
}

export const product = (ds: readonly MDim[]): MDim => ds.reduce(dimMul, md(1));

/** As the compiler prints a dim: `784`, `N`, `2*N`, `N*N`. */
export function dimText(d: MDim): string {
  if (d.p === 0) return String(d.c);
  const mag = Math.abs(d.c);
  const body = (mag === 1 ? "" : `${mag}*`) + Array(d.p).fill("N").join("*");
  return (d.c < 0 ? "-" : "") + body;
}

export type DT = "f32" | "i32" | "f16";

export interface TType {
  dtype: DT;
  shape: readonly MDim[];
}

export const typeText = (t: TType): string => `${t.dtype}[${t.shape.map(dimText).join(", ")}]`;

// ---- values ----

export type RVal =
  | { k: "tensor"; t: TType }
  | { k: "int"; d: MDim }
  | { k: "float"; v: number }
  | { k: "bool"; v: boolean }
  | { k: "string"; v: string }
  | { k: "list"; items: RVal[] };

const tensor = (dtype: DT, shape: readonly MDim[]): RVal => ({ k: "tensor", t: { dtype, shape } });

/** The first evaluation that must fail: `node` is the expression, statement, type or parameter it fails at. */
export class RefError extends Error {
  constructor(readonly node: object, readonly why: string) {
    super(why);
  }
}

export class Scope {
  private readonly vars = new Map<string, RVal>();
  constructor(private readonly parent?: Scope) {}
  lookup(n: string): RVal | undefined {
    return this.vars.get(n) ?? this.parent?.lookup(n);
  }
  has(n: string): boolean {
    return this.vars.has(n) || (this.parent?.has(n) ?? false);
  }
  set(n: string, v: RVal): void {
    this.vars.set(n, v);
  }
  /** Own and inherited names with their current values, innermost first. */
  entries(): [string, RVal][] {
    const own = [...this.vars.entries()];
    const names = new Set(own.map(([n]) => n));
    return [...own, ...(this.parent?.entries().filter(([n]) => !names.has(n)) ?? [])];
  }
}

export interface Frame {
  scope: Scope;
  block?: GBlock;
  /** Model-level statements record their values (as `dlg check` lists them). */
  record: boolean;
  inRepeat: boolean;
}

export interface RefOptions {
  /** Evaluate the batch dim as this number (the program's concrete variant). */
  batch?: number;
}

export type RefOutcome =
  | { kind: "ok"; bindings: Map<GStmt, TType> }
  | { kind: "error"; error: RefError }
  | { kind: "unknown"; why: string };

const MAX_REPEAT = 100_000;

// ---- built-in signatures ----

type Kind = "tensor" | "operand" | "int" | "float" | "bool" | "string" | "ints" | "axes" | "tensors";
interface Spec {
  name: string;
  kind: Kind;
  /** undefined: required; null: optional without a value. */
  def?: RVal | null;
}
const T = (n: string): Spec => ({ name: n, kind: "tensor" });
const I = (n: string, d?: number | null): Spec => (d === undefined ? { name: n, kind: "int" } : { name: n, kind: "int", def: d === null ? null : { k: "int", d: md(d) } });
const F = (n: string, d?: number): Spec => (d === undefined ? { name: n, kind: "float" } : { name: n, kind: "float", def: { k: "float", v: d } });
const B = (n: string, d: boolean): Spec => ({ name: n, kind: "bool", def: { k: "bool", v: d } });
const S = (n: string, d: string): Spec => ({ name: n, kind: "string", def: { k: "string", v: d } });
const O = (n: string): Spec => ({ name: n, kind: "operand" });

type Bound = Map<string, RVal>;
type Apply = (a: Bound, fail: (why: string) => never) => RVal;

const FLOAT_UNARY = ["relu", "exp", "log", "sqrt", "rsqrt", "tanh", "sigmoid", "erf", "gelu", "silu"];
const INT_SAFE_UNARY = ["neg", "abs", "square"];

function kindOk(kind: Kind, v: RVal): boolean {
  switch (kind) {
    case "tensor":
      return v.k === "tensor";
    case "operand":
      return v.k === "tensor" || v.k === "float" || (v.k === "int" && isConst(v.d));
    case "int":
      return v.k === "int";
    case "float":
      return v.k === "float" || (v.k === "int" && isConst(v.d));
    case "bool":
      return v.k === "bool";
    case "string":
      return v.k === "string";
    case "ints":
      return v.k === "list" && v.items.every((i) => i.k === "int");
    case "axes":
      return v.k === "int" || (v.k === "list" && v.items.every((i) => i.k === "int"));
    case "tensors":
      return v.k === "list" && v.items.length > 0 && v.items.every((i) => i.k === "tensor");
  }
}

const tt = (v: RVal | undefined): TType => (v as { t: TType }).t;
const dimOf = (v: RVal | undefined): MDim => (v as { d: MDim }).d;
function constInt(v: RVal | undefined, fail: (w: string) => never, what: string): number {
  const d = dimOf(v);
  if (!isConst(d)) fail(`${what} is not known at compile time`);
  return d.c;
}
function positive(v: RVal | undefined, fail: (w: string) => never, what: string): number {
  const n = constInt(v, fail, what);
  if (n < 1) fail(`${what} must be positive`);
  return n;
}
/** A size that becomes a parameter dim: positive when constant, and it must be constant. */
function paramSize(d: MDim, fail: (w: string) => never, what: string): number {
  if (!isConst(d)) fail(`${what}: parameter dim ${dimText(d)} is symbolic`);
  if (d.c < 1) fail(`${what} must be positive`);
  return d.c;
}
function num(v: RVal | undefined): number {
  if (!v) return NaN;
  return v.k === "float" ? v.v : v.k === "int" && isConst(v.d) ? v.d.c : NaN;
}
function axisOf(axis: number, rank: number, fail: (w: string) => never): number {
  const a = axis < 0 ? axis + rank : axis;
  if (a < 0 || a >= rank) fail(`axis ${axis} out of range for rank ${rank}`);
  return a;
}
function requireFloat(t: TType, fail: (w: string) => never): void {
  if (t.dtype !== "f32" && t.dtype !== "f16") fail(`needs a float tensor, found ${typeText(t)}`);
}

/** NumPy broadcasting: aligned at the right, dims equal or literally 1. */
export function broadcast(a: readonly MDim[], b: readonly MDim[]): MDim[] | undefined {
  const rank = Math.max(a.length, b.length);
  const out: MDim[] = [];
  for (let i = 0; i < rank; i++) {
    const da = a[a.length - rank + i] ?? md(1);
    const db = b[b.length - rank + i] ?? md(1);
    if (dimEq(da, db) || isOne(db)) out.push(da);
    else if (isOne(da)) out.push(db);
    else return undefined;
  }
  return out;
}

export function matmulShape(a: readonly MDim[], b: readonly MDim[]): MDim[] | undefined {
  if (a.length === 0 || b.length === 0) return undefined;
  const left = a.length === 1 ? [a[0]!] : a.slice(-2);
  const right = b.length === 1 ? [b[0]!] : b.slice(-2);
  if (!dimEq(left[left.length - 1]!, right[0]!)) return undefined;
  const batchDims = broadcast(a.slice(0, -2), b.slice(0, -2));
  if (!batchDims) return undefined;
  return [...batchDims, ...(a.length === 1 ? [] : [left[0]!]), ...(b.length === 1 ? [] : [right[1]!])];
}

function elementwise(op: string, a: RVal, b: RVal, fail: (w: string) => never): RVal {
  const asT = (v: RVal, other: RVal): TType => {
    if (v.k === "tensor") return v.t;
    const like = other.k === "tensor" ? other.t.dtype : "f32";
    if (v.k === "float") return { dtype: Number.isInteger(v.v) || like !== "i32" ? like : "f32", shape: [] };
    if (v.k === "int") return { dtype: like, shape: [] };
    fail(`${op}: operand is not a number`);
  };
  const x = asT(a, b);
  const y = asT(b, a);
  if (x.dtype !== y.dtype) fail(`${op}: dtypes differ`);
  if (!["add", "sub", "mul", "maximum", "minimum"].includes(op)) requireFloat(x, fail);
  const shape = broadcast(x.shape, y.shape);
  if (!shape) fail(`${op}: ${typeText(x)} and ${typeText(y)} do not broadcast`);
  return tensor(x.dtype, shape);
}

/** A conv/pool output size along one spatial axis; symbolic sizes would need floor division. */
function windowOut(size: MDim, k: number, stride: number, padding: "valid" | "same"): MDim {
  if (!isConst(size)) throw new Unknown("window over a symbolic dim");
  return md(padding === "same" ? Math.ceil(size.c / stride) : Math.floor((size.c - k) / stride) + 1);
}

function nonPositive(t: TType): boolean {
  return t.shape.some((d) => isConst(d) && d.c <= 0);
}

const reduction = (floatOnly: boolean): [Spec[], Apply] => [
  [T("x"), { name: "axis", kind: "axes", def: null }, B("keepdims", false)],
  (a, fail) => {
    const x = tt(a.get("x"));
    const rank = x.shape.length;
    let axes: number[];
    const ax = a.get("axis");
    if (!ax) axes = [...Array(rank).keys()];
    else {
      const items = ax.k === "list" ? ax.items : [ax];
      axes = items.map((i) => axisOf(constInt(i, fail, "axis"), rank, fail));
      if (new Set(axes).size !== axes.length) fail("repeated axis");
      axes.sort((p, q) => p - q);
    }
    if (floatOnly) requireFloat(x, fail);
    const keep = (a.get("keepdims") as { v: boolean }).v;
    return tensor(x.dtype, keep ? x.shape.map((d, i) => (axes.includes(i) ? md(1) : d)) : x.shape.filter((_, i) => !axes.includes(i)));
  },
];

function dense(x: TType, units: MDim, fail: (w: string) => never): TType {
  if (x.shape.length < 1) fail("dense: rank 0");
  paramSize(x.shape[x.shape.length - 1]!, fail, "dense input dim");
  paramSize(units, fail, "dense units");
  requireFloat(x, fail);
  return { dtype: x.dtype, shape: [...x.shape.slice(0, -1), units] };
}

export const BUILTINS: ReadonlyMap<string, [Spec[], Apply]> = new Map<string, [Spec[], Apply]>([
  ...FLOAT_UNARY.map((n): [string, [Spec[], Apply]] => [n, [[T("x")], (a, fail) => (requireFloat(tt(a.get("x")), fail), a.get("x")!)]]),
  ...INT_SAFE_UNARY.map((n): [string, [Spec[], Apply]] => [n, [[T("x")], (a) => a.get("x")!]]),
  ["cast", [[T("x"), { name: "dtype", kind: "string" }], (a, fail) => {
    const dtype = (a.get("dtype") as { v: string }).v;
    if (dtype !== "f32" && dtype !== "i32" && dtype !== "f16") fail("cast: dtype");
    return tensor(dtype as DT, tt(a.get("x")).shape);
  }]],
  ["leaky_relu", [[T("x"), F("alpha", 0.01)], (a, fail) => (requireFloat(tt(a.get("x")), fail), a.get("x")!)]],
  ["dropout", [[T("x"), F("rate")], (a, fail) => {
    const r = num(a.get("rate"));
    if (!(r >= 0 && r < 1)) fail("dropout rate");
    // The compiler's dropout mask is f32, so it refuses other dtypes (a stated limitation, not a shape rule).
    if (tt(a.get("x")).dtype !== "f32") fail("dropout: f32 only");
    return a.get("x")!;
  }]],
  ["maximum", [[O("a"), O("b")], (a, fail) => elementwise("maximum", a.get("a")!, a.get("b")!, fail)]],
  ["minimum", [[O("a"), O("b")], (a, fail) => elementwise("minimum", a.get("a")!, a.get("b")!, fail)]],
  ["pow", [[T("x"), O("p")], (a, fail) => elementwise("pow", a.get("x")!, a.get("p")!, fail)]],
  ["dense", [[T("x"), I("units"), B("bias", true)], (a, fail) => {
    const units = dimOf(a.get("units"));
    if (isConst(units) && units.c < 1) fail("dense units");
    return { k: "tensor", t: dense(tt(a.get("x")), units, fail) };
  }]],
  ["layer_norm", [[T("x"), F("eps", 1e-5)], (a, fail) => {
    const x = tt(a.get("x"));
    if (x.shape.length < 1) fail("layer_norm: rank 0");
    requireFloat(x, fail);
    paramSize(x.shape[x.shape.length - 1]!, fail, "layer_norm dim");
    return a.get("x")!;
  }]],
  ["reshape", [[T("x"), { name: "shape", kind: "ints" }], (a, fail) => {
    const x = tt(a.get("x"));
    const dims = (a.get("shape") as { items: RVal[] }).items.map(dimOf);
    const hole = (d: MDim) => d.p === 0 && d.c === -1;
    const holes = dims.filter(hole).length;
    if (holes > 1) fail("reshape: two -1");
    let shape = dims;
    if (holes === 1) {
      const known = product(dims.filter((d) => !hole(d)));
      const inferred = known.c === 0 ? undefined : dimDivExact(product(x.shape), known);
      if (!inferred) fail("reshape: -1 cannot be inferred");
      shape = dims.map((d) => (hole(d) ? inferred! : d));
    }
    if (!dimEq(product(x.shape), product(shape))) fail("reshape: element counts differ");
    const out = { dtype: x.dtype, shape };
    if (nonPositive(out)) fail("reshape: non-positive dim");
    return { k: "tensor", t: out };
  }]],
  ["flatten", [[T("x")], (a, fail) => {
    const x = tt(a.get("x"));
    if (x.shape.length === 0) fail("flatten: rank 0");
    return tensor(x.dtype, [x.shape[0]!, product(x.shape.slice(1))]);
  }]],
  ["transpose", [[T("x"), { name: "perm", kind: "ints", def: null }], (a, fail) => {
    const x = tt(a.get("x"));
    const rank = x.shape.length;
    const p = a.get("perm");
    const perm = p ? (p as { items: RVal[] }).items.map((i) => constInt(i, fail, "perm")).map((q) => (q < 0 ? q + rank : q)) : [...Array(rank).keys()].reverse();
    if (perm.length !== rank || new Set(perm).size !== rank || perm.some((q) => q < 0 || q >= rank)) fail("transpose: bad permutation");
    return tensor(x.dtype, perm.map((q) => x.shape[q]!));
  }]],
  ["concat", [[{ name: "xs", kind: "tensors" }, I("axis", 0)], (a, fail) => {
    const xs = (a.get("xs") as { items: RVal[] }).items.map(tt);
    const first = xs[0]!;
    const rank = first.shape.length;
    const axis = axisOf(constInt(a.get("axis"), fail, "axis"), rank, fail);
    let size = first.shape[axis]!;
    for (const t of xs.slice(1)) {
      if (t.dtype !== first.dtype) fail("concat: dtypes differ");
      if (t.shape.length !== rank) fail("concat: ranks differ");
      t.shape.forEach((d, i) => {
        if (i !== axis && !dimEq(d, first.shape[i]!)) fail(`concat: dim ${i} differs`);
      });
      size = dimAdd(size, t.shape[axis]!);
    }
    return tensor(first.dtype, first.shape.map((d, i) => (i === axis ? size : d)));
  }]],
  ["sum", reduction(true)],
  ["mean", reduction(true)],
  ["max", reduction(false)],
  ...["softmax", "log_softmax"].map((n): [string, [Spec[], Apply]] => [n, [[T("x"), I("axis", -1)], (a, fail) => {
    const x = tt(a.get("x"));
    axisOf(constInt(a.get("axis"), fail, "axis"), x.shape.length, fail);
    requireFloat(x, fail);
    return a.get("x")!;
  }]]),
  ["conv2d", [[T("x"), I("filters"), I("kernel"), I("stride", 1), S("padding", "valid"), B("bias", true)], (a, fail) => {
    const x = tt(a.get("x"));
    if (x.shape.length !== 4) fail("conv2d: rank");
    const k = positive(a.get("kernel"), fail, "kernel");
    const stride = positive(a.get("stride"), fail, "stride");
    const padding = (a.get("padding") as { v: string }).v;
    if (padding !== "valid" && padding !== "same") fail("conv2d: padding");
    const pad = padding as "valid" | "same";
    const filters = dimOf(a.get("filters"));
    if (isConst(filters) && filters.c < 1) fail("conv2d: filters");
    paramSize(x.shape[3]!, fail, "conv2d channels");
    paramSize(filters, fail, "conv2d filters");
    requireFloat(x, fail);
    const [n, h, w] = x.shape as [MDim, MDim, MDim];
    if (pad === "valid") for (const s of [h, w]) if (isConst(s) && k > s.c) fail("conv2d: window larger than input");
    const out = { dtype: x.dtype, shape: [n, windowOut(h, k, stride, pad), windowOut(w, k, stride, pad), filters] };
    if (nonPositive(out)) fail("conv2d: non-positive output");
    return { k: "tensor", t: out };
  }]],
  ...["max_pool2d", "avg_pool2d"].map((n): [string, [Spec[], Apply]] => [n, [[T("x"), I("size"), I("stride", null)], (a, fail) => {
    const size = positive(a.get("size"), fail, "size");
    const stride = a.has("stride") ? positive(a.get("stride"), fail, "stride") : size;
    const x = tt(a.get("x"));
    if (x.shape.length !== 4) fail(`${n}: rank`);
    requireFloat(x, fail);
    const [b, h, w, c] = x.shape as [MDim, MDim, MDim, MDim];
    for (const s of [h, w]) if (isConst(s) && size > s.c) fail(`${n}: window larger than input`);
    const out = { dtype: x.dtype, shape: [b, windowOut(h, size, stride, "valid"), windowOut(w, size, stride, "valid"), c] };
    if (nonPositive(out)) fail(`${n}: non-positive output`);
    return { k: "tensor", t: out };
  }]]),
  // Sequences [N, T, C]: recurrent layers (T must be known: they are unrolled), conv1d and 1-D pooling.
  ...["rnn", "lstm", "gru"].map((n): [string, [Spec[], Apply]] => [n, [[T("x"), I("hidden"), ...(n === "rnn" ? [S("activation", "tanh")] : []), B("last", false)], (a, fail) => {
    const x = tt(a.get("x"));
    if (x.shape.length !== 3) fail(`${n}: rank`);
    requireFloat(x, fail);
    const [b, t, d] = x.shape as [MDim, MDim, MDim];
    if (!isConst(t)) throw new Unknown(`${n} over a symbolic length`);
    if (n === "rnn" && !["tanh", "relu"].includes((a.get("activation") as { v: string }).v)) fail("rnn: activation");
    const hidden = positive(a.get("hidden"), fail, "hidden");
    paramSize(d, fail, `${n} input`);
    const last = (a.get("last") as { v: boolean }).v;
    return tensor(x.dtype, last ? [b, md(hidden)] : [b, t, md(hidden)]);
  }]]),
  ["conv1d", [[T("x"), I("filters"), I("kernel"), I("stride", 1), I("dilation", 1), S("padding", "valid"), B("bias", true)], (a, fail) => {
    const x = tt(a.get("x"));
    if (x.shape.length !== 3) fail("conv1d: rank");
    requireFloat(x, fail);
    const k = positive(a.get("kernel"), fail, "kernel");
    const stride = positive(a.get("stride"), fail, "stride");
    const dilation = positive(a.get("dilation"), fail, "dilation");
    const padding = (a.get("padding") as { v: string }).v;
    const filters = dimOf(a.get("filters"));
    if (isConst(filters) && filters.c < 1) fail("conv1d: filters");
    paramSize(x.shape[2]!, fail, "conv1d channels");
    paramSize(filters, fail, "conv1d filters");
    const [b, t] = x.shape as [MDim, MDim];
    if (!isConst(t)) throw new Unknown("conv1d over a symbolic length");
    const extent = dilation * (k - 1) + 1;
    let out: number;
    if (padding === "valid") {
      if (extent > t.c) fail("conv1d: window larger than input");
      out = Math.floor((t.c - extent) / stride) + 1;
    } else if (padding === "same") out = Math.ceil(t.c / stride);
    else if (padding === "causal") out = Math.floor((t.c - 1) / stride) + 1;
    else fail("conv1d: padding");
    return tensor(x.dtype, [b, md(out!), filters]);
  }]],
  ...["max_pool1d", "avg_pool1d"].map((n): [string, [Spec[], Apply]] => [n, [[T("x"), I("size"), I("stride", null)], (a, fail) => {
    const size = positive(a.get("size"), fail, "size");
    const stride = a.has("stride") ? positive(a.get("stride"), fail, "stride") : size;
    const x = tt(a.get("x"));
    if (x.shape.length !== 3) fail(`${n}: rank`);
    requireFloat(x, fail);
    const [b, t, c] = x.shape as [MDim, MDim, MDim];
    if (!isConst(t)) throw new Unknown(`${n} over a symbolic length`);
    if (size > t.c) fail(`${n}: window larger than input`);
    return tensor(x.dtype, [b, md(Math.floor((t.c - size) / stride) + 1), c]);
  }]]),
  ["batch_norm", [[T("x"), F("momentum", 0.1), F("eps", 1e-5)], (a, fail) => {
    const x = tt(a.get("x"));
    if (x.shape.length < 2) fail("batch_norm: rank");
    requireFloat(x, fail);
    const m = num(a.get("momentum"));
    if (!(m >= 0 && m <= 1)) fail("batch_norm: momentum");
    if (!(num(a.get("eps")) > 0)) fail("batch_norm: eps");
    paramSize(x.shape[x.shape.length - 1]!, fail, "batch_norm features");
    return a.get("x")!;
  }]],
  ["slice", [[T("x"), I("axis"), I("start"), I("end")], (a, fail) => {
    const x = tt(a.get("x"));
    const axis = axisOf(constInt(a.get("axis"), fail, "axis"), x.shape.length, fail);
    const size = x.shape[axis]!;
    const bound = (v: RVal | undefined) => {
      const d = dimOf(v);
      return isConst(d) && d.c < 0 ? dimAdd(size, d) : d;
    };
    const start = bound(a.get("start"));
    const end = bound(a.get("end"));
    const len = dimSub(end, start);
    const bad = (isConst(start) && start.c < 0) || (isConst(end) && isConst(size) && end.c > size.c) || (isConst(len) && len.c <= 0);
    if (bad) fail("slice: range");
    return tensor(x.dtype, x.shape.map((d, i) => (i === axis ? len : d)));
  }]],
  ["attention", [[T("x"), I("heads"), B("causal", false)], (a, fail) => {
    const x = tt(a.get("x"));
    if (x.shape.length !== 3) fail("attention: rank");
    const heads = positive(a.get("heads"), fail, "heads");
    const d = x.shape[2]!;
    if (!dimDivExact(d, md(heads))) fail("attention: heads do not divide D");
    dense(x, d, fail);
    return a.get("x")!;
  }]],
  ["embedding", [[T("ids"), I("vocab"), I("dim")], (a, fail) => {
    const ids = tt(a.get("ids"));
    if (ids.dtype !== "i32") fail("embedding: ids must be i32");
    paramSize(dimOf(a.get("vocab")), fail, "vocab");
    const dim = dimOf(a.get("dim"));
    paramSize(dim, fail, "dim");
    return tensor("f32", [...ids.shape, dim]);
  }]],
  ["cross_entropy", [[T("logits"), T("labels")], (a, fail) => {
    const logits = tt(a.get("logits"));
    const labels = tt(a.get("labels"));
    if (labels.dtype !== "i32") fail("cross_entropy: labels must be i32");
    if (logits.shape.length < 1) fail("cross_entropy: rank 0 logits");
    requireFloat(logits, fail);
    const lead = logits.shape.slice(0, -1);
    if (labels.shape.length !== lead.length || !lead.every((d, i) => dimEq(d, labels.shape[i]!))) fail("cross_entropy: label shape");
    return tensor(logits.dtype, []);
  }]],
  ["mse", [[T("pred"), T("target")], (a, fail) => {
    const p = tt(a.get("pred"));
    const q = tt(a.get("target"));
    if (p.shape.length !== q.shape.length || !p.shape.every((d, i) => dimEq(d, q.shape[i]!))) fail("mse: shapes differ");
    requireFloat(p, fail);
    return tensor(p.dtype, []);
  }]],
]);

// ---- the checker ----

function freeNames(e: GExpr, batchIsName: boolean): string[] {
  switch (e.k) {
    case "name":
      return e.name === "true" || e.name === "false" ? [] : [e.name];
    case "batch":
      return batchIsName ? ["N"] : [];
    case "bin":
      return [...freeNames(e.l, batchIsName), ...freeNames(e.r, batchIsName)];
    case "neg":
    case "paren":
      return freeNames(e.x, batchIsName);
    default:
      return [];
  }
}

export class Reference {
  readonly bindings = new Map<GStmt, TType>();
  readonly blocks = new Map<string, GBlock>();
  private trained = false;

  constructor(readonly program: GProgram, readonly opts: RefOptions = {}) {
    for (const b of program.blocks) this.blocks.set(b.name, b);
  }

  /** Runs the whole model. */
  run(): RefOutcome {
    try {
      const frame = this.modelFrame();
      this.execBody(this.program.model.body, frame);
      return { kind: "ok", bindings: this.bindings };
    } catch (e) {
      if (e instanceof RefError) return { kind: "error", error: e };
      if (e instanceof Unknown) return { kind: "unknown", why: e.message };
      throw e;
    }
  }

  /** A fresh frame holding the model's hyperparameters. */
  modelFrame(): Frame {
    const scope = new Scope();
    for (const h of this.program.model.hparams) {
      const v = h.def ? this.eval(h.def, this.hyperFrame()) : undefined;
      if (!v) throw new RefError(h, "hyperparameter without a default");
      if (h.type === "float" && v.k === "int" && isConst(v.d)) scope.set(h.name, { k: "float", v: v.d.c });
      else if ((h.type === "int" && v.k === "int") || (h.type === "float" && v.k === "float")) scope.set(h.name, v);
      else throw new RefError(h.def!, "hyperparameter default of the wrong kind");
    }
    return { scope, record: true, inRepeat: false };
  }

  private hyperFrame(): Frame {
    return { scope: new Scope(), record: false, inRepeat: false };
  }

  get batchIsName(): boolean {
    return this.opts.batch === undefined;
  }

  execBody(stmts: readonly GStmt[], frame: Frame): RVal | undefined {
    let returned: RVal | undefined;
    for (const s of stmts) {
      if (returned !== undefined) throw new RefError(s, "statement after return");
      returned = this.exec(s, frame);
    }
    return returned;
  }

  exec(s: GStmt, frame: Frame): RVal | undefined {
    switch (s.k) {
      case "input": {
        if (frame.block || frame.inRepeat) throw new RefError(s, "input not allowed here");
        if (frame.scope.has(s.name)) throw new RefError(s, "input shadows a name");
        const t = this.evalType(s.type, frame.scope, "bind");
        frame.scope.set(s.name, { k: "tensor", t });
        if (frame.record) this.bindings.set(s, t);
        return undefined;
      }
      case "param": {
        const t = this.evalType(s.type, frame.scope, "refuse");
        if (t.shape.some((d) => !isConst(d))) throw new RefError(s.type, "symbolic param");
        frame.scope.set(s.name, { k: "tensor", t });
        if (frame.record) this.bindings.set(s, t);
        return undefined;
      }
      case "bind": {
        const v = this.eval(s.value, frame);
        if (s.ann && v.k === "tensor" && !this.unify(s.ann, v.t, frame.scope)) throw new RefError(s.value, "annotation mismatch");
        frame.scope.set(s.name, v);
        if (frame.record && v.k === "tensor") this.bindings.set(s, v.t);
        return undefined;
      }
      case "output":
        if (frame.block) throw new RefError(s, "output in a block");
        for (const n of s.names) {
          const v = n.k === "name" ? frame.scope.lookup(n.name) : undefined;
          if (!v) throw new RefError(n, "output undefined");
          if (v.k !== "tensor") throw new RefError(n, "output not a tensor");
        }
        return undefined;
      case "return":
        if (!frame.block || frame.inRepeat) throw new RefError(s, "return not allowed here");
        return this.eval(s.value, frame);
      case "repeat": {
        const c = this.eval(s.count, frame);
        if (c.k !== "int" || !isConst(c.d) || c.d.c < 0 || c.d.c > MAX_REPEAT) throw new RefError(s.count, "repeat count");
        const saved = s.index ? frame.scope.lookup(s.index) : undefined;
        for (let i = 0; i < c.d.c; i++) {
          if (s.index) frame.scope.set(s.index, { k: "int", d: md(i) });
          this.execBody(s.body, { ...frame, inRepeat: true });
        }
        if (s.index && saved !== undefined) frame.scope.set(s.index, saved);
        return undefined;
      }
      case "train": {
        if (frame.block || frame.inRepeat || this.trained) throw new RefError(s, "train not allowed here");
        this.trained = true;
        const loss = this.eval(s.loss, frame);
        if (loss.k !== "tensor" || loss.t.shape.length !== 0 || loss.t.dtype !== "f32") throw new RefError(s.loss, "loss is not an f32 scalar");
        return undefined;
      }
    }
  }

  /** An input or param type. `bind`: unknown dim names become symbols (only N is in this domain). */
  evalType(type: GType, scope: Scope, unknown: "bind" | "refuse"): TType {
    if (!["f32", "i32", "f16"].includes(type.dtype)) throw new RefError(type, "unknown dtype");
    const shape: MDim[] = [];
    for (const d of type.dims) {
      if (unknown === "bind")
        for (const n of freeNames(d, this.batchIsName))
          if (!scope.has(n)) {
            if (n !== "N") throw new Unknown(`a second symbolic dim ${n}`);
            scope.set(n, { k: "int", d: md(1, 1) });
          }
      const v = this.eval(d, { scope, record: false, inRepeat: false });
      if (v.k !== "int") throw new RefError(d, "dim is not an int");
      if (isConst(v.d) && v.d.c <= 0) throw new RefError(d, "non-positive dim");
      shape.push(v.d);
    }
    return { dtype: type.dtype as DT, shape };
  }

  /** The checker's unification of a declared type with an actual one; binds unbound names in `scope`. */
  unify(type: GType, actual: TType, scope: Scope): boolean {
    if (!["f32", "i32", "f16"].includes(type.dtype)) throw new RefError(type, "unknown dtype");
    if (type.dims.length !== actual.shape.length) return false;
    const asName = (d: GExpr) => (d.k === "name" ? d.name : d.k === "batch" && this.batchIsName ? "N" : undefined);
    type.dims.forEach((d, i) => {
      const n = asName(d);
      if (n !== undefined && !scope.has(n)) scope.set(n, { k: "int", d: actual.shape[i]! });
    });
    type.dims.forEach((d, i) => {
      const free = freeNames(d, this.batchIsName).filter((n) => !scope.has(n));
      if (free.length !== 1) return;
      const at = (x: number) => {
        const probe = new Scope(scope);
        probe.set(free[0]!, { k: "int", d: md(x) });
        return this.quietInt(d, probe);
      };
      const f0 = at(0);
      const f1 = at(1);
      const f2 = at(2);
      if (!f0 || !f1 || !f2) throw new Unknown("unsolvable dim expression");
      const coef = dimSub(f1, f0);
      if (!isConst(coef) || !dimEq(dimSub(f2, f1), coef)) throw new Unknown("non-linear dim expression");
      if (coef.c === 0) return;
      const solved = dimDivExact(dimSub(actual.shape[i]!, f0), coef);
      if (solved) scope.set(free[0]!, { k: "int", d: solved });
    });
    let ok = true;
    type.dims.forEach((d, i) => {
      if (freeNames(d, this.batchIsName).some((n) => !scope.has(n))) {
        ok = false;
        return;
      }
      const v = this.quietInt(d, scope);
      if (v && !dimEq(v, actual.shape[i]!)) ok = false;
    });
    return ok && type.dtype === actual.dtype;
  }

  /** Evaluates an int expression, or undefined where the checker's quiet evaluation reports (and drops) an error. */
  private quietInt(e: GExpr, scope: Scope): MDim | undefined {
    try {
      const v = this.eval(e, { scope, record: false, inRepeat: false });
      return v.k === "int" ? v.d : undefined;
    } catch (err) {
      if (err instanceof RefError) return undefined;
      throw err;
    }
  }

  eval(e: GExpr, frame: Frame): RVal {
    switch (e.k) {
      case "num":
        return /^\d+$/.test(e.text) ? { k: "int", d: md(Number(e.text)) } : { k: "float", v: Number(e.text) };
      case "str":
        return { k: "string", v: e.value };
      case "batch": {
        if (this.opts.batch !== undefined) return { k: "int", d: md(this.opts.batch) };
        const v = frame.scope.lookup("N");
        if (!v) throw new RefError(e, "undefined name N");
        return v;
      }
      case "name": {
        const v = frame.scope.lookup(e.name);
        if (v) return v;
        if (e.name === "true" || e.name === "false") return { k: "bool", v: e.name === "true" };
        throw new RefError(e, `undefined name ${e.name}`);
      }
      case "paren":
        return this.eval(e.x, frame);
      case "list":
        return { k: "list", items: e.items.map((i) => this.eval(i, frame)) };
      case "neg": {
        const v = this.eval(e.x, frame);
        if (v.k === "int") return { k: "int", d: md(-v.d.c, v.d.p) };
        if (v.k === "float") return { k: "float", v: -v.v };
        if (v.k === "tensor") return v;
        throw new RefError(e, "cannot negate");
      }
      case "bin":
        return this.evalBin(e, frame);
      case "call":
        return this.evalCall(e, frame);
    }
  }

  private evalBin(e: Extract<GExpr, { k: "bin" }>, frame: Frame): RVal {
    const l = this.eval(e.l, frame);
    const r = this.eval(e.r, frame);
    const fail = (why: string): never => {
      throw new RefError(e, why);
    };
    if (l.k === "int" && r.k === "int") {
      switch (e.op) {
        case "+":
          return { k: "int", d: dimAdd(l.d, r.d) };
        case "-":
          return { k: "int", d: dimSub(l.d, r.d) };
        case "*":
          return { k: "int", d: dimMul(l.d, r.d) };
        case "/": {
          if (r.d.c === 0) fail("division by zero");
          const q = dimDivExact(l.d, r.d);
          if (q) return { k: "int", d: q };
          if (isConst(l.d) && isConst(r.d)) fail("inexact division");
          throw new Unknown("symbolic floor division");
        }
        case "@":
          fail("@ of ints");
      }
    }
    const isNum = (v: RVal) => v.k === "float" || (v.k === "int" && isConst(v.d));
    if (isNum(l) && isNum(r)) {
      if (e.op === "@") fail("@ of numbers");
      return { k: "float", v: NaN };
    }
    const operand = (v: RVal) => v.k === "tensor" || v.k === "float" || v.k === "int";
    if (!operand(l) || !operand(r) || (l.k !== "tensor" && r.k !== "tensor")) fail("bad operands");
    if (e.op === "@") {
      if (l.k !== "tensor" || r.k !== "tensor") fail("@ needs tensors");
      const lt = tt(l);
      const rt = tt(r);
      if (lt.dtype !== rt.dtype) fail("matmul dtypes");
      requireFloat(lt, fail);
      const shape = matmulShape(lt.shape, rt.shape);
      if (!shape) fail("matmul shapes");
      return tensor(lt.dtype, shape!);
    }
    const prim = ({ "+": "add", "-": "sub", "*": "mul", "/": "div" } as const)[e.op];
    return elementwise(prim, l, r, fail);
  }

  private evalCall(e: Extract<GExpr, { k: "call" }>, frame: Frame): RVal {
    const args = e.args.map((a) => ({ name: a.name, value: this.eval(a.value, frame), node: a.value }));
    const block = this.blocks.get(e.fn);
    if (block) return this.callBlock(block, args, e);
    const builtin = BUILTINS.get(e.fn);
    if (!builtin) throw new RefError(e, `unknown function ${e.fn}`);
    const [specs, apply] = builtin;
    const bound = this.bind(specs, args, e);
    return apply(bound, (why) => {
      throw new RefError(e, `${e.fn}: ${why}`);
    });
  }

  private bind(specs: readonly Spec[], args: { name?: string | undefined; value: RVal; node: GExpr }[], call: GExpr): Bound {
    const bound = new Map<string, RVal>();
    let positional = 0;
    for (const a of args) {
      const spec = a.name === undefined ? specs[positional++] : specs.find((s) => s.name === a.name);
      if (!spec) throw new RefError(call, "too many or unknown arguments");
      if (bound.has(spec.name)) throw new RefError(call, "duplicate argument");
      if (!kindOk(spec.kind, a.value)) throw new RefError(a.node, `argument ${spec.name} of the wrong kind`);
      bound.set(spec.name, a.value);
    }
    for (const s of specs) {
      if (bound.has(s.name)) continue;
      if (s.def === undefined) throw new RefError(call, `missing argument ${s.name}`);
      if (s.def !== null) bound.set(s.name, s.def);
    }
    return bound;
  }

  private callBlock(block: GBlock, args: { name?: string | undefined; value: RVal; node: GExpr }[], call: GExpr): RVal {
    const specs: Spec[] = block.params.map((p) => {
      const spec: Spec = { name: p.name, kind: typeof p.type === "string" ? p.type : "tensor" };
      if (p.def) {
        const v = this.eval(p.def, this.hyperFrame());
        spec.def = p.type === "float" && v.k === "int" ? { k: "float", v: v.d.c } : v;
      }
      return spec;
    });
    const bound = this.bind(specs, args, call);
    const nodes = new Map(args.map((a, i) => [a.name ?? specs[i]!.name, a.node]));
    const scope = new Scope();
    for (const p of block.params) {
      let v = bound.get(p.name)!;
      if (typeof p.type !== "string" && v.k === "tensor" && !this.unify(p.type, v.t, scope)) throw new RefError(nodes.get(p.name) ?? call, `argument ${p.name} does not match the signature`);
      if (p.type === "float" && v.k === "int") v = { k: "float", v: v.d.c };
      scope.set(p.name, v);
    }
    const result = this.execBody(block.body, { scope, block, record: false, inRepeat: false });
    const ret = block.body.find((s) => s.k === "return");
    if (result === undefined) throw new RefError(block, "missing return");
    if (block.ret) {
      const at = ret && ret.k === "return" ? ret.value : block;
      if (result.k !== "tensor" || !this.unify(block.ret, result.t, scope)) throw new RefError(at, "return type mismatch");
    }
    return result;
  }
}

export function refCheck(p: GProgram, opts: RefOptions = {}): RefOutcome {
  return new Reference(p, opts).run();
}

/** The model-level names as `dlg check` lists them: type text of each recorded statement. */
export function bindingTexts(bindings: Map<GStmt, TType>): Map<GStmt, string> {
  return new Map([...bindings].map(([s, t]) => [s, typeText(t)]));
}

export type { GParam };
