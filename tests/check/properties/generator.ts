// Random well-typed .dlg programs for property tests, with the type the checker must infer for every model-level
// binding. A program is drawn from a tape of random numbers (fast-check shrinks the tape, and so the program, toward
// zeros: the simplest choices). Shapes are tracked by the reference checker in reference.ts, which knows nothing of
// the compiler; every construct is built so that it type-checks under that reference, and the final program is
// re-checked from scratch to produce the expected types.
import fc from "fast-check";
import {
  arg, batch, bin, call, clone, list, name, neg, num, render, str, type BinOp, type GArg, type GBlock, type GExpr, type GParam,
  type GProgram, type GStmt, type GType,
} from "./program.js";
import { dimEq, isConst, md, product, Reference, RefError, Scope, typeText, Unknown, type Frame, type MDim, type RefOutcome, type TType } from "./reference.js";

export * from "./program.js";
export { dimText, refCheck, typeText, type MDim, type RefOutcome, type TType } from "./reference.js";

/** The generator's source of choices. Past the end of the tape every choice is the smallest. */
export class Tape {
  private i = 0;
  constructor(private readonly values: readonly number[]) {}
  int(lo: number, hi: number): number {
    if (hi <= lo) return lo;
    const v = this.i < this.values.length ? this.values[this.i++]! : 0;
    return lo + (v % (hi - lo + 1));
  }
  /** True with about `pct` percent; false when the tape is exhausted. */
  chance(pct: number): boolean {
    return this.int(0, 99) >= 100 - pct;
  }
  pick<T>(xs: readonly T[]): T {
    return xs[this.int(0, xs.length - 1)]!;
  }
}

/** An expression with its type. */
interface G {
  e: GExpr;
  t: TType;
}

interface Ctx {
  frame: Frame;
  body: GStmt[];
  /** Set while generating a block's body: dims are then written with the block's signature names, not `N`. */
  block?: GBlock;
  /** Block nesting depth. */
  depth: number;
  /** The repeat index in scope, if any. */
  index?: string;
}

const SIZES = [1, 2, 3, 4, 5, 6, 8, 10, 12, 16, 32];
const ACTIVATIONS = ["relu", "gelu", "silu", "sigmoid", "tanh", "abs", "square", "neg", "exp"];
const INITS = ["zeros()", "ones()", "glorot_uniform()", "normal(std: 0.02)", "he_normal()", "uniform(low: -0.1, high: 0.1)", "normal"];
const DIM_NAMES = ["B", "T", "D", "H", "W", "C", "K", "M", "L", "E", "F", "S"];

class GeneratorBug extends Error {}

function initExpr(text: string): GExpr {
  // Only the forms in INITS: `name()`, `name(k: v, ...)` or a bare name.
  const m = /^(\w+)(?:\((.*)\))?$/.exec(text)!;
  if (m[2] === undefined) return name(m[1]!);
  const args = m[2] === "" ? [] : m[2].split(", ").map((kv) => {
    const [k, v] = kv.split(": ") as [string, string];
    return arg(num(Number(v)), k);
  });
  return call(m[1]!, args);
}

function divisors(n: number): number[] {
  const out: number[] = [];
  for (let d = 1; d <= n; d++) if (n % d === 0) out.push(d);
  return out;
}

export class ProgramGen {
  private counter = 0;
  private blockCounter = 0;
  /** The float dtype of the program: f32, or (sometimes) f16 throughout. */
  private dt: "f32" | "f16" = "f32";
  readonly program: GProgram;
  readonly ref: Reference;

  constructor(private readonly t: Tape) {
    this.program = { blocks: [], model: { name: t.pick(["M", "Net", "Tiny_1", "MnistMLP"]), hparams: [], body: [] }, style: 0 };
    this.ref = new Reference(this.program);
  }

  // ---- helpers ----

  private fresh(prefix: string): string {
    // Now and then a name every JavaScript object has as a property: the checker must treat it as any other name.
    const unused = PROTOTYPE_NAMES.filter((n) => !this.usedPrototypeNames.has(n));
    if (unused.length > 0 && this.t.chance(6)) {
      const n = this.t.pick(unused);
      this.usedPrototypeNames.add(n);
      return n;
    }
    return `${prefix}${this.counter++}`;
  }

  private readonly usedPrototypeNames = new Set<string>();

  private emit(ctx: Ctx, s: GStmt): void {
    ctx.body.push(s);
    try {
      this.ref.exec(s, ctx.frame);
    } catch (e) {
      if (e instanceof RefError || e instanceof Unknown) throw new GeneratorBug(`generated statement fails the reference: ${e.message}`);
      throw e;
    }
  }

  private typeOf(ctx: Ctx, e: GExpr): TType {
    let v;
    try {
      v = this.ref.eval(e, ctx.frame);
    } catch (err) {
      if (err instanceof RefError || err instanceof Unknown) throw new GeneratorBug(`generated expression fails the reference: ${err.message}`);
      throw err;
    }
    if (v.k !== "tensor") throw new GeneratorBug("generated expression is not a tensor");
    return v.t;
  }

  private g(ctx: Ctx, e: GExpr): G {
    return { e, t: this.typeOf(ctx, e) };
  }

  private vars(ctx: Ctx, dtype: string): [string, TType][] {
    return ctx.frame.scope
      .entries()
      .filter(([, v]) => v.k === "tensor" && v.t.dtype === dtype)
      .map(([n, v]) => [n, (v as { t: TType }).t]);
  }

