import { describe, expect, it } from "vitest";
import { verifyGraph } from "../../compiler/ir/verify.js";
import { bindingType, compileText } from "../helpers.js";

function model(body: string, extra = "", params = ""): string {
  return `${extra}\nmodel M(${params}) {\n${body}\n}\n`;
}

function codes(text: string): string[] {
  return compileText(text).diagnostics.map((d) => d.code);
}

describe("blocks", () => {
  const block = `block Up(x: f32[B, D], k: int = 2) -> f32[B, k * D] {
  return dense(x, k * D)
}`;

  it("bind signature dims at the call site and check the declared result type", () => {
    const r = compileText(model("  input x: f32[N, 6]\n  y = Up(x)\n  z = Up(y, k: 3)\n  output z", block));
    expect(r.diagnostics).toEqual([]);
    expect(bindingType(r, "y")).toBe("f32[N, 12]");
    expect(bindingType(r, "z")).toBe("f32[N, 36]");
    expect(r.check!.graph.params.map((p) => p.name)).toEqual(["y.out.weight", "y.out.bias", "z.out.weight", "z.out.bias"]);
    expect(verifyGraph(r.check!.graph)).toEqual([]);
  });

  it("solve a linear signature dim such as 4 * D for its unknown", () => {
    const r = compileText(model("  input x: f32[N, 32]\n  y = Down(x)\n  output y", "block Down(x: f32[B, 4 * D]) -> f32[B, D] {\n  return dense(x, D)\n}"));
    expect(r.diagnostics).toEqual([]);
    expect(bindingType(r, "y")).toBe("f32[N, 8]");
  });

  it("report an argument whose shape does not fit the signature, naming the dim", () => {
    const r = compileText(model("  input x: f32[N, 6, 2]\n  y = Up(x)\n  output y", block));
    expect(r.diagnostics.map((d) => d.message)).toEqual(["Up: argument `x` is f32[N, 6, 2], expected f32[B, D] (rank 2 vs 3)"]);
  });

  it("report a body whose result contradicts the declared return type", () => {
    const r = compileText(model("  input x: f32[N, 6]\n  y = Bad(x)\n  output y", "block Bad(x: f32[B, D]) -> f32[B, D] {\n  return dense(x, 3)\n}"));
    expect(r.diagnostics.map((d) => d.code)).toEqual(["E204"]);
    expect(r.diagnostics[0]!.message).toBe("block `Bad` returns f32[N, 3], but its signature says f32[B, D]");
  });

  it("detect recursion between blocks instead of unrolling forever", () => {
    const src = model("  input x: f32[N, 4]\n  y = A(x)\n  output y", "block A(x: f32[N, D]) -> f32[N, D] {\n  return B(x)\n}\nblock B(x: f32[N, D]) -> f32[N, D] {\n  return A(x)\n}");
    const r = compileText(src);
    expect(r.diagnostics.map((d) => d.code)).toEqual(["E108"]);
    expect(r.diagnostics[0]!.message).toBe("blocks call each other recursively: A -> B -> A");
  });

  it("cannot see the model's bindings (a block is self-contained)", () => {
    expect(codes(model("  input x: f32[N, 4]\n  w = 3\n  y = Leak(x)\n  output y", "block Leak(x: f32[N, D]) -> f32[N, D] {\n  return x * w\n}"))).toEqual(["E101"]);
  });
});

describe("repeat", () => {
  it("unrolls with fresh parameters per iteration, named by the index name and iteration", () => {
    const r = compileText(model("  input x: f32[N, 4]\n  repeat n as layers {\n    x = dense(x, 4) -> relu\n  }\n  output x", "", "n: int = 3"));
    expect(r.diagnostics).toEqual([]);
    expect(r.check!.graph.params.map((p) => p.name)).toEqual([
      "layers.0.x.weight", "layers.0.x.bias", "layers.1.x.weight", "layers.1.x.bias", "layers.2.x.weight", "layers.2.x.bias",
    ]);
  });

  it("carries a rebound name into the next iteration and out of the loop", () => {
    const r = compileText(model("  input x: f32[N, 2]\n  repeat 3 as i {\n    x = concat([x, x], axis: 1)\n  }\n  output x"));
    expect(bindingType(r, "x")).toBe("f32[N, 16]");
  });

  it("reports a mistake in its body once, not once per iteration", () => {
    expect(codes(model("  input x: f32[N, 2]\n  repeat 5 {\n    x = x @ x\n  }\n  output x"))).toEqual(["E201"]);
  });

  it("rejects a count that is not a compile-time int", () => {
    expect(codes(model("  input x: f32[N, 2]\n  repeat N {\n    x = relu(x)\n  }\n  output x"))).toEqual(["E123"]);
  });
});

