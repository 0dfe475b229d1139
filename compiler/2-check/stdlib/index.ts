// Every built-in callable of the language, by name.
import type { BuiltinDef } from "./define-layer.js";
import { elementwiseBuiltins } from "./elementwise.js";
import { layerBuiltins } from "./layers.js";
import { lossBuiltins } from "./losses.js";
import { normalizationBuiltins } from "./normalization.js";
import { recurrentBuiltins } from "./recurrent.js";
import { reductionBuiltins } from "./reductions.js";
import { sequenceBuiltins } from "./sequence.js";
import { shapeBuiltins } from "./shape.js";

export const builtins: ReadonlyMap<string, BuiltinDef> = new Map(
  [...elementwiseBuiltins, ...reductionBuiltins, ...shapeBuiltins, ...layerBuiltins, ...normalizationBuiltins, ...recurrentBuiltins, ...sequenceBuiltins, ...lossBuiltins].map((b) => [b.name, b]),
);

export type { BuiltinDef };
