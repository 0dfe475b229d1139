// Shape inference against execution: random well-typed programs (the property generator) run on the CPU executor at a
// concrete batch size, and every tensor a binding, input or parameter statement holds, each time it is evaluated (in
// blocks and repeat bodies too), has exactly the shape, element count and kind of dtype that the independent reference
// checker (tests/check/properties/reference.ts) gives it, instantiated at that size. The compiler's own types play no
// part in the expectation: inputs are made from the reference's types, and the checker only tells which IR node holds
// which statement's value.
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it, vi, type MockInstance } from "vitest";
import { IRBuilder } from "../../compiler/ir/builder.js";
import type { IRNode } from "../../compiler/ir/graph.js";
import { interpret, type HostValue } from "../../compiler/ir/interpret.js";
import { initialBuffers, initialParams } from "../../sessions/cpu-session.js";
import { Random } from "../../runtime/random.js";
import { programArb, render, typeText, type Generated, type GStmt, type Rendered, type TType } from "../check/properties/generator.js";
import { Reference, type Frame } from "../check/properties/reference.js";
import { runs } from "../check/properties/settings.js";
import { compileText } from "../helpers.js";

/** A statement that declares a name: a binding, an input or a parameter. */
type Declaring = Extract<GStmt, { k: "bind" | "input" | "param" }>;

/** The reference checker, recording every evaluation of a statement that holds a tensor, in evaluation order. */
class TracingReference extends Reference {
  readonly trace: { stmt: Declaring; type: TType }[] = [];

  override exec(s: GStmt, frame: Frame): ReturnType<Reference["exec"]> {
    const result = super.exec(s, frame);
    if (s.k === "bind" || s.k === "input" || s.k === "param") {
      const v = frame.scope.lookup(s.name);
      if (v?.k === "tensor") this.trace.push({ stmt: s, type: v.t });
    }
    return result;
  }
}

/** A reference dim c*N^p at N = batch. */
const shapeAt = (t: TType, batch: number): number[] => t.shape.map((d) => d.c * batch ** d.p);

let labelNode: MockInstance<IRBuilder["labelNode"]>;
beforeAll(() => {
  // The checker names the node a tensor binding holds through labelNode, once per evaluation of the binding, even when
  // the node already has a name (an alias such as `y = x`); the calls say which node holds which binding.
  labelNode = vi.spyOn(IRBuilder.prototype, "labelNode");
});
afterAll(() => labelNode.mockRestore());

/** Which IR node holds the value of each traced statement evaluation (same order as the trace). */
function nodesOfTrace(trace: readonly { stmt: Declaring }[], nodes: readonly IRNode[], r: Rendered, labels: readonly [number, string][]): number[] {
  const bindCount = trace.filter((e) => e.stmt.k === "bind").length;
  expect(labels.length, "tensor bindings the checker evaluated").toBe(bindCount);
  let nextLabel = 0;
  const seenBySpan = new Map<Declaring, number>();
  const lowered = (stmt: Declaring): IRNode[] => {
    const range = r.range.get(stmt)!;
    return nodes.filter((n) => n.op === stmt.k && n.span?.start === range.start && n.span.end === range.end);
  };
  const ids = trace.map(({ stmt }) => {
    if (stmt.k === "bind") {
      const [node, label] = labels[nextLabel++]!;
      // A binding's label is its qualified name (`repeat.1.h`), so the last part must be the statement's name.
      expect(label.split(".").pop(), `label ${label}`).toBe(stmt.name);
      return node;
    }
    // Inputs and parameters are lowered to one node per evaluation, carrying the statement's span; a parameter in a
    // block body has one per call, in evaluation order.
    const seen = seenBySpan.get(stmt) ?? 0;
    seenBySpan.set(stmt, seen + 1);
    const matches = lowered(stmt);
    expect(matches.length, `${stmt.k} ${stmt.name}`).toBeGreaterThan(seen);
    return matches[seen]!.id;
  });
  for (const [stmt, seen] of seenBySpan) expect(lowered(stmt).length, `${stmt.k} nodes`).toBe(seen);
  return ids;
}

function runAt(g: Generated, batch: number, mode: "eval" | "train"): void {
  const ref = new TracingReference(g.program);
  expect(ref.run().kind).toBe("ok");
  const r = render(g.program);
  labelNode.mockClear();
  const result = compileText(r.text);
  expect(result.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
  // A model with batch_norm is checked twice, in evaluation and in training mode: each graph has its own labels.
  const graph = mode === "train" ? result.check!.graph.training ?? result.check!.graph : result.check!.graph;
  const labels = labelNode.mock.calls.flatMap(([id, label], i) => ((labelNode.mock.contexts[i] as IRBuilder).graph === graph ? [[id, label] as [number, string]] : []));
  const nodes = nodesOfTrace(ref.trace, graph.nodes, r, labels);

  const random = new Random(batch);
  const values = new Map<string, HostValue>();
  for (const { stmt, type } of ref.trace) {
    if (stmt.k !== "input") continue;
    const shape = shapeAt(type, batch);
    const n = shape.reduce((a, b) => a * b, 1);
    values.set(stmt.name, type.dtype === "i32"
      ? { shape, data: new Int32Array(n) }
      : { shape, data: Float32Array.from({ length: n }, () => 0.5 + random.nextFloat()) });
  }
  for (const [name, t] of [...initialParams(graph, 1), ...initialBuffers(graph)]) values.set(name, t);
  const out = interpret(graph, values, { keep: nodes, training: mode === "train", random: () => random.nextFloat() });

  const compared = new Map<GStmt, TType>();
  ref.trace.forEach(({ stmt, type }, i) => {
    const value = out.get(nodes[i]!)!;
    const what = `${stmt.k} ${stmt.name}: ${typeText(type)} at N=${batch}`;
    const shape = shapeAt(type, batch);
    expect(value.shape, what).toEqual(shape);
    expect(value.data.length, what).toBe(shape.reduce((a, b) => a * b, 1));
    expect(value.data instanceof Int32Array, what).toBe(type.dtype === "i32");
    if (g.expected.has(stmt)) compared.set(stmt, type);
  });
  // Every model-level statement the generator expects a type for was compared, the last evaluation (a repeat body's
  // last iteration) with exactly that type.
  expect(compared.size).toBe(g.expected.size);
  for (const [stmt, type] of g.expected) expect(typeText(compared.get(stmt)!)).toBe(typeText(type));
}

describe("inferred shapes equal executed shapes", () => {
  it("every binding, input and parameter of random well-typed programs has the reference's shape at batch sizes 1 and 3, in evaluation and training mode", () => {
    fc.assert(fc.property(programArb, (g) => {
      runAt(g, 1, "eval");
      runAt(g, 3, "eval");
      runAt(g, 3, "train");
    }), runs(4242, 150));
  });
});
