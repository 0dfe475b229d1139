// The primitive ops the IR's machinery (builder, verifier, interpreter, gradient rules) looks up by name. The IR sits
// below the ops, so it cannot import them: each op's file declares its name and attribute type by adding an entry to
// OpCatalog (ir/op-catalog.ts), and compiler/ops/index.ts registers the definitions once, as MLIR registers a
// dialect's ops. A name that no op declares does not type-check; a declared op that was never registered fails on
// first use, naming the op.
import type { OpSemantics } from "./define-op.js";
import type { OpName } from "./op-catalog.js";

export type { NoAttrs, OpAttrs, OpAttrsArg, OpCatalog, OpName, OpsWithAttrs } from "./op-catalog.js";

const registered = new Map<OpName, OpSemantics>();

/** Called once by compiler/ops/index.ts with the whole table; an op registered under another name is a bug. */
export function registerOps(table: Readonly<Record<OpName, OpSemantics>>): void {
  for (const [name, def] of Object.entries(table) as [OpName, OpSemantics][]) {
    if (def.name !== name) throw new Error(`internal: op ${def.name} is registered as ${name}`);
    const previous = registered.get(name);
    if (previous && previous !== def) throw new Error(`internal: two ops named ${name}`);
    registered.set(name, def);
  }
}

/** The registered ops, by name (empty until compiler/ops has been imported). */
export const registry: ReadonlyMap<OpName, OpSemantics> = registered;

export function getOp(name: OpName): OpSemantics {
  const op = registered.get(name);
  if (!op)
    throw new Error(registered.size === 0
      ? `internal: no primitive ops are registered (import compiler/ops/index.js before building or running a graph; asked for ${name})`
      : `internal: no primitive op named ${name}`);
  return op;
}