  /** Names of compile-time ints in scope (hyperparameters, block signature dims, int parameters, the repeat index). */
  private intNames(ctx: Ctx): [string, MDim][] {
    return ctx.frame.scope
      .entries()
      .filter(([n, v]) => v.k === "int" && n !== ctx.index && n !== "N")
      .map(([n, v]) => [n, (v as { d: MDim }).d]);
  }

  /** Writes a dim as an int expression valid in this context, or undefined when it cannot be written. */
  private intExpr(ctx: Ctx, d: MDim): GExpr | undefined {
    const named = this.intNames(ctx).filter(([, v]) => v.p === d.p && v.c !== 0 && d.c % v.c === 0);
    if (named.length > 0 && (d.p > 0 || this.t.chance(25))) {
      const [n, v] = this.t.pick(named);
      const k = d.c / v.c;
      return k === 1 ? name(n) : this.t.chance(50) ? bin("*", num(k), name(n)) : bin("*", name(n), num(k));
    }
    if (isConst(d) && d.c > 0 && this.t.chance(15)) {
      // A constant written with a constant name: `hidden / 4`, `D - 2`, `(D + 1) * 2`.
      const consts = this.intNames(ctx).filter(([, v]) => isConst(v) && v.c > 0);
      if (consts.length > 0) {
        const [n, v] = this.t.pick(consts);
        if (v.c % d.c === 0 && v.c !== d.c) return bin("/", name(n), num(v.c / d.c));
        if (v.c > d.c) return bin("-", name(n), num(v.c - d.c));
        if (d.c % (v.c + 1) === 0 && d.c > v.c + 1) return bin("*", bin("+", name(n), num(1)), num(d.c / (v.c + 1)));
        return bin("+", name(n), num(d.c - v.c));
      }
    }
    if (isConst(d)) return num(d.c);
    if (ctx.block || d.c < 0) return undefined;
    let base: GExpr = batch();
    for (let i = 1; i < d.p; i++) base = bin("*", base, batch());
    return d.c === 1 ? base : bin("*", num(d.c), base);
  }

  private typeExpr(ctx: Ctx, t: TType): GType | undefined {
    const dims: GExpr[] = [];
    for (const d of t.shape) {
      const e = this.intExpr(ctx, d);
      if (!e) return undefined;
      dims.push(e);
    }
    return { dtype: t.dtype, dims };
  }

  /** `f(x, rest)` or `x -> f(rest)` (or `x -> f` without arguments). */
  private apply(fn: string, x: GExpr, rest: GArg[] = []): GExpr {
    const style = this.t.int(0, 3);
    if (style === 1 || style === 2) return call(fn, [arg(x), ...rest], true, style === 2);
    return call(fn, [arg(x), ...rest]);
  }

  private units(ctx: Ctx): { e: GExpr; v: number } {
    const named = this.intNames(ctx).filter(([, v]) => isConst(v) && v.c >= 1 && v.c <= 64);
    if (named.length > 0 && this.t.chance(30)) {
      const [n, v] = this.t.pick(named);
      return { e: name(n), v: v.c };
    }
    const v = this.t.pick(SIZES);
    return { e: num(v), v };
  }

  private permutation(n: number): number[] {
    const p = [...Array(n).keys()];
    for (let i = n - 1; i > 0; i--) {
      const j = this.t.int(0, i);
      [p[i], p[j]] = [p[j]!, p[i]!];
    }
    return p;
  }

  private axisExpr(a: number, rank: number): GExpr {
    return this.t.chance(30) ? num(a - rank) : num(a);
  }

  private param(ctx: Ctx, dims: number[]): string {
    const n = this.fresh(this.t.pick(["w", "b", "scale_", "P"]));
    const s: GStmt = { k: "param", name: n, type: { dtype: this.dt, dims: dims.map((d) => num(d)) } };
    if (this.t.int(0, 4) > 0) s.init = initExpr(this.t.pick(INITS));
    this.emit(ctx, s);
    return n;
  }

  // ---- expressions ----

  genTensor(ctx: Ctx, depth: number): G {
    if (depth <= 0 || this.t.int(0, 4) === 0) return this.leaf(ctx);
    const x = this.genTensor(ctx, depth - 1);
    return this.op(ctx, x);
  }

  private leaf(ctx: Ctx): G {
    const ids = this.vars(ctx, "i32").filter(([, t]) => t.shape.length >= 2);
    // embedding's table is f32, so it only feeds f32 programs.
    if (ids.length > 0 && this.dt === "f32" && this.t.chance(15)) {
      const [n] = this.t.pick(ids);
      const dim = this.units(ctx);
      return this.g(ctx, this.apply("embedding", name(n), [arg(num(this.t.pick([10, 50, 100]))), arg(dim.e, this.t.chance(30) ? "dim" : undefined)]));
    }
    const vars = this.vars(ctx, this.dt);
    if (vars.length === 0) throw new GeneratorBug("no tensor in scope");
    // Prefer recent values: scope entries list the innermost (latest) names first... within one scope, oldest first.
    const recent = vars.slice(-4);
    const [n, t] = this.t.chance(70) ? this.t.pick(recent) : this.t.pick(vars);
    return { e: name(n), t };
  }

