// A name that is not in scope: reported with the closest name in scope, or as a built-in used without a call.
import type { Ident } from "../1-parse/ast.js";
import { closest } from "../diagnostics/suggest.js";
import type { CheckContext } from "./context.js";
import type { Scope } from "./scope.js";
import { builtins } from "./stdlib/index.js";

export function undefinedName(ctx: CheckContext, name: Ident, scope: Scope, key: "undefinedName" | "outputUndefined"): void {
  const hint = closest(name.name, scope.names());
  const extras = hint ? { hint: `did you mean \`${hint}\`?` } : builtins.has(name.name) ? { hint: `\`${name.name}\` is a built-in: call it, \`${name.name}(...)\`` } : {};
  ctx.report(key, name.span, { name: name.name }, extras);
}
