// The shape checker: evaluates one model over types (blocks inlined per call, repeats unrolled), reporting every
// independent mistake, and lowers it to the IR graph of primitive ops on the way.
import type { Arg, BlockDecl, Expr, Ident, ModelDecl, Program, Stmt, TypeExpr } from "../1-parse/ast.js";
import type { DiagnosticBag, DiagnosticExtras } from "../diagnostics/diagnostic.js";
import type { MessageKey, MessageParams } from "../diagnostics/messages.js";
import type { Span } from "../diagnostics/span.js";
import { closest } from "../diagnostics/suggest.js";
import type { ShapeError } from "../ir/define-op.js";
import type { Graph, NodeId } from "../ir/graph.js";
import { DTYPES, formatType, type DType, type TensorType } from "../ir/types.js";
import { builtins } from "./stdlib/index.js";
import { elementwiseBinary, type BuiltinDef } from "./stdlib/define-layer.js";
import { Dim } from "../ir/dims.js";
import { initializers } from "./initializers.js";
import { IRBuilder, ShapeFailure, type InitSpec } from "../ir/builder.js";
import "../ops/index.js";
import { describeRange, inRange, isOptimizerName, optimizerDefinition, optimizers, type OptimizerDefinition } from "../optimizers/index.js";
import { LayerArgs, NamingScope, type LayerContext } from "./lower-to-ir.js";
import { bindArguments, type CallArg, type ParamKind, type ParamSpec } from "./signature.js";
import { describeValue, intValue, isPoisoned, POISON, type TensorValue, type Value } from "./values.js";

export interface CheckOptions {
  /** Which model to check when the file holds several. */
  model?: string;
  /** Hyperparameter overrides as written on the command line (`--set k=v`). */
  overrides?: Readonly<Record<string, string>>;
}

export interface BindingInfo {
  name: string;
  /** The binding's value: a tensor type, or a description of a compile-time value. */
  type: TensorType | undefined;
  description: string;
  span: Span;
  /** Set when the binding sits in a repeat body: the type shown is the last iteration's. */
  repeated: boolean;
}

export interface CheckResult {
  model: string | undefined;
  graph: Graph;
  bindings: BindingInfo[];
  hyperparameters: { name: string; value: string }[];
}

/** Each optimizer's arguments as calls bind them; no prototype, so `in` and lookups see optimizer names only. */
const OPTIMIZERS: Readonly<Record<string, ParamSpec[]>> = Object.assign(Object.create(null) as Record<string, ParamSpec[]>,
  Object.fromEntries(Object.entries(optimizers).map(([name, def]) => [name, optimizerParams(def)])));

function optimizerParams(def: OptimizerDefinition): ParamSpec[] {
  return Object.entries(def.args).map(([name, arg]) => (arg.default === undefined ? { name, kind: "float" } : num(name, arg.default)));
}

function num(name: string, value: number): ParamSpec {
  return { name, kind: "float", default: { kind: "float", value } };
}

/** Other frameworks' names for the dtypes (NumPy, PyTorch), for the hint on an unknown dtype. */
const DTYPE_ALIASES: Readonly<Record<string, DType>> = {
  float: "f32", float32: "f32", single: "f32", float16: "f16", half: "f16", int: "i32", int32: "i32", long: "i32", int64: "i32",
};

/** Repeat counts beyond this are almost certainly a typo and would only exhaust memory. */
const MAX_REPEAT = 100_000;

class Scope {
  private readonly vars = new Map<string, Value>();
  constructor(private readonly parent?: Scope) {}

  lookup(name: string): Value | undefined {
    return this.vars.get(name) ?? this.parent?.lookup(name);
  }

  has(name: string): boolean {
    return this.vars.has(name) || (this.parent?.has(name) ?? false);
  }

  set(name: string, value: Value): void {
    this.vars.set(name, value);
  }

  names(): string[] {
    return [...this.vars.keys(), ...(this.parent?.names() ?? [])];
  }
}

interface Frame {
  scope: Scope;
  naming: NamingScope;
  /** Base name for the parameters of layers called in the statement being evaluated. */
  bindingName: string;
  block?: BlockDecl;
  /** Bindings of the model body itself (not of blocks) are reported by `dlg check`. */
  recordBindings: boolean;
  inRepeat: boolean;
}

type UnifyResult = { ok: true } | { ok: false; declared: string; detail: string };

export function checkProgram(program: Program, bag: DiagnosticBag, options: CheckOptions = {}): CheckResult {
  return new Checker(program, bag).run(options);
}

class Checker {
  private readonly builder = new IRBuilder();
  private readonly blocks = new Map<string, BlockDecl>();
  private readonly models = new Map<string, ModelDecl>();
  private readonly recursive = new Set<string>();
  private readonly bindings = new Map<number, BindingInfo>();
  private readonly reported = new Set<string>();
  /** The block calls being evaluated, innermost last: a mistake inside a block body also points at the call. */
  private readonly calls: { block: string; span: Span }[] = [];
  private trained = false;
  /** Class scores and labels that a classification loss compared, in call order (see `classifierOf`). */
  private readonly scored: { scores: NodeId; labels: NodeId }[] = [];

  constructor(private readonly program: Program, private readonly bag: DiagnosticBag) {}

