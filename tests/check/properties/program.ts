// The generator's own model of a .dlg program: a small tree that renders to source text (recording the text range of
// every node) and that the reference checker (reference.ts) evaluates. Nothing here imports the compiler.

export type BinOp = "+" | "-" | "*" | "/" | "@";

export type GExpr =
  | { k: "name"; name: string }
  /** A number literal exactly as written (`16`, `0.5`, `1e-3`); negative numbers are `neg` of a literal. */
  | { k: "num"; text: string }
  | { k: "str"; value: string }
  /** The symbolic batch dim: written `N`, or as a number in the concrete variant of a program. */
  | { k: "batch" }
  | { k: "list"; items: GExpr[] }
  /** A call; with `pipe`, args[0] is written before `->`; with `bare` (pipe, one arg) the parentheses are left out. */
  | { k: "call"; fn: string; args: GArg[]; pipe: boolean; bare: boolean }
  | { k: "bin"; op: BinOp; l: GExpr; r: GExpr }
  | { k: "neg"; x: GExpr }
  | { k: "paren"; x: GExpr };

export interface GArg {
  name?: string;
  value: GExpr;
}

export interface GType {
  dtype: string;
  dims: GExpr[];
}

export type GStmt =
  | { k: "input"; name: string; type: GType }
  | { k: "param"; name: string; type: GType; init?: GExpr }
  | { k: "bind"; name: string; ann?: GType; value: GExpr }
  | { k: "output"; names: GExpr[] }
  | { k: "repeat"; count: GExpr; index?: string; body: GStmt[] }
  | { k: "train"; loss: GExpr; opt: GExpr }
  | { k: "return"; value: GExpr };

export interface GParam {
  name: string;
  type: GType | "int" | "float";
  def?: GExpr;
}

export interface GBlock {
  name: string;
  params: GParam[];
  ret?: GType;
  body: GStmt[];
  /** Printed before the model (otherwise after it). */
  before: boolean;
}

export interface GModel {
  name: string;
  hparams: GParam[];
  body: GStmt[];
}

export interface GProgram {
  blocks: GBlock[];
  model: GModel;
  /** Seeds the layout choices (spaces, comments, blank lines, `;`); 0 prints the canonical layout. */
  style: number;
}

// ---- node builders that insert the parentheses precedence needs ----

/** pipe 0 < additive 1 < multiplicative 2 < unary 3 < atom 4 */
export function prec(e: GExpr): number {
  switch (e.k) {
    case "call":
      return e.pipe ? 0 : 4;
    case "bin":
      return e.op === "+" || e.op === "-" ? 1 : 2;
    case "neg":
      return 3;
    default:
      return 4;
  }
}

export const name = (n: string): GExpr => ({ k: "name", name: n });
export const num = (v: number | string): GExpr => (typeof v === "number" && v < 0 ? neg({ k: "num", text: String(-v) }) : { k: "num", text: String(v) });
export const str = (value: string): GExpr => ({ k: "str", value });
export const batch = (): GExpr => ({ k: "batch" });
export const list = (items: GExpr[]): GExpr => ({ k: "list", items });
export const paren = (x: GExpr): GExpr => ({ k: "paren", x });

export function bin(op: BinOp, l: GExpr, r: GExpr): GExpr {
  const p = op === "+" || op === "-" ? 1 : 2;
  return { k: "bin", op, l: prec(l) < p ? paren(l) : l, r: prec(r) <= p ? paren(r) : r };
}

export function neg(x: GExpr): GExpr {
  return { k: "neg", x: prec(x) < 3 ? paren(x) : x };
}

export function call(fn: string, args: GArg[], pipe = false, bare = false): GExpr {
  if (pipe && args.length === 0) pipe = false;
  return { k: "call", fn, args, pipe, bare: pipe && bare && args.length === 1 };
}

export const arg = (value: GExpr, argName?: string): GArg => (argName === undefined ? { value } : { name: argName, value });

export function clone<T>(x: T): T {
  return structuredClone(x);
}

// ---- rendering ----

export interface Range {
  start: number;
  end: number;
}

export interface Rendered {
  text: string;
  /** The text range of every node (expressions, types, statements, params) by identity. */
  range: Map<object, Range>;
  /** The range of the name a statement (input, param, binding) or a parameter declares. */
  nameRange: Map<object, Range>;
}

export interface RenderOptions {
  /** Write the batch dim as this number instead of `N`. */
  batch?: number;
}