  private op(ctx: Ctx, x: G): G {
    const r = x.t.shape.length;
    const last = x.t.shape[r - 1];
    const lastConst = last !== undefined && isConst(last);
    const options: [number, () => GExpr | undefined][] = [
      [3, () => this.act(ctx, x)],
      [lastConst ? 4 : 0, () => this.dense(ctx, x)],
      [4, () => this.binary(ctx, x)],
      [2, () => this.reshape(ctx, x)],
      [r >= 1 ? 1 : 0, () => this.apply("flatten", x.e, [])],
      [r >= 1 ? 2 : 0, () => this.transpose(x)],
      [r >= 1 ? 2 : 0, () => this.concat(ctx, x)],
      [2, () => this.reduce(x)],
      [r >= 1 ? 1 : 0, () => this.softmax(x)],
      [lastConst ? 1 : 0, () => this.apply("layer_norm", x.e, this.t.chance(20) ? [arg(num("1e-6"), "eps")] : [])],
      [r === 4 ? 10 : 0, () => this.conv(ctx, x)],
      [r === 4 ? 4 : 0, () => this.pool(x)],
      [r === 3 && lastConst && isConst(x.t.shape[1]!) ? 3 : 0, () => this.recurrent(ctx, x)],
      [r === 3 && lastConst && isConst(x.t.shape[1]!) ? 3 : 0, () => this.conv1d(ctx, x)],
      [r >= 2 && lastConst ? 1 : 0, () => this.apply("batch_norm", x.e, this.t.chance(30) ? [arg(num(0.3), "momentum")] : [])],
      [r >= 1 ? 2 : 0, () => this.matmul(ctx, x)],
      [r === 3 && lastConst ? 1 : 0, () => this.attention(x)],
      [ctx.depth < 2 ? 2 : 0, () => this.blockCall(ctx, x, false)],
      [r >= 1 ? 1 : 0, () => this.slice(x)],
      [1, () => this.apply("cast", this.t.chance(50) ? x.e : call("cast", [arg(x.e), arg(str(this.dt === "f32" ? "f16" : "f32"))]), [arg(str(this.dt))])],
    ];
    for (let attempt = 0; attempt < 3; attempt++) {
      const total = options.reduce((s, [w]) => s + w, 0);
      let k = this.t.int(0, total - 1);
      const chosen = options.find(([w]) => (k -= w) < 0)!;
      const e = chosen[1]();
      if (e) return this.g(ctx, e);
    }
    return this.g(ctx, this.act(ctx, x));
  }

  private act(ctx: Ctx, x: G): GExpr {
    switch (this.t.int(0, 11)) {
      case 9:
        return this.apply("leaky_relu", x.e, this.t.chance(50) ? [arg(num(0.2), this.t.chance(50) ? "alpha" : undefined)] : []);
      case 10: {
        if (this.dt !== "f32") return this.apply("relu", x.e);
        const rates = ctx.frame.scope.entries().filter(([, v]) => v.k === "float").map(([n]) => n);
        const rate = rates.length > 0 && this.t.chance(50) ? name(this.t.pick(rates)) : num(this.t.pick([0.1, 0.5, 0]));
        return this.apply("dropout", x.e, [arg(rate, this.t.chance(50) ? "rate" : undefined)]);
      }
      case 11:
        return neg(x.e);
      default:
        return this.apply(this.t.pick(ACTIVATIONS), x.e);
    }
  }

  private dense(ctx: Ctx, x: G): GExpr {
    const u = this.units(ctx);
    const namedUnits = this.t.chance(20);
    const rest: GArg[] = [arg(u.e, namedUnits ? "units" : undefined)];
    const bias = this.t.int(0, 5);
    if (bias === 4) rest.push(arg(name("false"), "bias"));
    if (bias === 5) rest.push(arg(name(this.t.chance(50) ? "true" : "false"), namedUnits ? "bias" : undefined));
    return this.apply("dense", x.e, rest);
  }

  /** A partner for an elementwise op with x: something that broadcasts against x's shape. */
  private partner(ctx: Ctx, x: G): GExpr | undefined {
    const s = x.t.shape;
    const r = s.length;
    switch (this.t.int(0, 6)) {
      case 0:
        return num(this.t.pick([2, 0.5, "1e-3", 3, 1.5]));
      case 6: {
        // A compile-time int: a dim (`N`, `2 * N`, a signature dim) or a hyperparameter, as a scalar of x's dtype.
        const ints = this.intNames(ctx);
        if (!ctx.block && this.t.chance(50)) return this.t.chance(50) ? batch() : bin("*", num(2), batch());
        return ints.length > 0 ? name(this.t.pick(ints)[0]) : undefined;
      }
      case 1:
        return clone(x.e);
      case 2: {
        if (r === 0) return undefined;
        const axes = [...Array(r).keys()].filter(() => this.t.chance(50));
        if (axes.length === 0) axes.push(this.t.int(0, r - 1));
        const axis = axes.length === 1 && this.t.chance(50) ? this.axisExpr(axes[0]!, r) : list(axes.map((a) => num(a)));
        return call(this.t.pick(["mean", "sum", "max"]), [arg(clone(x.e)), arg(axis, "axis"), arg(name("true"), "keepdims")]);
      }
      case 3: {
        if (r < 2) return undefined;
        const k = this.t.int(1, r - 1);
        const axes = [...Array(k).keys()];
        return call(this.t.pick(["mean", "sum"]), [arg(clone(x.e)), arg(k === 1 ? num(0) : list(axes.map((a) => num(a))), "axis")]);
      }
      case 4: {
        let k = 0;
        while (k < r && isConst(s[r - 1 - k]!) && k < 3) k++;
        k = this.t.int(0, k);
        const dims = s.slice(r - k).map((d) => (this.t.chance(25) ? 1 : d.c));
        return name(this.param(ctx, dims));
      }
      default: {
        const pool = this.vars(ctx, this.dt).filter(([, t]) => broadcastable(t.shape, s));
        if (pool.length === 0) return undefined;
        return name(this.t.pick(pool)[0]);
      }
    }
  }

