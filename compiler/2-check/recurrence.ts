// `scan(Cell, xs, init: [h0, c0], last: false, ...)`: a user block applied along axis 1 of `xs` with a carried
// state. The block is called as `Cell(x_t, h, c, ...)` with the step's slice of the sequence and the current states,
// and returns the new state: one tensor, or a list whose first item is the step's output. Every step runs the same
// block with the same parameter names, and the context hands each step after the first the parameters the first
// declared, so the recurrence has one set of weights whatever its length. Named arguments scan does not take itself
// are passed on to the block.
import type { Arg } from "../1-parse/ast.js";
import type { Span } from "../diagnostics/span.js";
import { formatType, type TensorType } from "../ir/types.js";
import { evalArgs } from "./arguments.js";
import { callBlock, returnSpan } from "./blocks.js";
import type { CheckContext } from "./context.js";
import { lowering } from "./lowering.js";
import { NamingScope } from "./lower-to-ir.js";
import type { Frame } from "./scope.js";
import { bindArguments, type CallArg, type ParamSpec } from "./signature.js";
import { recurrentBuiltins, requireSequence, unroll } from "./stdlib/recurrent.js";
import { closest } from "../diagnostics/suggest.js";
import { describeValue, isPoisoned, POISON, type TensorValue, type Value } from "./values.js";

const SCAN_PARAMS: readonly ParamSpec[] = [
  { name: "xs", kind: "tensor" },
  { name: "init", kind: "any" },
  { name: "last", kind: "bool", default: { kind: "bool", value: false } },
];

/** A step that went wrong has been reported where it went wrong; the scan stops without a second diagnostic. */
class StepFailed extends Error {}

const sameType = (a: TensorType, b: TensorType) => a.dtype === b.dtype && a.shape.length === b.shape.length && a.shape.every((d, i) => d.equals(b.shape[i]!));

export function evalScan(ctx: CheckContext, argExprs: readonly Arg[], piped: CallArg | undefined, span: Span, frame: Frame): Value {
  const cellArg = argExprs.find((a) => !a.name);
  const cell = cellArg?.value.kind === "name" ? ctx.blocks.get(cellArg.value.name) : undefined;
  const rest = argExprs.filter((a) => a !== cellArg);
  const evaluated = evalArgs(ctx, rest, frame) ?? [];
  if (!cell) {
    const actual = !cellArg ? "no argument" : cellArg.value.kind === "name" ? `\`${cellArg.value.name}\`, which is not a block` : "an expression";
    const blocks = [...ctx.blocks.keys()];
    const written = cellArg?.value.kind === "name" ? cellArg.value.name : undefined;
    const near = written !== undefined ? closest(written, blocks) : undefined;
    const hint = written !== undefined && recurrentBuiltins.some((b) => b.name === written)
      ? `\`${written}\` is a built-in recurrent layer: call it on the sequence, ${written}(x, hidden)`
      : near ? `did you mean \`${near}\`?`
      : blocks.length > 0 ? `blocks: ${blocks.join(", ")}`
      : "declare the step as a block: block Cell(x: f32[N, D], h: f32[N, H]) { ... return h2 }";
    ctx.report("scanCell", cellArg?.span ?? span, { actual }, { hint });
    return POISON;
  }
  const own = new Set(SCAN_PARAMS.map((p) => p.name));
  const args = [...(piped ? [piped] : []), ...evaluated.filter((a) => !a.name || own.has(a.name.name))];
  const forwarded = evaluated.filter((a) => a.name && !own.has(a.name.name));
  const bound = bindArguments("scan", SCAN_PARAMS, args, span, ctx.bag);
  if (!bound) return POISON;
  const xsArg = bound.get("xs")!;
  const initArg = bound.get("init");
  if (!initArg) {
    ctx.report("missingArgument", span, { callee: "scan", param: "init" }, { hint: "the state before the first step, e.g. init: zeros([N, 64]), or a list init: [h0, c0]" });
    return POISON;
  }
  const initItems = initArg.value.kind === "list" ? initArg.value.items : [initArg.value];
  if (isPoisoned(initArg.value) || isPoisoned(xsArg.value)) return POISON;
  if (initItems.length === 0 || initItems.some((v) => v.kind !== "tensor")) {
    ctx.report("argumentKind", initArg.span, { callee: "scan", param: "init", expected: "a tensor or a list of tensors (the states)", actual: describeValue(initArg.value) });
    return POISON;
  }
  const init = initItems as TensorValue[];
  const last = bound.get("last")!.value.kind === "bool" && (bound.get("last")!.value as { value: boolean }).value;
  const name = cell.name.name;
  return lowering(ctx, "scan", span, frame, (layer) => {
    const xs = xsArg.value as TensorValue;
    const length = requireSequence(layer, xs, xsArg.span);
    const path = [...frame.naming.path, frame.naming.claim(frame.bindingName || name)];
    const outerShared = ctx.sharedParams;
    const outerFactor = ctx.unrollFactor;
    ctx.sharedParams = new Map();
    ctx.unrollFactor *= length.constValue() ?? 1;
    try {
      return unroll(layer, {
        xs,
        init,
        last,
        step(xt, states) {
          const callArgs: CallArg[] = [{ value: xt, span: xsArg.span }, ...states.map((s) => ({ value: s as Value, span: initArg.span })), ...forwarded];
          const result = callBlock(ctx, cell, callArgs, span, frame, new NamingScope(path));
          if (isPoisoned(result) || ctx.stopped) throw new StepFailed();
          const items = result.kind === "list" ? result.items : [result];
          const at = returnSpan(cell);
          const fail = (detail: string): never => {
            ctx.report("scanState", at, { cell: name, detail }, { secondary: [{ span, label: "in this scan" }] });
            throw new StepFailed();
          };
          if (items.length !== states.length) fail(`it carries ${states.length} state${states.length === 1 ? "" : "s"} (init) but returns ${items.length === 1 ? "1 value" : `${items.length} values`}`);
          items.forEach((v, i) => {
            if (v.kind !== "tensor") fail(`state ${i} comes back as ${describeValue(v)}`);
            else if (!sameType(v.type, states[i]!.type)) fail(`state ${i} goes in as ${formatType(states[i]!.type)} and comes back as ${formatType(v.type)}`);
          });
          return items as TensorValue[];
        },
      });
    } catch (e) {
      if (e instanceof StepFailed) return POISON;
      throw e;
    } finally {
      ctx.sharedParams = outerShared;
      ctx.unrollFactor = outerFactor;
    }
  });
}
