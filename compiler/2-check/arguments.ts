// Call arguments evaluated in order, for layers, blocks, initializers and optimizers alike.
import type { Arg } from "../1-parse/ast.js";
import type { CheckContext } from "./context.js";
import type { Frame } from "./scope.js";
import type { CallArg } from "./signature.js";

export function evalArgs(ctx: CheckContext, args: readonly Arg[], frame: Frame): CallArg[] | undefined {
  const out: CallArg[] = [];
  for (const a of args) {
    const arg: CallArg = { value: ctx.eval(a.value, frame), span: a.value.span };
    if (a.name) arg.name = a.name;
    out.push(arg);
  }
  return out;
}