  private binary(ctx: Ctx, x: G): GExpr | undefined {
    const p = this.partner(ctx, x);
    if (!p) return undefined;
    const kind = this.t.int(0, 9);
    // maximum/minimum take "a tensor or a number": a symbolic int is not one.
    const symbolicInt = p.k === "batch" || p.k === "bin" || (p.k === "name" && this.intNames(ctx).some(([n, v]) => n === p.name && !isConst(v)));
    if (kind === 8 && !symbolicInt) return call(this.t.pick(["maximum", "minimum"]), this.t.chance(50) ? [arg(x.e), arg(p)] : [arg(p), arg(x.e)]);
    if (kind === 9) return this.apply("pow", x.e, [arg(num(this.t.pick([2, 0.5, 3])))]);
    const op = this.t.pick<BinOp>(["+", "-", "*", "/"]);
    return this.t.chance(50) ? bin(op, x.e, p) : bin(op, p, x.e);
  }

  private reshape(ctx: Ctx, x: G): GExpr | undefined {
    const s = x.t.shape;
    const sym = s.filter((d) => !isConst(d));
    let rest = product(s.filter(isConst)).c;
    const entries: MDim[] = [];
    const parts = this.t.int(1, 3);
    for (let i = 0; i < parts - 1; i++) {
      const f = this.t.pick(divisors(rest));
      entries.push(md(f));
      rest /= f;
    }
    entries.push(md(rest));
    for (const d of sym) entries.splice(this.t.int(0, entries.length), 0, d);
    const exprs = entries.map((d) => this.intExpr(ctx, d));
    const missing = exprs.flatMap((e, i) => (e ? [] : [i]));
    if (missing.length > 1) return undefined;
    const hole = missing.length === 1 ? missing[0]! : this.t.chance(40) ? this.t.int(0, entries.length - 1) : -1;
    const items = exprs.map((e, i) => (i === hole ? num(-1) : e!));
    if (entries.length === 1 && hole === -1 && this.t.chance(50)) return this.apply("reshape", x.e, [arg(list([num(-1)]), "shape")]);
    return this.apply("reshape", x.e, [arg(list(items), this.t.chance(20) ? "shape" : undefined)]);
  }

  private transpose(x: G): GExpr {
    const r = x.t.shape.length;
    if (this.t.chance(20)) return this.apply("transpose", x.e);
    const perm = this.permutation(r).map((p) => this.axisExpr(p, r));
    return this.apply("transpose", x.e, [arg(list(perm), this.t.chance(30) ? "perm" : undefined)]);
  }

  private concat(ctx: Ctx, x: G): GExpr | undefined {
    const s = x.t.shape;
    const r = s.length;
    const axis = this.t.int(0, r - 1);
    const parts: GExpr[] = [x.e];
    const n = this.t.int(1, 2);
    for (let i = 0; i < n; i++) {
      const options: GExpr[] = [clone(x.e), this.act(ctx, { e: clone(x.e), t: x.t })];
      if (axis === r - 1 && isConst(s[axis]!)) options.push(this.dense(ctx, { e: clone(x.e), t: x.t }));
      if (isConst(s[axis]!)) options.push(call("sum", [arg(clone(x.e)), arg(num(axis), "axis"), arg(name("true"), "keepdims")]));
      for (const [v, t] of this.vars(ctx, this.dt))
        if (t.shape.length === r && t.shape.every((d, j) => j === axis ? d.p === s[axis]!.p : dimEq(d, s[j]!))) options.push(name(v));
      parts.push(this.t.pick(options));
    }
    // Every part's size along the axis must be a multiple of the same power of N (else the sum leaves this domain).
    const args: GArg[] = [arg(list(parts))];
    if (axis !== 0 || this.t.chance(50)) args.push(arg(this.axisExpr(axis, r), this.t.chance(80) ? "axis" : undefined));
    const e = call("concat", args);
    try {
      const v = this.ref.eval(e, ctx.frame);
      return v.k === "tensor" ? e : undefined;
    } catch (err) {
      if (err instanceof Unknown) return undefined;
      throw err;
    }
  }

  private reduce(x: G): GExpr {
    const r = x.t.shape.length;
    const fn = this.t.pick(["sum", "mean", "max"]);
    const rest: GArg[] = [];
    if (r > 0 && this.t.chance(75)) {
      const axes = [...Array(r).keys()].filter(() => this.t.chance(50));
      if (axes.length === 0) axes.push(this.t.int(0, r - 1));
      const ordered = this.permutation(axes.length).map((i) => axes[i]!);
      rest.push(arg(ordered.length === 1 && this.t.chance(60) ? this.axisExpr(ordered[0]!, r) : list(ordered.map((a) => this.axisExpr(a, r))), "axis"));
    }
    const keep = this.t.int(0, 2);
    if (keep > 0) rest.push(arg(name(keep === 1 ? "true" : "false"), "keepdims"));
    return this.apply(fn, x.e, rest);
  }