describe("errors", () => {
  it("reports several independent mistakes in one run, and nothing for what depends on them", () => {
    const r = compileText(model("  input x: f32[N, 4]\n  a = x @ x\n  b = relu(a)\n  c = dense(b, 3)\n  d = undefined_thing + 1\n  e = relu(d)\n  output c, e"));
    expect(r.diagnostics.map((d) => d.code)).toEqual(["E201", "E101"]);
  });

  it("requires dims that divide exactly", () => {
    const r = compileText(model("  input x: f32[N, 10]\n  y = reshape(x, [N, 10 / 4, 4])\n  output y"));
    expect(r.diagnostics.map((d) => d.message)).toEqual(["10 is not divisible by 4"]);
  });

  it("keeps integer labels out of float ops", () => {
    expect(codes(model("  input y: i32[N]\n  z = relu(y)\n  output z"))).toEqual(["E211"]);
    expect(codes(model("  input y: f32[N]\n  e = embedding(y, 10, 4)\n  output e"))).toEqual(["E211"]);
  });

  it("refuses parameters whose size depends on an input dim", () => {
    expect(codes(model("  input x: f32[N, D]\n  y = dense(x, 4)\n  output y"))).toEqual(["E218"]);
  });

  it("suggests the closest name for a typo", () => {
    const r = compileText(model("  input image: f32[N, 4]\n  y = dense(imgae, 3)\n  output y"));
    expect(r.diagnostics[0]!.hint).toBe("did you mean `image`?");
    const r2 = compileText(model("  input x: f32[N, 4]\n  y = dens(x, 3)\n  output y"));
    expect(r2.diagnostics[0]!.hint).toBe("did you mean `dense`?");
  });
});

describe("layers", () => {
  it("computes conv2d and pooling output sizes for valid and same padding with strides", () => {
    const r = compileText(model(
      "  input x: f32[N, 28, 28, 1]\n  a = conv2d(x, 8, 5)\n  b = conv2d(x, 8, 3, stride: 2, padding: \"same\")\n  c = max_pool2d(a, 2)\n  d = avg_pool2d(a, 3, stride: 2)\n  output a, b, c, d",
    ));
    expect(r.diagnostics).toEqual([]);
    expect(bindingType(r, "a")).toBe("f32[N, 24, 24, 8]");
    expect(bindingType(r, "b")).toBe("f32[N, 14, 14, 8]");
    expect(bindingType(r, "c")).toBe("f32[N, 12, 12, 8]");
    expect(bindingType(r, "d")).toBe("f32[N, 11, 11, 8]");
    expect(r.check!.graph.params.find((p) => p.name === "a.weight")!.type.shape.map(String)).toEqual(["5", "5", "1", "8"]);
  });

  it("gives attention four projections with biases, 4*(D^2+D) parameters", () => {
    const r = compileText(model("  input x: f32[B, 16, 32]\n  y = attention(x, 4, causal: true)\n  output y"));
    expect(r.diagnostics).toEqual([]);
    expect(r.check!.graph.params.map((p) => p.name)).toEqual(["y.q.weight", "y.q.bias", "y.k.weight", "y.k.bias", "y.v.weight", "y.v.bias", "y.o.weight", "y.o.bias"]);
    const count = r.check!.graph.params.reduce((s, p) => s + p.type.shape.reduce((n, d) => n * d.constValue()!, 1), 0);
    expect(count).toBe(4 * (32 * 32 + 32));
    expect(bindingType(r, "y")).toBe("f32[B, 16, 32]");
    expect(verifyGraph(r.check!.graph)).toEqual([]);
  });

  it("rejects heads that do not divide the model dim", () => {
    const r = compileText(model("  input x: f32[B, 16, 30]\n  y = attention(x, 4)\n  output y"));
    expect(r.diagnostics.map((d) => d.message)).toEqual(["attention: 4 heads do not divide model dim 30"]);
  });

  it("broadcasts like NumPy and names the disagreeing dim otherwise", () => {
    const r = compileText(model("  input a: f32[N, 1, 5]\n  input b: f32[3, 1]\n  c = a + b\n  output c"));
    expect(bindingType(r, "c")).toBe("f32[N, 3, 5]");
    const bad = compileText(model("  input a: f32[N, 4]\n  input b: f32[3]\n  c = a * b\n  output c"));
    expect(bad.diagnostics.map((d) => `${d.message} | ${d.label}`)).toEqual(["mul: shapes do not broadcast (dim -1: 4 vs 3) | left is f32[N, 4], right is f32[3]"]);
  });

  it("reduces over axes with keepdims, and infers a reshape's -1 symbolically", () => {
    const r = compileText(model("  input x: f32[N, 4, 6]\n  s = sum(x, axis: [1, 2])\n  m = mean(x, axis: -1, keepdims: true)\n  r = reshape(x, [N, -1])\n  output s, m, r"));
    expect([bindingType(r, "s"), bindingType(r, "m"), bindingType(r, "r")]).toEqual(["f32[N]", "f32[N, 4, 1]", "f32[N, 24]"]);
  });
});
