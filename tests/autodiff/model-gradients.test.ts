// Whole-model gradient checks: for every example model, d loss / d parameter from the generated backward graph agrees
// with central finite differences (float64) on a seeded sample of parameter elements.
import { readdirSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { buildBackward } from "../../compiler/3-autodiff/build-backward.js";
import type { Graph } from "../../compiler/ir/graph.js";
import { interpret, type HostValue } from "../../compiler/ir/interpret.js";
import { verifyGraph } from "../../compiler/ir/verify.js";
import { initialBuffers, initialParams } from "../../sessions/cpu-session.js";
import { Random } from "../../runtime/random.js";
import { compileText } from "../helpers.js";

/** Smaller hyperparameters where the default model would make float64 finite differences slow. */
const OVERRIDES: Record<string, Record<string, string>> = {
  "gpt.dlg": { vocab: "23", d_model: "16", heads: "2", layers: "2", context: "6" },
  "mnist-mlp.dlg": { h1: "24", h2: "12" },
  "residual-mlp.dlg": { width: "16" },
};

function randomInputs(graph: Graph, rows: number, random: Random): Map<string, HostValue> {
  const values = new Map<string, HostValue>();
  const symbols = new Map<string, number>();
  for (const input of graph.inputs) {
    const shape = input.type.shape.map((d, i) => {
      const c = d.constValue();
      if (c !== undefined) return c;
      const name = d.toString();
      if (!symbols.has(name)) symbols.set(name, i === 0 ? rows : 3);
      return symbols.get(name)!;
    });
    const n = shape.reduce((a, b) => a * b, 1);
    if (input.type.dtype === "i32") {
      // Labels and token ids: below the smallest class/vocabulary count the model could use.
      const limit = graph.params.find((p) => p.name.endsWith(".table"))?.type.shape[0]?.constValue() ?? 3;
      values.set(input.name, { shape, data: Int32Array.from({ length: n }, () => random.nextInt(limit)) });
    } else values.set(input.name, { shape, data: Float64Array.from({ length: n }, () => random.nextFloat()) });
  }
  return values;
}

const examples = readdirSync("dsl-examples").filter((f) => f.endsWith(".dlg"));

describe("gradients of whole example models", () => {
  for (const file of examples) {
    it(`${file}: backward matches finite differences on sampled parameters`, () => {
      const result = compileText(readFileSync(`dsl-examples/${file}`, "utf8"), { overrides: OVERRIDES[file] ?? {} }, file);
      expect(result.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
      // Gradients are of the training graph (batch statistics), as `dlg grad` and a training step take them.
      const graph = buildBackward(result.check!.graph.training ?? result.check!.graph);
      expect(verifyGraph(graph)).toEqual([]);
      const random = new Random(2026);
      const values = randomInputs(graph, 2, random);
      for (const [name, t] of initialBuffers(graph)) values.set(name, { shape: t.shape, data: Float64Array.from(t.data) });
      for (const [name, t] of initialParams(graph, 4)) values.set(name, { shape: t.shape, data: Float64Array.from(t.data, (x) => x + 0.05 * random.normal()) });
      const analytic = interpret(graph, values, { precision: "f64", keep: graph.grads!.map((g) => g.node) });
      const lossAt = (v: Map<string, HostValue>) => interpret(graph, v, { precision: "f64", keep: [graph.loss!] }).get(graph.loss!)!.data[0]!;
      let checked = 0;
      for (const g of graph.grads!) {
        const base = values.get(g.name)!;
        const grad = analytic.get(g.node)!.data;
        for (let sample = 0; sample < 2; sample++) {
          const k = random.nextInt(base.data.length);
          const probe = (delta: number) => {
            const data = Float64Array.from(base.data);
            data[k]! += delta;
            return lossAt(new Map(values).set(g.name, { shape: base.shape, data }));
          };
          const h = 1e-6;
          const numeric = (probe(h) - probe(-h)) / (2 * h);
          expect(Math.abs(grad[k]! - numeric), `${g.name}[${k}]: analytic ${grad[k]} vs numeric ${numeric}`).toBeLessThan(1e-6 + 1e-4 * Math.abs(numeric));
          checked++;
        }
      }
      expect(checked).toBe(2 * graph.grads!.length);
    });
  }
});