  private softmax(x: G): GExpr {
    const r = x.t.shape.length;
    const fn = this.t.chance(70) ? "softmax" : "log_softmax";
    return this.apply(fn, x.e, this.t.chance(50) ? [arg(this.axisExpr(this.t.int(0, r - 1), r), this.t.chance(80) ? "axis" : undefined)] : []);
  }

  private conv(ctx: Ctx, x: G): GExpr | undefined {
    const [, h, w, c] = x.t.shape as [MDim, MDim, MDim, MDim];
    if (!isConst(h) || !isConst(w) || !isConst(c)) return undefined;
    const same = this.t.chance(40);
    const k = this.t.int(1, Math.min(5, same ? 5 : Math.min(h.c, w.c)));
    const stride = this.t.int(1, 3);
    const f = this.units(ctx);
    const named = this.t.chance(40);
    const rest: GArg[] = [arg(f.e, named && this.t.chance(50) ? "filters" : undefined), arg(num(k), named ? "kernel" : undefined)];
    if (stride !== 1 || this.t.chance(20)) rest.push(arg(num(stride), "stride"));
    if (same || this.t.chance(20)) rest.push(arg(str(same ? "same" : "valid"), "padding"));
    if (this.t.chance(10)) rest.push(arg(name("false"), "bias"));
    return this.apply("conv2d", x.e, rest);
  }

  private recurrent(ctx: Ctx, x: G): GExpr | undefined {
    const layer = this.t.pick(["rnn", "lstm", "gru"]);
    const rest: GArg[] = [arg(num(this.t.pick([1, 2, 3, 5, 8])), this.t.chance(30) ? "hidden" : undefined)];
    if (layer === "rnn" && this.t.chance(50)) rest.push(arg(str(this.t.pick(["tanh", "relu"])), "activation"));
    if (this.t.chance(40)) rest.push(arg(name(this.t.chance(50) ? "true" : "false"), "last"));
    return this.apply(layer, x.e, rest);
  }

  private conv1d(ctx: Ctx, x: G): GExpr | undefined {
    const t = (x.t.shape[1] as MDim).c;
    const padding = this.t.pick(["valid", "same", "causal"]);
    const k = this.t.int(1, 4);
    const dilation = this.t.int(1, 3);
    if (padding === "valid" && dilation * (k - 1) + 1 > t) return undefined;
    const rest: GArg[] = [arg(this.units(ctx).e), arg(num(k), "kernel")];
    const stride = this.t.int(1, 3);
    if (stride !== 1) rest.push(arg(num(stride), "stride"));
    if (dilation !== 1) rest.push(arg(num(dilation), "dilation"));
    if (padding !== "valid" || this.t.chance(20)) rest.push(arg(str(padding), "padding"));
    if (this.t.chance(30)) {
      // A pooling over time instead.
      const size = this.t.int(1, Math.min(3, t));
      return this.apply(this.t.pick(["max_pool1d", "avg_pool1d"]), x.e, [arg(num(size)), ...(this.t.chance(40) ? [arg(num(this.t.int(1, 3)), "stride")] : [])]);
    }
    return this.apply("conv1d", x.e, rest);
  }

  private pool(x: G): GExpr | undefined {
    const [, h, w] = x.t.shape as [MDim, MDim, MDim];
    if (!isConst(h) || !isConst(w)) return undefined;
    const size = this.t.int(1, Math.min(3, h.c, w.c));
    const rest: GArg[] = [arg(num(size), this.t.chance(30) ? "size" : undefined)];
    if (this.t.chance(40)) rest.push(arg(num(this.t.int(1, 3)), "stride"));
    return this.apply(this.t.pick(["max_pool2d", "avg_pool2d"]), x.e, rest);
  }

  private matmul(ctx: Ctx, x: G): GExpr | undefined {
    const s = x.t.shape;
    const r = s.length;
    const last = s[r - 1]!;
    switch (this.t.int(0, 4)) {
      case 0:
      case 1: {
        if (!isConst(last)) return undefined;
        const p = this.units(ctx).v;
        return bin("@", x.e, name(this.param(ctx, this.t.chance(80) ? [last.c, p] : [last.c])));
      }
      case 2: {
        if (r < 2 || !isConst(s[r - 2]!)) return undefined;
        return bin("@", name(this.param(ctx, [this.units(ctx).v, s[r - 2]!.c])), x.e);
      }
      case 3: {
        if (r < 2) return undefined;
        const perm = [...Array(r).keys()];
        [perm[r - 1], perm[r - 2]] = [perm[r - 2]!, perm[r - 1]!];
        return bin("@", x.e, call("transpose", [arg(clone(x.e)), arg(list(perm.map((p) => num(p))))]));
      }
      default: {
        const pool = this.vars(ctx, this.dt).filter(([, t]) => matmulOk(s, t.shape));
        if (pool.length === 0) return undefined;
        return bin("@", x.e, name(this.t.pick(pool)[0]));
      }
    }
  }

  private attention(x: G): GExpr | undefined {
    const d = x.t.shape[2]!;
    const heads = this.t.pick(divisors(d.c).filter((h) => h <= 4));
    const rest: GArg[] = [arg(num(heads), this.t.chance(30) ? "heads" : undefined)];
    if (this.t.chance(40)) rest.push(arg(name(this.t.chance(50) ? "true" : "false"), "causal"));
    return this.apply("attention", x.e, rest);
  }

