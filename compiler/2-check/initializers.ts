// Parameter initializers the language knows, with their signatures. Values are drawn by the executor, seeded.
import { float } from "./stdlib/define-layer.js";
import type { ParamSpec } from "./signature.js";

export interface InitializerDef {
  name: string;
  params: readonly ParamSpec[];
  summary: string;
}

export const initializers: ReadonlyMap<string, InitializerDef> = new Map(
  [
    { name: "zeros", params: [], summary: "all 0" },
    { name: "ones", params: [], summary: "all 1" },
    { name: "normal", params: [float("std", 0.05), float("mean", 0)], summary: "N(mean, std²)" },
    { name: "uniform", params: [float("low", -0.05), float("high", 0.05)], summary: "U(low, high)" },
    { name: "glorot_uniform", params: [], summary: "U(±sqrt(6 / (fan_in + fan_out)))" },
    { name: "glorot_normal", params: [], summary: "N(0, 2 / (fan_in + fan_out))" },
    { name: "he_normal", params: [], summary: "N(0, 2 / fan_in)" },
    { name: "he_uniform", params: [], summary: "U(±sqrt(6 / fan_in))" },
  ].map((d) => [d.name, d as InitializerDef]),
);