  run(options: CheckOptions): CheckResult {
    const empty = (model?: string): CheckResult => ({ model, graph: this.builder.graph, bindings: [], hyperparameters: [] });
    for (const decl of this.program.decls) {
      const table = decl.kind === "model" ? this.models : this.blocks;
      if (table.has(decl.name.name) || (decl.kind === "model" ? this.blocks : this.models).has(decl.name.name)) {
        this.report("duplicateDefinition", decl.name.span, { kind: decl.kind, name: decl.name.name });
        continue;
      }
      if (decl.kind === "model") this.models.set(decl.name.name, decl);
      else this.blocks.set(decl.name.name, decl);
    }
    this.findRecursion();
    this.warnUncalledBlocks();
    const model = this.selectModel(options.model);
    if (!model) return empty(options.model);
    const frame: Frame = { scope: new Scope(), naming: new NamingScope([]), bindingName: "", recordBindings: true, inRepeat: false };
    const hyperparameters = this.bindHyperparameters(model, frame.scope, options.overrides ?? {});
    this.execBody(model.body, frame);
    const graph = this.builder.graph;
    const classifier = this.classifierOf(graph);
    if (classifier) graph.classifier = classifier;
    const declaresResult = model.body.some((s) => s.kind === "output" || s.kind === "train");
    if (!declaresResult) this.report("noOutput", model.name.span, { model: model.name.name });
    const bindings = [...this.bindings.values()].sort((a, b) => a.span.start - b.span.start);
    return { model: model.name.name, graph, bindings, hyperparameters };
  }

  /**
   * What training reports accuracy on: the first classification loss whose labels are a model input, and the model
   * output its class scores are (or are computed from, keeping their shape: a language model's `tokens` and `targets`
   * have the same shape, so the labels are never guessed from shapes).
   */
  private classifierOf(graph: Graph): Graph["classifier"] {
    for (const { scores, labels } of this.scored) {
      const label = graph.nodes[labels]!;
      if (label.op !== "input") continue;
      const ancestors = new Set<NodeId>();
      const stack = [scores];
      while (stack.length > 0) {
        const id = stack.pop()!;
        if (ancestors.has(id)) continue;
        ancestors.add(id);
        stack.push(...graph.nodes[id]!.inputs);
      }
      const type = graph.nodes[scores]!.type;
      const output = graph.outputs.find((o) => ancestors.has(o.node) && o.type.shape.length === type.shape.length && o.type.shape.every((d, i) => d.equals(type.shape[i]!)));
      if (output) return { output: output.name, labels: label.attrs["name"] as string };
    }
    return undefined;
  }

  // ---- diagnostics ----

  private report<K extends MessageKey>(key: K, span: Span, params: MessageParams<K>, extras: DiagnosticExtras = {}): void {
    // A block called N times, or a repeat body run N times, must not report its one mistake N times.
    const dedupeKey = `${key}:${span.start}:${span.end}`;
    if (this.reported.has(dedupeKey)) return;
    this.reported.add(dedupeKey);
    const call = this.calls[this.calls.length - 1];
    if (call) extras = { ...extras, secondary: [...(extras.secondary ?? []), { span: call.span, label: `in this call of \`${call.block}\`` }] };
    this.bag.report(key, span, params, extras);
  }

  private reportShapeError(e: ShapeError, span: Span): void {
    const extras: DiagnosticExtras = {};
    if (e.label !== undefined) extras.label = e.label;
    if (e.hint !== undefined) extras.hint = e.hint;
    this.report(e.key, span, e.params as MessageParams<typeof e.key>, extras);
  }

  // ---- declarations ----

  private selectModel(name: string | undefined): ModelDecl | undefined {
    const names = [...this.models.keys()];
    if (name !== undefined) {
      const model = this.models.get(name);
      if (!model) {
        const hint = closest(name, names);
        this.report("unknownModel", { start: 0, end: 0 }, { name, available: names.join(", ") || "none" }, hint ? { hint: `did you mean \`${hint}\`?` } : {});
      }
      return model;
    }
    if (names.length === 0) {
      this.report("noModel", this.program.span.end > 0 ? { start: 0, end: 0 } : this.program.span, {});
      return undefined;
    }
    if (names.length > 1) {
      this.report("several", this.models.get(names[1]!)!.name.span, { available: names.join(", ") });
      return undefined;
    }
    return this.models.get(names[0]!);
  }

  /** Calls between blocks form a graph; a cycle would unroll forever, so it is reported and its blocks poisoned. */
  private findRecursion(): void {
    const calls = new Map<string, { callee: string; span: Span }[]>();
    for (const [name, block] of this.blocks) calls.set(name, callsIn(block.body).filter((c) => this.blocks.has(c.callee)));
    const state = new Map<string, "active" | "done">();
    const stack: string[] = [];
    const visit = (name: string) => {
      state.set(name, "active");
      stack.push(name);
      for (const call of calls.get(name) ?? []) {
        const s = state.get(call.callee);
        if (s === "active") {
          const cycle = [...stack.slice(stack.indexOf(call.callee)), call.callee];
          for (const b of cycle) this.recursive.add(b);
          this.report("recursiveBlock", call.span, { cycle: cycle.join(" -> ") }, { hint: "use `repeat` to apply a block several times" });
        } else if (s === undefined) visit(call.callee);
      }
      stack.pop();
      state.set(name, "done");
    };
    for (const name of this.blocks.keys()) if (!state.has(name)) visit(name);
  }