/** mulberry32: the layout's own little PRNG, so layout never consumes the generator's choices. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const COMMENTS = ["# note", "#", "# shape: f32[N, 4] -> ok", "#  (a) \"quoted\" and {braces}", "# ünïcödé ✓", "#model M() {", "# x = relu(x) ; y"];

class Writer {
  private text = "";
  readonly range = new Map<object, Range>();
  readonly nameRange = new Map<object, Range>();
  private readonly random: () => number;

  /** Windows line endings, for some messy layouts. */
  private readonly crlf: boolean;

  constructor(private readonly p: GProgram, private readonly opts: RenderOptions) {
    this.random = p.style === 0 ? () => 0.99 : rng(p.style);
    this.crlf = p.style % 7 === 3;
  }

  private chance(x: number): boolean {
    return this.random() < x;
  }

  private emit(s: string): void {
    this.text += this.crlf ? s.replace(/\n/g, "\r\n") : s;
  }

  private mark(node: object, f: () => void): void {
    const start = this.text.length;
    f();
    this.range.set(node, { start, end: this.text.length });
  }

  private ident(owner: object, n: string): void {
    const start = this.text.length;
    this.emit(n);
    this.nameRange.set(owner, { start, end: this.text.length });
  }

  /** Optional whitespace: one space in the canonical layout, sometimes none or two otherwise. */
  private sp(): void {
    if (this.p.style === 0) return this.emit(" ");
    const r = this.random();
    this.emit(r < 0.15 ? "" : r < 0.25 ? "  " : " ");
  }

  /** After a comma in a list: a space, nothing, or (inside brackets, where newlines do not end statements) a line break. */
  private comma(): void {
    this.emit(",");
    if (this.p.style === 0) return this.emit(" ");
    const r = this.random();
    if (r < 0.05) this.emit(` ${COMMENTS[Math.floor(this.random() * COMMENTS.length)]}\n      `);
    else if (r < 0.12) this.emit("\n      ");
    else if (r < 0.2) this.emit("");
    else this.emit(" ");
  }

  program(): string {
    const { blocks, model } = this.p;
    let first = true;
    const sep = () => {
      if (!first) this.emit(this.chance(0.2) ? "\n" : "\n\n");
      first = false;
    };
    if (this.chance(0.1)) this.emit(`${COMMENTS[0]}\n`);
    for (const b of blocks.filter((x) => x.before)) {
      sep();
      this.block(b);
    }
    sep();
    this.model(model);
    for (const b of blocks.filter((x) => !x.before)) {
      sep();
      this.block(b);
    }
    this.emit("\n");
    if (this.chance(0.1)) this.emit(`${COMMENTS[1]}\n`);
    return this.text;
  }

  private params(ps: GParam[]): void {
    this.emit("(");
    ps.forEach((p, i) => {
      if (i > 0) this.comma();
      this.mark(p, () => {
        this.ident(p, p.name);
        this.emit(":");
        this.sp();
        if (typeof p.type === "string") this.emit(p.type);
        else this.type(p.type);
        if (p.def) {
          this.sp();
          this.emit("=");
          this.sp();
          this.expr(p.def);
        }
      });
    });
    this.emit(")");
  }

  private model(m: GModel): void {
    this.mark(m, () => {
      this.emit(`model ${m.name}`);
      this.params(m.hparams);
      this.sp();
      this.body(m.body, "  ");
    });
  }

  private block(b: GBlock): void {
    this.mark(b, () => {
      this.emit(`block ${b.name}`);
      this.params(b.params);
      if (b.ret) {
        this.sp();
        this.emit("->");
        this.sp();
        this.type(b.ret);
      }
      this.sp();
      this.body(b.body, "  ");
    });
  }

  private body(stmts: GStmt[], indent: string): void {
    this.emit("{");
    const outer = indent.slice(2);
    let commented = false;
    stmts.forEach((s, i) => {
      if (i > 0 && !commented && this.p.style !== 0 && this.chance(0.08) && s.k !== "repeat" && stmts[i - 1]!.k !== "repeat") this.emit(this.chance(0.5) ? "; " : ";");
      else {
        if (i > 0 && this.chance(0.1)) this.emit("\n");
        if (this.p.style !== 0 && this.chance(0.08)) this.emit(`\n${indent}${COMMENTS[Math.floor(this.random() * COMMENTS.length)]}`);
        this.emit(`\n${indent}`);
      }
      this.stmt(s, indent);
      commented = this.p.style !== 0 && this.chance(0.08);
      if (commented) this.emit(`  ${COMMENTS[Math.floor(this.random() * COMMENTS.length)]}`);
    });
    this.emit(`\n${outer}}`);
  }

  private stmt(s: GStmt, indent: string): void {
    this.mark(s, () => {
      switch (s.k) {
        case "input":
          this.emit("input ");
          this.ident(s, s.name);
          this.emit(":");
          this.sp();
          this.type(s.type);
          return;
        case "param":
          this.emit("param ");
          this.ident(s, s.name);
          this.emit(":");
          this.sp();
          this.type(s.type);
          if (s.init) {
            this.sp();
            this.emit("=");
            this.sp();
            this.expr(s.init);
          }
          return;
        case "bind":
          this.ident(s, s.name);
          if (s.ann) {
            this.emit(":");
            this.sp();
            this.type(s.ann);
          }
          this.sp();
          this.emit("=");
          this.sp();
          this.expr(s.value);
          return;
        case "output":
          this.emit("output ");
          s.names.forEach((n, i) => {
            if (i > 0) this.emit(this.p.style !== 0 && this.chance(0.3) ? "," : ", ");
            this.expr(n);
          });
          return;
        case "repeat":
          this.emit("repeat ");
          this.expr(s.count);
          if (s.index) this.emit(` as ${s.index}`);
          this.sp();
          this.body(s.body, indent + "  ");
          return;
        case "train":
          this.emit("train ");
          this.expr(s.loss);
          this.emit(" with ");
          this.expr(s.opt);
          return;
        case "return":
          this.emit("return ");
          this.expr(s.value);
          return;
      }
    });
  }

  type(t: GType): void {
    this.mark(t, () => {
      this.emit(`${t.dtype}[`);
      t.dims.forEach((d, i) => {
        if (i > 0) this.comma();
        this.expr(d);
      });
      this.emit("]");
    });
  }

  private args(args: GArg[]): void {
    args.forEach((a, i) => {
      if (i > 0) this.comma();
      if (a.name !== undefined) {
        this.emit(`${a.name}:`);
        this.sp();
      }
      this.expr(a.value);
    });
  }

  expr(e: GExpr): void {
    this.mark(e, () => {
      switch (e.k) {
        case "name":
          return this.emit(e.name);
        case "num":
          return this.emit(e.text);
        case "str":
          return this.emit(JSON.stringify(e.value));
        case "batch":
          return this.emit(this.opts.batch === undefined ? "N" : String(this.opts.batch));
        case "list":
          this.emit("[");
          e.items.forEach((item, i) => {
            if (i > 0) this.comma();
            this.expr(item);
          });
          return this.emit("]");
        case "call":
          if (e.pipe) {
            this.expr(e.args[0]!.value);
            this.sp();
            this.emit("->");
            this.sp();
            this.emit(e.fn);
            if (e.bare) return;
            this.emit("(");
            this.args(e.args.slice(1));
            return this.emit(")");
          }
          this.emit(`${e.fn}(`);
          this.args(e.args);
          return this.emit(")");
        case "bin":
          this.expr(e.l);
          this.sp();
          this.emit(e.op);
          this.sp();
          return this.expr(e.r);
        case "neg":
          this.emit("-");
          return this.expr(e.x);
        case "paren":
          this.emit("(");
          this.expr(e.x);
          return this.emit(")");
      }
    });
  }

  finish(): Rendered {
    return { text: this.text, range: this.range, nameRange: this.nameRange };
  }
}

export function render(p: GProgram, opts: RenderOptions = {}): Rendered {
  const w = new Writer(p, opts);
  w.program();
  return w.finish();
}

// ---- walking ----

/** Every expression node under `e`, itself first. */
export function* exprNodes(e: GExpr): Generator<GExpr> {
  yield e;
  switch (e.k) {
    case "list":
      for (const i of e.items) yield* exprNodes(i);
      return;
    case "call":
      for (const a of e.args) yield* exprNodes(a.value);
      return;
    case "bin":
      yield* exprNodes(e.l);
      yield* exprNodes(e.r);
      return;
    case "neg":
    case "paren":
      yield* exprNodes(e.x);
      return;
    default:
      return;
  }
}

/** Every statement in a body, repeat bodies included, in source order. */
export function* stmtsIn(body: GStmt[]): Generator<GStmt> {
  for (const s of body) {
    yield s;
    if (s.k === "repeat") yield* stmtsIn(s.body);
  }
}