  private slice(x: G): GExpr | undefined {
    const s = x.t.shape;
    const r = s.length;
    const axes = [...Array(r).keys()].filter((a) => isConst(s[a]!) && s[a]!.c >= 2);
    if (axes.length === 0) return undefined;
    const axis = this.t.pick(axes);
    const size = s[axis]!.c;
    const start = this.t.int(0, size - 2);
    const end = this.t.int(start + 1, size);
    const endE = end < size && this.t.chance(30) ? num(end - size) : num(end);
    const named = this.t.chance(30);
    return this.apply("slice", x.e, [arg(this.axisExpr(axis, r), named ? "axis" : undefined), arg(num(start), named ? "start" : undefined), arg(endE, named ? "end" : undefined)]);
  }

  /** An expression of exactly x's type. */
  private sameShape(ctx: Ctx, x: G): GExpr {
    const s = x.t.shape;
    const r = s.length;
    const last = s[r - 1];
    for (let attempt = 0; attempt < 4; attempt++) {
      let e: GExpr | undefined;
      switch (this.t.int(0, 10)) {
        case 0:
          e = this.act(ctx, x);
          break;
        case 1:
          if (last && isConst(last)) {
            const d = this.intExpr(ctx, last)!;
            e = bin("+", x.e, this.apply("dense", this.act(ctx, { e: clone(x.e), t: x.t }), [arg(d)]));
          }
          break;
        case 2:
          if (last && isConst(last)) e = this.apply("layer_norm", x.e);
          break;
        case 3:
          if (r >= 1) e = this.softmax(x);
          break;
        case 4:
          e = bin("*", x.e, call("sigmoid", [arg(clone(x.e))]));
          break;
        case 5:
          if (r >= 2) {
            const p = this.permutation(r);
            const inv = p.map((_, i) => p.indexOf(i));
            e = call("transpose", [arg(call("transpose", [arg(x.e), arg(list(p.map((q) => num(q))))])), arg(list(inv.map((q) => num(q))))]);
          }
          break;
        case 6:
          if (r >= 1) e = bin("+", x.e, call("mean", [arg(clone(x.e)), arg(this.axisExpr(this.t.int(0, r - 1), r), "axis"), arg(name("true"), "keepdims")]));
          break;
        case 7:
          if (ctx.depth < 2) e = this.blockCall(ctx, x, true);
          break;
        case 8:
          if (r >= 2) {
            const dims = s.map((d) => this.intExpr(ctx, d));
            if (dims.every((d) => d)) e = call("reshape", [arg(call("flatten", [arg(x.e)])), arg(list(dims as GExpr[]))]);
          }
          break;
        case 9:
          if (ctx.index) e = bin("*", x.e, bin("+", name(ctx.index), num(1)));
          break;
        default:
          e = this.apply(this.dt === "f32" ? "dropout" : "tanh", x.e, this.dt === "f32" ? [arg(num(0.1))] : []);
      }
      if (e) {
        const t = this.typeOf(ctx, e);
        if (typeText(t) !== typeText(x.t)) throw new GeneratorBug(`sameShape produced ${typeText(t)} from ${typeText(x.t)}`);
        return e;
      }
    }
    return this.apply("relu", x.e);
  }

  // ---- blocks ----

  /** Calls a new block (or, sometimes, an existing one that accepts x) on x; `same`: the block preserves x's type. */
  private blockCall(ctx: Ctx, x: G, same: boolean): GExpr | undefined {
    if (this.program.blocks.length > 0 && this.t.chance(30)) {
      const b = this.t.pick(this.program.blocks);
      const e = call(b.name, [arg(x.e)], this.t.chance(30));
      try {
        const v = this.ref.eval(e, ctx.frame);
        if (v.k === "tensor" && (!same || typeText(v.t) === typeText(x.t))) return e;
      } catch (err) {
        if (!(err instanceof RefError || err instanceof Unknown)) throw err;
      }
    }
    const s = x.t.shape;
    const bound = new Map<string, MDim>();
    const used = new Set<string>();
    const freshDim = () => {
      const base = DIM_NAMES.find((n) => !used.has(n)) ?? `D${this.counter++}`;
      used.add(base);
      return base;
    };
    const dims: GExpr[] = s.map((d) => {
      const equal = [...bound].filter(([, v]) => dimEq(v, d));
      const form = isConst(d) ? this.t.int(0, 4) : 1;
      if (form === 1 || (form >= 2 && d.c < 2)) {
        if (equal.length > 0 && this.t.chance(50)) return name(this.t.pick(equal)[0]);
        const n = freshDim();
        bound.set(n, d);
        return name(n);
      }
      if (form === 0) return num(d.c);
      const n = freshDim();
      if (form === 2) {
        const k = this.t.pick(divisors(d.c).filter((q) => q > 1));
        bound.set(n, md(d.c / k));
        return this.t.chance(50) ? bin("*", num(k), name(n)) : bin("*", name(n), num(k));
      }
      const k = this.t.int(1, d.c - 1);
      bound.set(n, md(d.c - k));
      return form === 3 ? bin("+", name(n), num(k)) : bin("-", name(n), neg(num(k)));
    });
    const xName = this.t.pick(["x", "inp", "h"]);
    const params: GParam[] = [{ name: xName, type: { dtype: x.t.dtype, dims } }];
    const blockName = `${this.t.pick(["Blk", "Residual", "MLP", "Unit"])}${this.blockCounter++}`;
    const block: GBlock = { name: blockName, params, body: [], before: this.t.chance(50) };
    const scope = new Scope();
    scope.set(xName, { k: "tensor", t: x.t });
    for (const [n, v] of bound) scope.set(n, { k: "int", d: v });
    const namedTensor = this.t.chance(15);
    const callArgs: GArg[] = [arg(x.e, namedTensor ? xName : undefined)];
    if (this.t.chance(40)) {
      const def = this.t.pick(SIZES);
      const passed = this.t.int(0, 2);
      const value = passed === 0 ? def : this.t.pick(SIZES);
      params.push({ name: "u", type: "int", def: num(def) });
      if (passed === 1 || (passed === 2 && namedTensor)) callArgs.push(arg(num(value), "u"));
      else if (passed === 2) callArgs.push(arg(num(value)));
      scope.set("u", { k: "int", d: md(value) });
    }
    if (this.t.chance(20)) {
      params.push({ name: "scale", type: "float", def: num(0.5) });
      scope.set("scale", { k: "float", v: 0.5 });
    }
    const bctx: Ctx = { frame: { scope, block, record: false, inRepeat: false }, body: block.body, block, depth: ctx.depth + 1 };
    const temps = this.t.int(0, 2);
    for (let i = 0; i < temps; i++) {
      if (this.t.chance(10)) this.repeat(bctx);
      else this.binding(bctx, false);
    }
    const inParam: G = { e: name(xName), t: x.t };
    let result: GExpr;
    if (same) result = this.sameShape(bctx, inParam);
    else {
      result = this.genTensor(bctx, 2).e;
      if (this.t.chance(20) && params.some((p) => p.name === "scale")) result = bin("*", result, name("scale"));
    }
    const rt = this.typeOf(bctx, result);
    this.emit(bctx, { k: "return", value: result });
    if (this.t.chance(60)) {
      const ret = this.typeExpr(bctx, rt);
      if (ret) block.ret = ret;
    }
    this.program.blocks.push(block);
    this.ref.blocks.set(block.name, block);
    return call(blockName, callArgs, !namedTensor && this.t.chance(30));
  }