  private warnUncalledBlocks(): void {
    const called = new Set<string>();
    const pending = [...this.models.values()].flatMap((m) => callsIn(m.body).map((c) => c.callee));
    while (pending.length > 0) {
      const name = pending.pop()!;
      const block = this.blocks.get(name);
      if (!block || called.has(name)) continue;
      called.add(name);
      pending.push(...callsIn(block.body).map((c) => c.callee));
    }
    for (const [name, block] of this.blocks) if (!called.has(name)) this.report("uncalledBlock", block.name.span, { name });
  }

  private bindHyperparameters(model: ModelDecl, scope: Scope, overrides: Readonly<Record<string, string>>): { name: string; value: string }[] {
    const out: { name: string; value: string }[] = [];
    const declared = new Set(model.params.map((p) => p.name.name));
    for (const key of Object.keys(overrides)) {
      if (!declared.has(key)) {
        const hint = closest(key, declared);
        this.report("badOverride", model.name.span, { text: `${key}=${overrides[key]}`, reason: `model \`${model.name.name}\` has no hyperparameter \`${key}\`` },
          { hint: hint ? `did you mean \`${hint}\`?` : `hyperparameters: ${[...declared].join(", ") || "none"}` });
      }
    }
    for (const p of model.params) {
      const kind = this.scalarKind(p.type);
      if (!kind) {
        scope.set(p.name.name, POISON);
        continue;
      }
      let value: Value | undefined;
      const raw = overrides[p.name.name];
      if (raw !== undefined) {
        value = parseOverride(raw, kind);
        if (!value) this.report("badOverride", p.name.span, { text: `${p.name.name}=${raw}`, reason: `\`${p.name.name}\` is ${kind === "int" ? "an int" : `a ${kind}`}` });
      } else if (p.default) {
        value = this.coerce(this.eval(p.default, this.hyperFrame(scope)), kind, p.default.span, `default of \`${p.name.name}\``);
      } else {
        this.report("missingArgument", p.name.span, { callee: `model ${model.name.name}`, param: p.name.name }, { hint: `give it a default or pass --set ${p.name.name}=VALUE` });
      }
      scope.set(p.name.name, value ?? POISON);
      if (value) out.push({ name: p.name.name, value: scalarText(value) });
    }
    return out;
  }

  private hyperFrame(scope: Scope): Frame {
    return { scope, naming: new NamingScope([]), bindingName: "", recordBindings: false, inRepeat: false };
  }

  /** The kind of a scalar (non-tensor) parameter type, reporting tensor or unknown types. */
  private scalarKind(type: TypeExpr): ParamKind | undefined {
    if (type.kind === "tensor") {
      this.report("unknownType", type.span, { name: formatTypeExpr(type) }, { hint: "hyperparameters are int, float, bool or string" });
      return undefined;
    }
    const kinds: Record<string, ParamKind> = { int: "int", float: "float", bool: "bool", string: "string" };
    const kind = kinds[type.name.name];
    if (!kind) this.report("unknownType", type.name.span, { name: type.name.name });
    return kind;
  }

  /** Checks a scalar value against a declared kind; ints widen to floats. */
  private coerce(v: Value, kind: ParamKind, span: Span, what: string): Value | undefined {
    if (isPoisoned(v)) return undefined;
    if (kind === "float" && v.kind === "int" && v.dim.isConst()) return { kind: "float", value: v.dim.constValue()! };
    if (v.kind === kind) return v;
    this.report("argumentKind", span, { callee: "model", param: what, expected: kind === "int" ? "an int" : `a ${kind}`, actual: describeValue(v) });
    return undefined;
  }

  // ---- statements ----

  /** Runs statements in order; returns a block's return value. */
  private execBody(stmts: readonly Stmt[], frame: Frame): Value | undefined {
    let returned: Value | undefined;
    for (const stmt of stmts) {
      if (returned !== undefined) {
        this.report("statementNotAllowed", stmt.span, { what: "a statement", where: "after `return`" });
        break;
      }
      returned = this.exec(stmt, frame);
    }
    return returned;
  }

  private exec(stmt: Stmt, frame: Frame): Value | undefined {
    switch (stmt.kind) {
      case "error":
        return undefined;
      case "input":
        this.execInput(stmt, frame);
        return undefined;
      case "output":
        if (frame.block) return this.notAllowed(stmt.span, "`output`", "in a block (a block returns its result)");
        for (const name of stmt.names) {
          const v = frame.scope.lookup(name.name);
          if (v === undefined) this.undefinedName(name, frame.scope, "outputUndefined");
          else if (v.kind === "tensor") this.builder.graph.outputs.push({ name: name.name, node: v.node, type: v.type });
          else if (!isPoisoned(v)) this.report("notATensor", name.span, { what: `output \`${name.name}\``, actual: describeValue(v) });
        }
        return undefined;
      case "param":
        this.execParam(stmt, frame);
        return undefined;
      case "return":
        if (!frame.block) return this.notAllowed(stmt.span, "`return`", "in a model");
        if (frame.inRepeat) return this.notAllowed(stmt.span, "`return`", "inside `repeat`");
        return this.eval(stmt.value, { ...frame, bindingName: "out" });
      case "repeat":
        this.execRepeat(stmt, frame);
        return undefined;
      case "train":
        this.execTrain(stmt, frame);
        return undefined;
      case "binding": {
        const value = this.eval(stmt.value, { ...frame, bindingName: stmt.name.name });
        if (stmt.type && value.kind === "tensor") this.checkAnnotation(stmt.name, stmt.type, value, stmt.value.span, frame.scope);
        frame.scope.set(stmt.name.name, value);
        if (value.kind === "tensor") this.builder.labelNode(value.node, frame.naming.qualify(stmt.name.name));
        if (frame.recordBindings) this.record(stmt.name, value, frame.inRepeat);
        return undefined;
      }
    }
  }

