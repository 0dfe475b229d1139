// Op names and attributes are checked by the compiler. Every `@ts-expect-error` below makes `tsc -p
// tsconfig.tests.json` fail if the line under it ever type-checks; the runtime tests cover what types cannot: a name
// that reaches the registry without being declared, and attributes arriving on the node as written.
import { describe, expect, it } from "vitest";
import "../../compiler/ops/index.js";
import { IRBuilder } from "../../compiler/ir/builder.js";
import type { GradContext } from "../../compiler/ir/define-op.js";
import { Dim } from "../../compiler/ir/dims.js";
import type { IRNode } from "../../compiler/ir/graph.js";
import { getOp, type OpName } from "../../compiler/ir/registry.js";
import type { TensorValue } from "../../compiler/ir/value.js";
import type { LayerContext } from "../../compiler/2-check/lower-to-ir.js";
import { opDef } from "../../compiler/ops/index.js";

/** Compiled, never run: each call site the type checker must refuse. */
function refusedAtCompileTime(b: IRBuilder, x: TensorValue, layer: LayerContext, grad: GradContext): void {
  // @ts-expect-error: no op is named "matmull"
  b.op("matmull", [x, x]);
  // @ts-expect-error: reshape's attribute is `shape`
  b.op("reshape", [x], { shap: [Dim.const(8)] });
  // @ts-expect-error: reshape cannot go without its target shape
  b.op("reshape", [x]);
  // @ts-expect-error: add takes no attributes
  b.op("add", [x, x], { axis: 0 });
  // @ts-expect-error: a permutation is numbers, not dims
  b.op("transpose", [x], { perm: [Dim.const(1), Dim.const(0)] });
  // @ts-expect-error: a span goes after the attributes, never in their place
  b.op("add", [x, x], { start: 0, end: 0 });
  // @ts-expect-error: a node's op is a declared name
  const op: IRNode["op"] = "matmull";
  // @ts-expect-error: the code generator's table is keyed by declared names
  opDef("matmull");
  // @ts-expect-error: layers build ops by declared names
  layer.op("reduce_summ", [x], { axes: [0], keepdims: true });
  // @ts-expect-error: reduce_sum needs `keepdims`
  layer.op("reduce_sum", [x], { axes: [0] });
  // @ts-expect-error: leaky_relu needs its slope
  grad.op("leaky_relu", [grad.grad]);
  // @ts-expect-error: a cast's dtype is one of the IR's dtypes
  grad.op("cast", [grad.grad], { dtype: "f64" });
  void op;
}

const span = { start: 0, end: 0 };

function twoMatrices() {
  const b = new IRBuilder();
  const x = b.input("x", { dtype: "f32", shape: [Dim.const(2), Dim.const(3)] }, span);
  const w = b.input("w", { dtype: "f32", shape: [Dim.const(3), Dim.const(4)] }, span);
  return { b, x, w };
}

describe("op names and attributes at the call site", () => {
  it("puts the attributes, span and label of a typed call on its node", () => {
    const { b, x, w } = twoMatrices();
    const y = b.op("matmul", [x, w]);
    const flat = b.op("reshape", [y], { shape: [Dim.const(8)] }, span, "flat");
    b.op("add", [flat, b.constant(1)], {}, span);
    expect(b.graph.nodes.map((n) => n.op)).toEqual(["input", "input", "matmul", "reshape", "constant", "add"]);
    expect(b.graph.nodes[2]!.attrs).toEqual({});
    expect(b.graph.nodes[3]).toMatchObject({ attrs: { shape: [Dim.const(8)] }, span, label: "flat" });
    expect(b.graph.nodes[5]).toMatchObject({ attrs: {}, span });
  });

  it("still names an op that reaches the registry without being declared", () => {
    const misspelled = "matmull" as OpName;
    expect(() => getOp(misspelled)).toThrow("internal: no primitive op named matmull");
    expect(() => opDef(misspelled)).toThrow("internal: no primitive op named matmull");
    const { b, x, w } = twoMatrices();
    expect(() => b.op(misspelled, [x, w])).toThrow("no primitive op named matmull");
  });
});
