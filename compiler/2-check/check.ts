// The shape checker: evaluates one model over types (blocks inlined per call, repeats unrolled), reporting every
// independent mistake, and lowers it to the IR graph of primitive ops on the way. Each job lives in its own file and
// shares one `CheckContext`:
//   declarations.ts    models and blocks, recursion, uncalled blocks, which model to check
//   hyperparameters.ts defaults and `--set` overrides, scalar kinds
//   statements.ts      input, param, binding, output, return, repeat, train
//   optimizer-call.ts  the training statement's optimizer and its arguments
//   expressions.ts     literals, names, arithmetic, layer calls and their lowering
//   blocks.ts          user block calls
//   type-exprs.ts      declared types, dims, unification
//   classifier.ts      what training scores accuracy on
import type { ModelDecl, Program } from "../1-parse/ast.js";
import { DiagnosticBag } from "../diagnostics/diagnostic.js";
import type { Span } from "../diagnostics/span.js";
import type { Graph } from "../ir/graph.js";
import "../ops/index.js";
import { classifierOf, labelInputsOf } from "./classifier.js";
import { CheckContext, type BindingInfo } from "./context.js";
import { collectDeclarations, findRecursion, selectModel, warnUncalledBlocks } from "./declarations.js";
import { evalExpr } from "./expressions.js";
import { bindHyperparameters } from "./hyperparameters.js";
import { NamingScope } from "./lower-to-ir.js";
import { Scope, type Frame } from "./scope.js";
import { execBody } from "./statements.js";
import { freeNames } from "./type-exprs.js";
import { intValue } from "./values.js";
import { closest } from "../diagnostics/suggest.js";

export type { BindingInfo };

export interface CheckOptions {
  /** Which model to check when the file holds several. */
  model?: string;
  /** Hyperparameter overrides as written on the command line (`--set k=v`). */
  overrides?: Readonly<Record<string, string>>;
  /**
   * Sizes for symbolic dims of the inputs (`--dim T=28`, or a recurrence's length taken from the data): the model is
   * checked as if the inputs declared these numbers, so a recurrence over such a dim can be unrolled.
   */
  dims?: Readonly<Record<string, number>>;
  /**
   * The mode mode-dependent layers are lowered in (default "eval"). A model with such a layer is checked in both:
   * its graph is the evaluation one and carries the training one (`graph.training`).
   */
  mode?: "train" | "eval";
}

export interface CheckResult {
  model: string | undefined;
  graph: Graph;
  bindings: BindingInfo[];
  hyperparameters: { name: string; value: string }[];
}

export function checkProgram(program: Program, bag: DiagnosticBag, options: CheckOptions = {}): CheckResult {
  const mode = options.mode ?? "eval";
  const ctx: CheckContext = new CheckContext(program, bag, mode, {
    eval: (expr, frame) => evalExpr(ctx, expr, frame),
    execBody: (stmts, frame) => execBody(ctx, stmts, frame),
  });
  const empty = (model?: string): CheckResult => ({ model, graph: ctx.builder.graph, bindings: [], hyperparameters: [] });
  collectDeclarations(ctx);
  findRecursion(ctx);
  warnUncalledBlocks(ctx);
  const model = selectModel(ctx, options.model);
  if (!model) return empty(options.model);
  const frame: Frame = { scope: new Scope(), naming: new NamingScope([]), bindingName: "", recordBindings: true, inRepeat: false };
  const hyperparameters = bindHyperparameters(ctx, model, frame.scope, options.overrides ?? {});
  bindInputDims(ctx, model, frame.scope, options.dims ?? {});
  execBody(ctx, model.body, frame);
  const graph = ctx.builder.graph;
  const classifier = classifierOf(ctx, graph);
  if (classifier) graph.classifier = classifier;
  const labelInputs = labelInputsOf(ctx, graph);
  if (labelInputs.length > 0) graph.labelInputs = labelInputs;
  if (graph.loss !== undefined && ctx.bag.errorCount === 0) warnUntrainedParams(ctx, model);
  const declaresResult = model.body.some((s) => s.kind === "output" || s.kind === "train");
  if (!declaresResult) ctx.report("noOutput", model.name.span, { model: model.name.name });
  if (ctx.modeDependent) {
    graph.mode = mode;
    if (mode === "eval" && ctx.bag.errorCount === 0) {
      // The same program, so the same diagnostics: the second check's are not reported again.
      const training = checkProgram(program, new DiagnosticBag(bag.file), { ...options, mode: "train" });
      graph.training = training.graph;
    }
  }
  const bindings = [...ctx.bindings.values()].sort((a, b) => a.span.start - b.span.start);
  return { model: model.name.name, graph, bindings, hyperparameters };
}

/** `--dim` sizes become the values of the input dims they name; a name no input declares is reported. */
function bindInputDims(ctx: CheckContext, model: ModelDecl, scope: Scope, dims: Readonly<Record<string, number>>): void {
  const declared = new Set(model.body.flatMap((s) => (s.kind === "input" && s.type.kind === "tensor" ? s.type.dims.flatMap(freeNames) : [])));
  for (const [name, size] of Object.entries(dims)) {
    if (scope.has(name)) ctx.report("badDim", model.name.span, { text: `${name}=${size}`, reason: `\`${name}\` is a hyperparameter (use --set ${name}=${size})` });
    else if (!declared.has(name)) {
      const hint = closest(name, declared);
      ctx.report("badDim", model.name.span, { text: `${name}=${size}`, reason: `no input of model \`${model.name.name}\` has a dim \`${name}\`` },
        { hint: hint ? `did you mean \`${hint}\`?` : `input dims: ${[...declared].join(", ") || "none"}` });
    } else if (!(Number.isSafeInteger(size) && size >= 1)) ctx.report("badDim", model.name.span, { text: `${name}=${size}`, reason: "a dim is a positive integer" });
    else scope.set(name, intValue(size));
  }
}

/** Parameters the loss does not reach are never trained (a layer left out of the loss path, a wrong binding used). */
function warnUntrainedParams(ctx: CheckContext, model: ModelDecl): void {
  const graph = ctx.builder.graph;
  const reached = new Set<number>();
  const stack = [graph.loss!];
  while (stack.length > 0) {
    const id = stack.pop()!;
    if (reached.has(id)) continue;
    reached.add(id);
    stack.push(...graph.nodes[id]!.inputs);
  }
  const train = model.body.find((s) => s.kind === "train");
  if (graph.params.length > 0 && graph.params.every((p) => !reached.has(p.node))) {
    if (train) ctx.report("lossWithoutParams", train.span, {});
    return;
  }
  // One warning per layer: a dense layer's weight and bias share the span of its call.
  const bySpan = new Map<string, { span: Span; names: string[] }>();
  for (const p of graph.params) {
    if (reached.has(p.node)) continue;
    const span = graph.nodes[p.node]!.span ?? model.name.span;
    const key = `${span.start}:${span.end}`;
    const entry = bySpan.get(key) ?? { span, names: [] };
    entry.names.push(p.name);
    bySpan.set(key, entry);
  }
  for (const { span, names } of bySpan.values()) ctx.report("paramNotTrained", span, { names });
}