  private notAllowed(span: Span, what: string, where: string): undefined {
    this.report("statementNotAllowed", span, { what, where });
    return undefined;
  }

  private record(name: Ident, value: Value, repeated: boolean): void {
    this.bindings.set(name.span.start, {
      name: name.name,
      type: value.kind === "tensor" ? value.type : undefined,
      description: value.kind === "tensor" ? formatType(value.type) : value.kind === "poison" ? "(error)" : scalarText(value),
      span: name.span,
      repeated,
    });
  }

  private execInput(stmt: Extract<Stmt, { kind: "input" }>, frame: Frame): void {
    if (frame.block) {
      this.notAllowed(stmt.span, "`input`", "in a block (declare a parameter in its signature)");
      return;
    }
    if (frame.inRepeat) {
      this.notAllowed(stmt.span, "`input`", "inside `repeat`");
      return;
    }
    if (frame.scope.has(stmt.name.name)) this.report("shadowedInput", stmt.name.span, { name: stmt.name.name });
    const type = this.evalTensorType(stmt.type, frame.scope, "bind");
    if (!type) {
      frame.scope.set(stmt.name.name, POISON);
      return;
    }
    const value = this.builder.input(stmt.name.name, type, stmt.span);
    frame.scope.set(stmt.name.name, value);
    if (frame.recordBindings) this.record(stmt.name, value, false);
  }

  private execParam(stmt: Extract<Stmt, { kind: "param" }>, frame: Frame): void {
    const type = this.evalTensorType(stmt.type, frame.scope, "refuse");
    const init = stmt.init ? this.evalInitializer(stmt.init, frame) : defaultInitializer(type);
    if (!type || !init) {
      frame.scope.set(stmt.name.name, POISON);
      return;
    }
    const name = frame.naming.qualify(frame.naming.claim(stmt.name.name));
    try {
      const value = this.builder.param(name, type, init, stmt.span);
      frame.scope.set(stmt.name.name, value);
      if (frame.recordBindings) this.record(stmt.name, value, frame.inRepeat);
    } catch (e) {
      if (!(e instanceof ShapeFailure)) throw e;
      this.reportShapeError(e.error, stmt.type.span);
      frame.scope.set(stmt.name.name, POISON);
    }
  }

  private evalInitializer(expr: Expr, frame: Frame): InitSpec | undefined {
    const callee = expr.kind === "call" ? expr.callee : expr.kind === "name" ? { name: expr.name, span: expr.span } : undefined;
    if (!callee) {
      this.report("argumentKind", expr.span, { callee: "param", param: "initializer", expected: "an initializer such as glorot_uniform() or normal(std: 0.02)", actual: "an expression" });
      return undefined;
    }
    const def = initializers.get(callee.name);
    if (!def) {
      const hint = closest(callee.name, initializers.keys());
      this.report("unknownFunction", callee.span, { name: callee.name }, { hint: hint ? `did you mean \`${hint}\`?` : `initializers: ${[...initializers.keys()].join(", ")}` });
      return undefined;
    }
    const args = expr.kind === "call" ? this.evalArgs(expr.args, frame) : [];
    if (!args) return undefined;
    const bound = bindArguments(def.name, def.params, args, expr.span, this.bag);
    if (!bound) return undefined;
    const la = new LayerArgs(def.name, bound);
    return { name: def.name, args: def.params.map((p) => la.float(p.name)) };
  }

  private execRepeat(stmt: Extract<Stmt, { kind: "repeat" }>, frame: Frame): void {
    const countValue = this.eval(stmt.count, frame);
    if (isPoisoned(countValue)) return;
    const count = countValue.kind === "int" ? countValue.dim.constValue() : undefined;
    if (count === undefined || count < 0 || count > MAX_REPEAT) {
      this.report("repeatCount", stmt.count.span, { count: count !== undefined ? String(count) : describeValue(countValue) },
        count !== undefined && count > MAX_REPEAT ? { hint: `at most ${MAX_REPEAT} iterations` } : {});
      return;
    }
    const naming = frame.naming.child(frame.naming.claim(stmt.index?.name ?? "repeat"));
    const saved = stmt.index ? frame.scope.lookup(stmt.index.name) : undefined;
    for (let i = 0; i < count; i++) {
      if (stmt.index) frame.scope.set(stmt.index.name, intValue(i));
      this.execBody(stmt.body, { ...frame, naming: naming.child(String(i)), inRepeat: true });
    }
    if (stmt.index && saved !== undefined) frame.scope.set(stmt.index.name, saved);
  }

