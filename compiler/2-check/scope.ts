// Names in scope while a model or a block body is evaluated, and the frame a statement is evaluated in.
import type { BlockDecl } from "../1-parse/ast.js";
import { NamingScope } from "./lower-to-ir.js";
import type { Value } from "./values.js";

export class Scope {
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

export interface Frame {
  scope: Scope;
  naming: NamingScope;
  /** Base name for the parameters of layers called in the statement being evaluated. */
  bindingName: string;
  block?: BlockDecl;
  /** Bindings of the model body itself (not of blocks) are reported by `dlg check`. */
  recordBindings: boolean;
  inRepeat: boolean;
}

/** A frame for compile-time expressions (defaults, dims): no layer is named after it and nothing is recorded. */
export function constantFrame(scope: Scope): Frame {
  return { scope, naming: new NamingScope([]), bindingName: "", recordBindings: false, inRepeat: false };
}