  // ---- statements ----

  private binding(ctx: Ctx, allowRebind: boolean): void {
    const value = this.genTensor(ctx, 1 + this.t.int(0, 2));
    const rebind = this.vars(ctx, this.dt).map(([n]) => n);
    const n = allowRebind && rebind.length > 0 && this.t.chance(15) ? this.t.pick(rebind) : this.fresh(this.t.pick(["h", "z", "feat_", "_t", "y"]));
    const s: GStmt = { k: "bind", name: n, value: value.e };
    if (this.t.chance(30)) {
      const ann = this.typeExpr(ctx, value.t);
      if (ann) s.ann = ann;
    }
    this.emit(ctx, s);
  }

  private repeat(ctx: Ctx): void {
    const vars = this.vars(ctx, this.dt);
    const [v, t] = this.t.pick(vars);
    const layers = ctx.frame.scope.lookup("layers");
    const count = layers && this.t.chance(50) ? name("layers") : num(this.t.int(1, 3));
    const index = this.t.chance(30) ? this.fresh("i") : undefined;
    const scratch = new Scope(ctx.frame.scope);
    if (index) scratch.set(index, { k: "int", d: md(0) });
    const body: GStmt[] = [];
    const rctx: Ctx = { frame: { ...ctx.frame, scope: scratch, record: false, inRepeat: true }, body, depth: ctx.depth };
    if (ctx.block) rctx.block = ctx.block;
    if (index) rctx.index = index;
    const temps = this.t.int(0, 2);
    for (let i = 0; i < temps; i++) this.binding(rctx, false);
    this.emit(rctx, { k: "bind", name: v, value: this.sameShape(rctx, { e: name(v), t }) });
    const s: GStmt = { k: "repeat", count, body };
    if (index) s.index = index;
    this.emit(ctx, s);
  }