  private execTrain(stmt: Extract<Stmt, { kind: "train" }>, frame: Frame): void {
    if (frame.block) return void this.notAllowed(stmt.span, "`train`", "in a block");
    if (frame.inRepeat) return void this.notAllowed(stmt.span, "`train`", "inside `repeat`");
    if (this.trained) return void this.report("trainTwice", stmt.span, {});
    this.trained = true;
    const loss = this.eval(stmt.loss, { ...frame, bindingName: "loss" });
    if (loss.kind === "tensor") {
      if (loss.type.shape.length !== 0 || loss.type.dtype !== "f32")
        this.report("lossNotScalar", stmt.loss.span, { actual: formatType(loss.type) }, { hint: "reduce it, e.g. mean(x), or use a loss such as cross_entropy" });
      else this.builder.graph.loss = loss.node;
    } else if (!isPoisoned(loss)) this.report("notATensor", stmt.loss.span, { what: "the training loss", actual: describeValue(loss) });
    const opt = stmt.optimizer;
    const callee = opt.kind === "call" ? opt.callee : opt.kind === "name" ? { name: opt.name, span: opt.span } : undefined;
    if (!callee) return void this.report("badOptimizer", opt.span, { name: "(expression)" });
    if (!isOptimizerName(callee.name)) {
      const hint = closest(callee.name, Object.keys(optimizers));
      return void this.report("badOptimizer", callee.span, { name: callee.name }, hint ? { hint: `did you mean \`${hint}\`?` } : {});
    }
    const def = optimizerDefinition(callee.name);
    const specs = OPTIMIZERS[callee.name]!;
    const args = opt.kind === "call" ? this.evalArgs(opt.args, frame) : [];
    if (!args) return;
    const bound = bindArguments(callee.name, specs, args, opt.span, this.bag);
    if (!bound) return;
    const la = new LayerArgs(callee.name, bound);
    const values: Record<string, number> = {};
    for (const s of specs) {
      const v = (values[s.name] = la.float(s.name));
      const range = def.args[s.name]!.range;
      if (!inRange(v, range)) this.report("badValue", bound.get(s.name)!.span, { what: `${callee.name}: \`${s.name}\``, value: String(v), expected: describeRange(range) });
    }
    this.builder.graph.optimizer = { name: callee.name, args: values };
  }

  // ---- types ----

  private resolveDtype(id: Ident): DType | undefined {
    if ((DTYPES as readonly string[]).includes(id.name)) return id.name as DType;
    const hint = DTYPE_ALIASES[id.name.toLowerCase()] ?? closest(id.name, DTYPES);
    this.report("unknownDtype", id.span, { name: id.name }, hint ? { hint: `did you mean \`${hint}\`?` } : {});
    return undefined;
  }

  /**
   * Evaluates a declared tensor type. `bind`: unknown dim names become new symbolic dims (inputs);
   * `refuse`: they are undefined-name errors (params).
   */
  private evalTensorType(type: TypeExpr, scope: Scope, unknown: "bind" | "refuse"): TensorType | undefined {
    if (type.kind !== "tensor") {
      this.report("unknownType", type.span, { name: type.name.name }, { hint: "a tensor type looks like f32[N, 784]" });
      return undefined;
    }
    const dtype = this.resolveDtype(type.dtype);
    const shape: Dim[] = [];
    let ok = dtype !== undefined;
    for (const d of type.dims) {
      if (unknown === "bind") for (const n of freeNames(d)) if (!scope.has(n)) scope.set(n, intValue(Dim.sym(n)));
      const dim = this.evalDim(d, scope);
      if (!dim) ok = false;
      else if ((dim.constValue() ?? 1) <= 0) {
        this.report("negativeDim", d.span, { dim: dim.toString() });
        ok = false;
      } else shape.push(dim);
    }
    return ok ? { dtype: dtype!, shape } : undefined;
  }

  private evalDim(expr: Expr, scope: Scope): Dim | undefined {
    const v = this.eval(expr, { scope, naming: new NamingScope([]), bindingName: "", recordBindings: false, inRepeat: false });
    if (isPoisoned(v)) return undefined;
    if (v.kind === "int") return v.dim;
    this.report("notCompileTime", expr.span, { what: "a dim", actual: describeValue(v) });
    return undefined;
  }

  /**
   * Matches a declared type (a block signature, an annotation, a return type) against an actual one. Dim names not yet
   * bound are bound to the actual dims (`B`, `T`, `D` in a block signature); `4*D` is solved for D when D is unbound.
   */
  private unify(type: TypeExpr, actual: TensorType, scope: Scope): UnifyResult | undefined {
    if (type.kind !== "tensor") {
      this.report("unknownType", type.span, { name: type.name.name }, { hint: "a tensor type looks like f32[N, 784]" });
      return undefined;
    }
    const dtype = this.resolveDtype(type.dtype);
    if (!dtype) return undefined;
    const declaredText = () => `${dtype}[${type.dims.map((d) => exprText(d, scope)).join(", ")}]`;
    if (type.dims.length !== actual.shape.length) return { ok: false, declared: declaredText(), detail: `rank ${type.dims.length} vs ${actual.shape.length}` };
    type.dims.forEach((d, i) => {
      if (d.kind === "name" && !scope.has(d.name)) scope.set(d.name, intValue(actual.shape[i]!));
    });
    type.dims.forEach((d, i) => {
      const free = freeNames(d).filter((n) => !scope.has(n));
      if (free.length !== 1) return;
      const probe = new Scope(scope);
      probe.set(free[0]!, intValue(Dim.sym(`?${free[0]}`)));
      const shape = this.evalDimQuiet(d, probe);
      const linear = shape?.linearIn(`?${free[0]}`);
      const solved = linear ? actual.shape[i]!.sub(linear.rest).divExact(Dim.const(linear.coef)) : undefined;
      if (solved) scope.set(free[0]!, intValue(solved));
    });
    const mismatches: string[] = [];
    type.dims.forEach((d, i) => {
      const unbound = freeNames(d).filter((n) => !scope.has(n));
      if (unbound.length > 0) {
        mismatches.push(`dim ${i}: cannot solve ${exprText(d, scope)} = ${actual.shape[i]}`);
        return;
      }
      const dim = this.evalDimQuiet(d, scope);
      if (dim && !dim.equals(actual.shape[i]!)) {
        // `D = 64 vs 256` says where the 64 came from when the declaration names it.
        const text = exprText(d, scope);
        mismatches.push(`dim ${i}: ${text === dim.toString() ? text : `${text} = ${dim}`} vs ${actual.shape[i]}`);
      }
    });
    if (dtype !== actual.dtype) mismatches.unshift(`dtype ${dtype} vs ${actual.dtype}`);
    return mismatches.length ? { ok: false, declared: declaredText(), detail: mismatches.join(", ") } : { ok: true };
  }

