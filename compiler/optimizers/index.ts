// Every optimizer, by the name a `train ... with NAME(...)` statement uses: the table the checker reads argument
// specs from, the training step reads updates from, and checkpoint loading reads state names from.
import type { Optimizer } from "../ir/graph.js";
import { adam } from "./adam.js";
import type { OptimizerDefinition } from "./define-optimizer.js";
import { sgd } from "./sgd.js";

// The IR names optimizers without importing this layer; `satisfies` keeps the two lists the same.
export const optimizers = { sgd, adam } satisfies Record<Optimizer["name"], OptimizerDefinition>;

export type OptimizerName = keyof typeof optimizers;

export function isOptimizerName(name: string): name is OptimizerName {
  return Object.hasOwn(optimizers, name);
}

/** The definition of an optimizer, seen through the contract every definition meets. */
export function optimizerDefinition(name: OptimizerName): OptimizerDefinition {
  return optimizers[name];
}

export * from "./define-optimizer.js";