  generate(): GProgram {
    const t = this.t;
    const p = this.program;
    p.style = t.chance(70) ? t.int(1, 1_000_000) : 0;
    if (t.chance(8)) this.dt = "f16";
    const dt = this.dt;
    const hp = p.model.hparams;
    if (t.chance(40)) hp.push({ name: "hidden", type: "int", def: num(t.pick(SIZES)) });
    if (t.chance(30)) hp.push({ name: "layers", type: "int", def: num(t.int(1, 3)) });
    if (t.chance(20)) hp.push({ name: "rate", type: "float", def: num(t.pick([0.1, 0.25])) });
    const frame = this.ref.modelFrame();
    const ctx: Ctx = { frame, body: p.model.body, depth: 0 };

    const dimsOf = (kind: number): GExpr[] => {
      switch (kind) {
        case 0:
          return [batch(), num(t.pick(SIZES))];
        case 1:
          return [batch(), num(t.int(1, 6)), num(t.pick(SIZES))];
        case 2:
          return [batch(), num(t.int(3, 12)), num(t.int(3, 12)), num(t.int(1, 3))];
        case 3:
          return [batch()];
        case 4:
          return [batch(), num(t.int(2, 6)), num(t.pick([4, 8, 12, 16]))];
        default: {
          const n = t.int(0, 3);
          const dims = [...Array(n)].map(() => num(t.pick(SIZES)));
          return t.chance(50) ? [batch(), ...dims] : dims;
        }
      }
    };
    // Input dims are sometimes written with the hyperparameters: `f32[N, hidden]`, `f32[N, hidden - 2]`.
    const viaNames = (dims: GExpr[]): GExpr[] => dims.map((d) => (d.k === "num" ? this.intExpr(ctx, md(Number(d.text)))! : d));
    this.emit(ctx, { k: "input", name: t.pick(["x", "image", "inp", "feats"]), type: { dtype: dt, dims: viaNames(dimsOf(t.int(0, 4))) } });
    const more = t.int(0, 2);
    for (let i = 0; i < more; i++) {
      const prev = this.vars(ctx, dt);
      const type: GType = t.chance(40) ? { dtype: dt, dims: prev[0]![1].shape.map((d) => (isConst(d) ? num(d.c) : batch())) } : { dtype: dt, dims: viaNames(dimsOf(t.int(0, 5))) };
      this.emit(ctx, { k: "input", name: this.fresh("in"), type });
    }
    const label = t.chance(30);
    if (label) this.emit(ctx, { k: "input", name: "label", type: { dtype: "i32", dims: [batch()] } });
    if (t.chance(15)) this.emit(ctx, { k: "input", name: "tokens", type: { dtype: "i32", dims: [batch(), num(t.int(1, 8))] } });

    const n = t.int(1, 7);
    let lastBound: string | undefined;
    for (let i = 0; i < n; i++) {
      if (i > 0 && t.chance(12)) this.repeat(ctx);
      else {
        this.binding(ctx, true);
        const s = ctx.body[ctx.body.length - 1]!;
        if (s.k === "bind") lastBound = s.name;
      }
    }
    const tensors = this.vars(ctx, dt).map(([v]) => v);
    const outs = [lastBound ?? tensors[tensors.length - 1]!];
    if (t.chance(30)) {
      const other = t.pick(tensors);
      if (!outs.includes(other)) outs.push(other);
    }
    this.emit(ctx, { k: "output", names: outs.map(name) });

    if (t.chance(label ? 80 : 35)) {
      const rows = this.vars(ctx, dt).filter(([, ty]) => ty.shape.length === 2 && dimEq(ty.shape[0]!, md(1, 1)) && isConst(ty.shape[1]!));
      const any = this.vars(ctx, dt);
      let loss: GExpr;
      if (dt === "f16") loss = call("mean", [arg(this.apply("cast", call("square", [arg(name(t.pick(any)[0]))]), [arg(str("f32"))]))]);
      else if (label && rows.length > 0 && t.chance(70)) loss = this.apply("cross_entropy", name(t.pick(rows)[0]), [arg(name("label"))]);
      else {
        const [v] = t.pick(any);
        loss = t.chance(50) ? call("mse", [arg(name(v)), arg(call("relu", [arg(name(v))]))]) : call("mean", [arg(call("square", [arg(name(v))]))]);
      }
      const opt = t.pick(["adam(lr: 1e-3)", "sgd(lr: 0.1)", "sgd(0.01, momentum: 0.9)", "adam()", "adam(lr: 0.001, weight_decay: 0.01)"]);
      const optExpr = opt === "sgd(0.01, momentum: 0.9)" ? call("sgd", [arg(num(0.01)), arg(num(0.9), "momentum")]) : initExpr(opt);
      if (t.chance(60)) {
        this.emit(ctx, { k: "bind", name: "loss", value: loss });
        this.emit(ctx, { k: "train", loss: name("loss"), opt: optExpr });
      } else this.emit(ctx, { k: "train", loss, opt: optExpr });
    }
    return p;
  }
}

function broadcastable(a: readonly MDim[], b: readonly MDim[]): boolean {
  const rank = Math.max(a.length, b.length);
  for (let i = 0; i < rank; i++) {
    const da = a[a.length - rank + i] ?? md(1);
    const db = b[b.length - rank + i] ?? md(1);
    if (!(dimEq(da, db) || (da.c === 1 && da.p === 0) || (db.c === 1 && db.p === 0))) return false;
  }
  return true;
}

function matmulOk(a: readonly MDim[], b: readonly MDim[]): boolean {
  if (a.length === 0 || b.length === 0) return false;
  const k1 = a[a.length - 1]!;
  const k2 = b.length === 1 ? b[0]! : b[b.length - 2]!;
  return dimEq(k1, k2) && broadcastable(a.slice(0, -2), b.slice(0, -2));
}

/** Names that are properties of every JavaScript object, for `fresh`. */
const PROTOTYPE_NAMES = ["__proto__", "constructor", "toString", "valueOf", "hasOwnProperty", "isPrototypeOf", "__defineGetter__"];

/** A generated program and its expected model-level types (from a fresh reference run). */
export interface Generated {
  program: GProgram;
  expected: Map<GStmt, TType>;
}

export function generate(tape: readonly number[]): Generated {
  const program = new ProgramGen(new Tape(tape)).generate();
  const outcome: RefOutcome = new Reference(program).run();
  if (outcome.kind !== "ok") throw new GeneratorBug(`generated program fails the reference: ${outcome.kind === "error" ? outcome.error.why : outcome.why}`);
  const generated: Generated = { program, expected: outcome.bindings };
  // Counterexamples print as the program's source text.
  Object.defineProperty(generated, fc.toStringMethod, { value: () => render(program).text });
  return generated;
}

/** The tape fast-check draws and shrinks. */
export const tapeArb = fc.array(fc.nat(), { minLength: 500, maxLength: 500 });

/** Random well-typed programs with their expected types. */
export const programArb: fc.Arbitrary<Generated> = tapeArb.map(generate);
