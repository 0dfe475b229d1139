// The optimizer of a training statement (`train LOSS with adam(lr: 1e-3)`): its arguments bound and range-checked
// from the optimizer definitions.
import type { Expr } from "../1-parse/ast.js";
import { closest } from "../diagnostics/suggest.js";
import { describeRange, inRange, isOptimizerName, optimizerDefinition, optimizers, type OptimizerDefinition } from "../optimizers/index.js";
import { evalArgs } from "./arguments.js";
import type { CheckContext } from "./context.js";
import { LayerArgs } from "./lower-to-ir.js";
import type { Frame } from "./scope.js";
import { bindArguments, type ParamSpec } from "./signature.js";

/** Each optimizer's arguments as calls bind them; no prototype, so `in` and lookups see optimizer names only. */
const OPTIMIZERS: Readonly<Record<string, ParamSpec[]>> = Object.assign(Object.create(null) as Record<string, ParamSpec[]>,
  Object.fromEntries(Object.entries(optimizers).map(([name, def]) => [name, optimizerParams(def)])));

function optimizerParams(def: OptimizerDefinition): ParamSpec[] {
  return Object.entries(def.args).map(([name, arg]) => (arg.default === undefined ? { name, kind: "float" } : num(name, arg.default)));
}

function num(name: string, value: number): ParamSpec {
  return { name, kind: "float", default: { kind: "float", value } };
}

/** Whether a name is an optimizer's, for the hint when it is called where a layer is expected. */
export function isOptimizerCall(name: string): boolean {
  return name in OPTIMIZERS;
}

export function checkOptimizer(ctx: CheckContext, opt: Expr, frame: Frame): void {
  const callee = opt.kind === "call" ? opt.callee : opt.kind === "name" ? { name: opt.name, span: opt.span } : undefined;
  if (!callee) return void ctx.report("badOptimizer", opt.span, { name: "(expression)" });
  if (!isOptimizerName(callee.name)) {
    const hint = closest(callee.name, Object.keys(optimizers));
    return void ctx.report("badOptimizer", callee.span, { name: callee.name }, hint ? { hint: `did you mean \`${hint}\`?` } : {});
  }
  const def = optimizerDefinition(callee.name);
  const specs = OPTIMIZERS[callee.name]!;
  const args = opt.kind === "call" ? evalArgs(ctx, opt.args, frame) : [];
  if (!args) return;
  const bound = bindArguments(callee.name, specs, args, opt.span, ctx.bag);
  if (!bound) return;
  const la = new LayerArgs(callee.name, bound);
  const values: Record<string, number> = Object.create(null) as Record<string, number>;
  for (const s of specs) {
    const v = (values[s.name] = la.float(s.name));
    const range = def.args[s.name]!.range;
    if (!inRange(v, range)) ctx.report("badValue", bound.get(s.name)!.span, { what: `${callee.name}: \`${s.name}\``, value: String(v), expected: describeRange(range) });
  }
  ctx.builder.graph.optimizer = { name: callee.name, args: values, span: opt.span };
}
