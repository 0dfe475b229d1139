import { describe, expect, it } from "vitest";
import { bindingType, compileText } from "../helpers.js";

const mlp = `
model M(hidden: int = 128) {
  input image: f32[N, 28, 28]
  input label: i32[N]
  x = flatten(image)
  h = dense(x, hidden) -> relu
  logits: f32[N, 10] = dense(h, 10)
  output logits
  loss = cross_entropy(logits, label)
  train loss with adam(lr: 1e-3)
}
`;

describe("the shape checker on a small MLP", () => {
  it("infers every binding's shape with the symbolic batch dim", () => {
    const r = compileText(mlp);
    expect(r.diagnostics).toEqual([]);
    expect(bindingType(r, "x")).toBe("f32[N, 784]");
    expect(bindingType(r, "h")).toBe("f32[N, 128]");
    expect(bindingType(r, "logits")).toBe("f32[N, 10]");
    expect(bindingType(r, "loss")).toBe("f32[]");
  });

  it("names and counts parameters like PyTorch", () => {
    const r = compileText(mlp);
    expect(r.check!.graph.params.map((p) => p.name)).toEqual(["h.weight", "h.bias", "logits.weight", "logits.bias"]);
    const count = r.check!.graph.params.reduce((s, p) => s + p.type.shape.reduce((n, d) => n * d.constValue()!, 1), 0);
    expect(count).toBe(784 * 128 + 128 + 128 * 10 + 10);
  });

  it("applies hyperparameter overrides", () => {
    const r = compileText(mlp, { overrides: { hidden: "64" } });
    expect(bindingType(r, "h")).toBe("f32[N, 64]");
  });
});
