// Call signatures (for built-ins, blocks, initializers and optimizers) and binding call-site arguments to them.
import type { DiagnosticBag } from "../diagnostics/diagnostic.js";
import type { Span } from "../diagnostics/span.js";
import { closest } from "../diagnostics/suggest.js";
import { describeValue, isPoisoned, type Value } from "./values.js";

export type ParamKind = "tensor" | "operand" | "int" | "float" | "bool" | "string" | "ints" | "axes" | "tensors" | "any";

export interface ParamSpec {
  name: string;
  kind: ParamKind;
  /** Absent: required. `null`: optional with no value. */
  default?: Value | null;
}

export interface BoundArg {
  value: Value;
  span: Span;
}

export interface CallArg {
  name?: { name: string; span: Span };
  value: Value;
  span: Span;
}

const KIND_TEXT: Record<ParamKind, string> = {
  tensor: "a tensor",
  operand: "a tensor or a number",
  int: "an int",
  float: "a number",
  bool: "true or false",
  string: "a string",
  ints: "a list of ints",
  axes: "an int or a list of ints",
  tensors: "a list of tensors",
  any: "a value",
};

export function kindMatches(kind: ParamKind, v: Value): boolean {
  switch (kind) {
    case "any":
      return true;
    case "tensor":
      return v.kind === "tensor";
    case "operand":
      return v.kind === "tensor" || v.kind === "float" || (v.kind === "int" && v.dim.isConst());
    case "int":
      return v.kind === "int";
    case "float":
      return v.kind === "float" || (v.kind === "int" && v.dim.isConst());
    case "bool":
      return v.kind === "bool";
    case "string":
      return v.kind === "string";
    case "ints":
      return v.kind === "list" && v.items.every((i) => i.kind === "int");
    case "axes":
      return v.kind === "int" || (v.kind === "list" && v.items.every((i) => i.kind === "int"));
    case "tensors":
      return v.kind === "list" && v.items.length > 0 && v.items.every((i) => i.kind === "tensor");
  }
}

/**
 * Matches positional then named arguments to parameters. Returns undefined after reporting when the call is malformed,
 * and also (silently) when an argument is already poisoned.
 */
export function bindArguments(
  callee: string,
  params: readonly ParamSpec[],
  args: readonly CallArg[],
  callSpan: Span,
  bag: DiagnosticBag,
): Map<string, BoundArg> | undefined {
  const bound = new Map<string, BoundArg>();
  let ok = true;
  let positional = 0;
  for (const arg of args) {
    if (!arg.name) {
      const spec = params[positional];
      if (!spec) {
        const given = args.filter((a) => !a.name).length;
        bag.report("tooManyArguments", arg.span, { callee, max: params.length, given });
        return undefined;
      }
      positional++;
      bound.set(spec.name, { value: arg.value, span: arg.span });
      continue;
    }
    const spec = params.find((p) => p.name === arg.name!.name);
    if (!spec) {
      const names = params.map((p) => p.name);
      const given = arg.name.name;
      const guess = closest(given, names) ?? (given.length >= 2 ? names.find((n) => n.startsWith(given)) : undefined);
      const list = `parameters are ${names.join(", ")}`;
      bag.report("unknownNamedArgument", arg.name.span, { callee, name: given }, { hint: !names.length ? `${callee} takes no arguments` : guess ? `did you mean \`${guess}\`? (${list})` : list });
      ok = false;
      continue;
    }
    if (bound.has(spec.name)) {
      bag.report("duplicateArgument", arg.name.span, { callee, name: spec.name });
      ok = false;
      continue;
    }
    bound.set(spec.name, { value: arg.value, span: arg.span });
  }
  for (const spec of params) {
    const arg = bound.get(spec.name);
    if (!arg) {
      if (spec.default === undefined) {
        bag.report("missingArgument", callSpan, { callee, param: spec.name });
        ok = false;
      } else if (spec.default !== null) bound.set(spec.name, { value: spec.default, span: callSpan });
      continue;
    }
    if (isPoisoned(arg.value)) {
      ok = false;
      continue;
    }
    if (!kindMatches(spec.kind, arg.value)) {
      bag.report("argumentKind", arg.span, { callee, param: spec.name, expected: KIND_TEXT[spec.kind], actual: describeValue(arg.value) });
      ok = false;
    }
  }
  return ok ? bound : undefined;
}
