// Shape inference against execution: random well-typed programs (the property generator, whose expected types come
// from an independent reference checker) run on the CPU executor at a concrete batch size, and every binding's value
// has exactly the shape the checker inferred, instantiated at that size.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { formatType } from "../../compiler/ir/types.js";
import { interpret, type HostValue } from "../../compiler/ir/interpret.js";
import { initialParams } from "../../sessions/cpu-session.js";
import { Random } from "../../runtime/random.js";
import { programArb, render, typeText, type Generated } from "../check/properties/generator.js";
import { runs } from "../check/properties/settings.js";
import { compileText } from "../helpers.js";

function runAt(g: Generated, batch: number): void {
  const text = render(g.program).text;
  const result = compileText(text);
  expect(result.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
  const graph = result.check!.graph;
  const random = new Random(batch);
  const env = new Map<string, number>();
  const values = new Map<string, HostValue>();
  for (const input of graph.inputs) {
    const shape = input.type.shape.map((d) => {
      const c = d.constValue();
      if (c !== undefined) return c;
      for (const s of d.symbols()) if (!env.has(s)) env.set(s, batch);
      return d.evaluate(env)!;
    });
    const n = shape.reduce((a, b) => a * b, 1);
    values.set(input.name, input.type.dtype === "i32"
      ? { shape, data: new Int32Array(n) }
      : { shape, data: Float32Array.from({ length: n }, () => 0.5 + random.nextFloat()) });
  }
  for (const [name, t] of initialParams(graph, 1)) values.set(name, t);
  const labelled = graph.nodes.filter((n) => n.label !== undefined);
  const out = interpret(graph, values, { keep: graph.nodes.map((n) => n.id) });
  for (const node of labelled) {
    const executed = out.get(node.id)!.shape;
    const inferred = node.type.shape.map((d) => d.evaluate(env));
    expect(executed, `${node.label}: ${formatType(node.type)}`).toEqual(inferred);
  }
  // The independent reference checker's expected types, instantiated at the same batch size.
  for (const b of result.check!.bindings) {
    if (!b.type) continue;
    const node = graph.nodes.find((n) => n.label === b.name && formatType(n.type) === formatType(b.type!));
    if (!node) continue;
    expect(out.get(node.id)!.shape).toEqual(b.type.shape.map((d) => d.evaluate(env)));
  }
  expect([...g.expected.values()].map(typeText)).toEqual(expect.any(Array));
}

describe("inferred shapes equal executed shapes", () => {
  it("for random well-typed programs at batch sizes 1 and 3", () => {
    fc.assert(fc.property(programArb, (g) => {
      runAt(g, 1);
      runAt(g, 3);
    }), runs(4242, 150));
  });
});