  private evalDimQuiet(expr: Expr, scope: Scope): Dim | undefined {
    const count = this.bag.items.length;
    const dim = this.evalDim(expr, scope);
    this.bag.items.length = count;
    return dim;
  }

  private checkAnnotation(name: Ident, type: TypeExpr, value: TensorValue, valueSpan: Span, scope: Scope): void {
    const result = this.unify(type, value.type, scope);
    if (result && !result.ok)
      this.report("annotationMismatch", valueSpan, { name: name.name, declared: result.declared, actual: formatType(value.type) },
        { label: result.detail, secondary: [{ span: type.span, label: "declared here" }] });
  }

  // ---- expressions ----

  private eval(expr: Expr, frame: Frame): Value {
    switch (expr.kind) {
      case "error":
        return POISON;
      case "number":
        return expr.isInt && Number.isSafeInteger(expr.value) ? intValue(expr.value) : { kind: "float", value: expr.value };
      case "string":
        return { kind: "string", value: expr.value };
      case "paren":
        return this.eval(expr.inner, frame);
      case "list":
        return { kind: "list", items: expr.items.map((i) => this.eval(i, frame)) };
      case "name": {
        const v = frame.scope.lookup(expr.name);
        if (v !== undefined) return v;
        if (expr.name === "true" || expr.name === "false") return { kind: "bool", value: expr.name === "true" };
        this.undefinedName({ name: expr.name, span: expr.span }, frame.scope, "undefinedName");
        return POISON;
      }
      case "unary": {
        const v = this.eval(expr.operand, frame);
        if (isPoisoned(v)) return POISON;
        if (v.kind === "int") return intValue(v.dim.neg());
        if (v.kind === "float") return { kind: "float", value: -v.value };
        if (v.kind === "tensor") return this.lowering("neg", expr.span, frame, (ctx) => ctx.op("neg", [v]));
        this.report("badOperand", expr.span, { op: "-", left: describeValue(v), right: "nothing" });
        return POISON;
      }
      case "binary":
        return this.evalBinary(expr, frame);
      case "call":
        return this.evalCall(expr.callee, expr.args, undefined, expr.span, frame);
      case "pipe":
        return this.evalCall(expr.callee, expr.args, expr.input, expr.span, frame);
    }
  }

  private undefinedName(name: Ident, scope: Scope, key: "undefinedName" | "outputUndefined"): void {
    const hint = closest(name.name, scope.names());
    const extras = hint ? { hint: `did you mean \`${hint}\`?` } : builtins.has(name.name) ? { hint: `\`${name.name}\` is a built-in: call it, \`${name.name}(...)\`` } : {};
    this.report(key, name.span, { name: name.name }, extras);
  }

  private evalBinary(expr: Extract<Expr, { kind: "binary" }>, frame: Frame): Value {
    const left = this.eval(expr.left, frame);
    const right = this.eval(expr.right, frame);
    if (isPoisoned(left) || isPoisoned(right)) return POISON;
    const bad = () => {
      this.report("badOperand", expr.opSpan, { op: expr.op, left: describeValue(left), right: describeValue(right) });
      return POISON;
    };
    if (left.kind === "int" && right.kind === "int") {
      const [a, b] = [left.dim, right.dim];
      const exact = (d: Dim): Value => {
        if (d.isExact()) return intValue(d);
        this.report("badValue", expr.span, { what: `\`${expr.op}\` of ${a} and ${b}`, value: "too large to be exact", expected: "an integer below 2^53" });
        return POISON;
      };
      switch (expr.op) {
        case "+":
          return exact(a.add(b));
        case "-":
          return exact(a.sub(b));
        case "*":
          return exact(a.mul(b));
        case "/": {
          if (b.isZero()) {
            this.report("inexactDivision", expr.span, { left: a.toString(), right: "0" }, { label: "division by zero" });
            return POISON;
          }
          const exact = a.divExact(b);
          if (exact) return intValue(exact);
          if (a.isConst() && b.isConst()) {
            this.report("inexactDivision", expr.span, { left: a.toString(), right: b.toString() }, { hint: "dims must divide exactly" });
            return POISON;
          }
          // Not provably exact for every value of the symbols: kept symbolic, checked when sizes are known.
          return intValue(a.floorDiv(b));
        }
        case "@":
          return bad();
      }
    }
    const isNumber = (v: Value) => v.kind === "float" || (v.kind === "int" && v.dim.isConst());
    if (isNumber(left) && isNumber(right)) {
      const a = left.kind === "float" ? left.value : (left as { dim: Dim }).dim.constValue()!;
      const b = right.kind === "float" ? right.value : (right as { dim: Dim }).dim.constValue()!;
      const ops = { "+": a + b, "-": a - b, "*": a * b, "/": a / b } as const;
      return expr.op === "@" ? bad() : { kind: "float", value: ops[expr.op] };
    }
    const operand = (v: Value) => v.kind === "tensor" || v.kind === "float" || v.kind === "int";
    if (!operand(left) || !operand(right) || (left.kind !== "tensor" && right.kind !== "tensor")) return bad();
    if (expr.op === "@") {
      if (left.kind !== "tensor" || right.kind !== "tensor") return bad();
      return this.lowering("matmul", expr.span, frame, (ctx) => ctx.op("matmul", [left, right]));
    }
    const prim = ({ "+": "add", "-": "sub", "*": "mul", "/": "div" } as const)[expr.op];
    return this.lowering(prim, expr.span, frame, (ctx) => elementwiseBinary(ctx, prim, left, right));
  }

