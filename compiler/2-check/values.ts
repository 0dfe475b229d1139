// What an expression evaluates to during checking: a tensor (an IR node), a compile-time scalar, a list, or poison.
import { Dim } from "../ir/dims.js";
import { formatType } from "../ir/types.js";
import type { TensorValue } from "../ir/value.js";

export type { TensorValue };

export type Value =
  | TensorValue
  /** A compile-time integer; symbolic when it depends on an input dim. */
  | { kind: "int"; dim: Dim }
  | { kind: "float"; value: number }
  | { kind: "bool"; value: boolean }
  | { kind: "string"; value: string }
  | { kind: "list"; items: Value[] }
  /** The result of an expression that already failed; using it reports nothing more. */
  | { kind: "poison" };

export const POISON: Value = { kind: "poison" };

export function intValue(n: number | Dim): Value {
  return { kind: "int", dim: typeof n === "number" ? Dim.const(n) : n };
}

export function describeValue(v: Value): string {
  switch (v.kind) {
    case "tensor":
      return `a tensor ${formatType(v.type)}`;
    case "int":
      return `the int ${v.dim.toString()}`;
    case "float":
      return `the float ${v.value}`;
    case "bool":
      return `the bool ${v.value}`;
    case "string":
      return `the string ${JSON.stringify(v.value)}`;
    case "list":
      return `a list of ${v.items.length}`;
    case "poison":
      return "an invalid value";
  }
}

export function isPoisoned(v: Value): boolean {
  return v.kind === "poison" || (v.kind === "list" && v.items.some(isPoisoned));
}

/** A compile-time value with its kind, as `dlg check` lists hyperparameters and bindings. */
export function scalarText(v: Value): string {
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