  private evalArgs(args: readonly Arg[], frame: Frame): CallArg[] | undefined {
    const out: CallArg[] = [];
    for (const a of args) {
      const arg: CallArg = { value: this.eval(a.value, frame), span: a.value.span };
      if (a.name) arg.name = a.name;
      out.push(arg);
    }
    return out;
  }

  private evalCall(callee: Ident, argExprs: readonly Arg[], piped: Expr | undefined, span: Span, frame: Frame): Value {
    const args: CallArg[] = [];
    if (piped) args.push({ value: this.eval(piped, frame), span: piped.span });
    args.push(...(this.evalArgs(argExprs, frame) ?? []));
    const block = this.blocks.get(callee.name);
    if (block) return this.callBlock(block, args, span, frame);
    const builtin = builtins.get(callee.name);
    if (builtin) return this.callBuiltin(builtin, args, span, frame);
    const known = [...builtins.keys(), ...this.blocks.keys()];
    const hint = initializers.has(callee.name)
      ? `\`${callee.name}\` is an initializer: use it in a param declaration, \`param w: f32[...] = ${callee.name}()\``
      : callee.name in OPTIMIZERS
        ? `\`${callee.name}\` is an optimizer: use it in \`train LOSS with ${callee.name}(...)\``
        : closest(callee.name, known);
    this.report("unknownFunction", callee.span, { name: callee.name }, hint ? { hint: hint.includes(" ") ? hint : `did you mean \`${hint}\`?` } : {});
    return POISON;
  }

  private callBuiltin(def: BuiltinDef, args: CallArg[], span: Span, frame: Frame): Value {
    const bound = bindArguments(def.name, def.params, args, span, this.bag);
    if (!bound) return POISON;
    return this.lowering(def.name, span, frame, (ctx) => def.apply(ctx, new LayerArgs(def.name, bound)));
  }

  /** Runs a lowering step with a LayerContext whose parameters are named after the current binding. */
  private lowering(callee: string, span: Span, frame: Frame, body: (ctx: LayerContext) => Value): Value {
    const builder = this.builder;
    let layerName: string | undefined;
    const ctx: LayerContext = {
      callee,
      op: (name, inputs, ...attrs) => {
        try {
          return builder.relayOp(name, inputs, attrs, span);
        } catch (e) {
          // A primitive inside a layer's expansion (gelu's erf, softmax's exp) is reported under the name the user wrote.
          if (e instanceof ShapeFailure && name !== callee && e.error.params["op"] === name)
            throw new ShapeFailure({ ...e.error, params: { ...e.error.params, op: callee } }, e.span);
          throw e;
        }
      },
      constant: (value, dtype = "f32") => builder.constant(value, dtype),
      dimScalar: (d) => {
        const c = d.constValue();
        return c !== undefined ? builder.constant(c, "f32") : builder.op("dim_size", [], { dim: d }, span);
      },
      param: (suffix, shape, init, dtype = "f32") => {
        layerName ??= frame.naming.claim(frame.bindingName || callee);
        return builder.param(frame.naming.qualify(layerName, suffix), { dtype, shape }, init, span);
      },
      fail: (error, at) => {
        throw new ShapeFailure(error, at);
      },
      scores: (scores, labels) => {
        this.scored.push({ scores: scores.node, labels: labels.node });
      },
    };
    try {
      return body(ctx);
    } catch (e) {
      if (!(e instanceof ShapeFailure)) throw e;
      this.reportShapeError(e.error, e.span ?? span);
      return POISON;
    }
  }

  private callBlock(block: BlockDecl, args: CallArg[], span: Span, frame: Frame): Value {
    if (this.recursive.has(block.name.name)) return POISON;
    const name = block.name.name;
    const specs: ParamSpec[] = [];
    for (const p of block.params) {
      const kind = p.type.kind === "tensor" ? "tensor" : this.scalarKind(p.type);
      if (!kind) return POISON;
      const spec: ParamSpec = { name: p.name.name, kind };
      if (p.default) {
        const v = this.eval(p.default, this.hyperFrame(new Scope()));
        const coerced = kind === "tensor" ? undefined : this.coerce(v, kind, p.default.span, `default of \`${p.name.name}\``);
        if (!coerced) return POISON;
        spec.default = coerced;
      }
      specs.push(spec);
    }
    const bound = bindArguments(name, specs, args, span, this.bag);
    if (!bound) return POISON;
    const scope = new Scope();
    let ok = true;
    for (const p of block.params) {
      const arg = bound.get(p.name.name)!;
      let value = arg.value;
      if (value.kind === "tensor") {
        const result = this.unify(p.type, value.type, scope);
        if (!result) return POISON;
        if (!result.ok) {
          this.report("argumentShape", arg.span, { callee: name, param: p.name.name, declared: result.declared, actual: formatType(value.type), detail: result.detail },
            { secondary: [{ span: p.type.span, label: "declared here" }] });
          ok = false;
        }
      } else if (value.kind === "int" && p.type.kind === "scalar" && p.type.name.name === "float") value = { kind: "float", value: value.dim.constValue()! };
      scope.set(p.name.name, value);
    }
    if (!ok) return POISON;
    const naming = frame.naming.child(frame.naming.claim(frame.bindingName || name));
    this.calls.push({ block: name, span });
    try {
      return this.runBlockBody(block, scope, naming);
    } finally {
      this.calls.pop();
    }
  }

  private runBlockBody(block: BlockDecl, scope: Scope, naming: NamingScope): Value {
    const name = block.name.name;
    const result = this.execBody(block.body, { scope, naming, bindingName: "", block, recordBindings: false, inRepeat: false });
    if (result === undefined) {
      this.report("missingReturn", block.name.span, { block: name });
      return POISON;
    }
    if (isPoisoned(result)) return POISON;
    if (block.returns) {
      if (result.kind !== "tensor") {
        this.report("returnMismatch", returnSpan(block), { block: name, declared: formatTypeExpr(block.returns), actual: describeValue(result) });
        return POISON;
      }
      const check = this.unify(block.returns, result.type, scope);
      if (check && !check.ok) {
        this.report("returnMismatch", returnSpan(block), { block: name, declared: check.declared, actual: formatType(result.type) },
          { label: check.detail, secondary: [{ span: block.returns.span, label: "declared here" }] });
        return POISON;
      }
    }
    return result;
  }
}

// ---- helpers over the AST ----

function returnSpan(block: BlockDecl): Span {
  const ret = block.body.find((s) => s.kind === "return");
  return ret && ret.kind === "return" ? ret.value.span : block.name.span;
}

/** Every call by name in a body (pipes included), for the block call graph. */
function callsIn(stmts: readonly Stmt[]): { callee: string; span: Span }[] {
  const out: { callee: string; span: Span }[] = [];
  const visitExpr = (e: Expr): void => {
    switch (e.kind) {
      case "call":
        out.push({ callee: e.callee.name, span: e.callee.span });
        e.args.forEach((a) => visitExpr(a.value));
        return;
      case "pipe":
        visitExpr(e.input);
        out.push({ callee: e.callee.name, span: e.callee.span });
        e.args.forEach((a) => visitExpr(a.value));
        return;
      case "binary":
        visitExpr(e.left);
        visitExpr(e.right);
        return;
      case "unary":
        return visitExpr(e.operand);
      case "paren":
        return visitExpr(e.inner);
      case "list":
        return e.items.forEach(visitExpr);
      default:
        return;
    }
  };
  for (const s of stmts) {
    if (s.kind === "binding") visitExpr(s.value);
    else if (s.kind === "return") visitExpr(s.value);
    else if (s.kind === "train") visitExpr(s.loss);
    else if (s.kind === "repeat") {
      visitExpr(s.count);
      out.push(...callsIn(s.body));
    }
  }
  return out;
}

function freeNames(e: Expr): string[] {
  switch (e.kind) {
    case "name":
      return e.name === "true" || e.name === "false" ? [] : [e.name];
    case "binary":
      return [...freeNames(e.left), ...freeNames(e.right)];
    case "unary":
      return freeNames(e.operand);
    case "paren":
      return freeNames(e.inner);
    default:
      return [];
  }
}

/** A dim expression as written, with names bound to concrete values left as names (readable in messages). */
function exprText(e: Expr, scope: Scope): string {
  switch (e.kind) {
    case "number":
      return e.text;
    case "name":
      return e.name;
    case "binary":
      return `${exprText(e.left, scope)} ${e.op} ${exprText(e.right, scope)}`;
    case "unary":
      return `-${exprText(e.operand, scope)}`;
    case "paren":
      return `(${exprText(e.inner, scope)})`;
    default:
      return "?";
  }
}

function formatTypeExpr(t: TypeExpr): string {
  return t.kind === "scalar" ? t.name.name : `${t.dtype.name}[${t.dims.map((d) => exprText(d, new Scope())).join(", ")}]`;
}

function scalarText(v: Value): string {
  switch (v.kind) {
    case "int":
      return `int = ${v.dim}`;
    case "float":
      return `float = ${v.value}`;
    case "bool":
      return `bool = ${v.value}`;
    case "string":
      return `string = ${JSON.stringify(v.value)}`;
    default:
      return describeValue(v);
  }
}

function parseOverride(raw: string, kind: ParamKind): Value | undefined {
  const text = raw.trim();
  switch (kind) {
    case "int":
      return /^-?\d+$/.test(text) && Number.isSafeInteger(Number(text)) ? intValue(Number(text)) : undefined;
    case "float":
      return text !== "" && Number.isFinite(Number(text)) ? { kind: "float", value: Number(text) } : undefined;
    case "bool":
      return text === "true" || text === "false" ? { kind: "bool", value: text === "true" } : undefined;
    case "string":
      return { kind: "string", value: raw };
    default:
      return undefined;
  }
}

function defaultInitializer(type: TensorType | undefined): InitSpec {
  return { name: type && type.shape.length >= 2 ? "glorot_uniform" : "zeros", args: [] };
}

