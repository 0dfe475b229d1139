// The example models in dsl-examples/: each checks clean, has the expected output and loss types, and exactly the
// parameter count given by a hand-written formula (the conventions of LANGUAGE.md, "Parameter counts").
import { ROOT } from "../helpers.js";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { CompileResult } from "../../compiler/index.js";
import { verifyGraph } from "../../compiler/ir/verify.js";
import { formatType } from "../../compiler/ir/types.js";
import { bindingType, compileText, runCli } from "../helpers.js";

const dir = join(ROOT, "dsl-examples");

function compileExample(file: string, overrides: Record<string, string> = {}): CompileResult {
  return compileText(readFileSync(join(dir, file), "utf8"), { overrides }, `dsl-examples/${file}`);
}

function graphOf(r: CompileResult) {
  expect(r.diagnostics).toEqual([]);
  expect(r.ok).toBe(true);
  return r.check!.graph;
}

function paramCount(r: CompileResult): number {
  return graphOf(r).params.reduce((sum, p) => sum + p.type.shape.reduce((n, d) => n * d.constValue()!, 1), 0);
}

function paramNames(r: CompileResult): string[] {
  return graphOf(r).params.map((p) => p.name);
}

function paramShape(r: CompileResult, name: string): string | undefined {
  const p = graphOf(r).params.find((q) => q.name === name);
  return p && formatType(p.type);
}

function outputType(r: CompileResult, name: string): string | undefined {
  const o = graphOf(r).outputs.find((q) => q.name === name);
  return o && formatType(o.type);
}

function lossType(r: CompileResult): string | undefined {
  const g = graphOf(r);
  return g.loss === undefined ? undefined : formatType(g.nodes[g.loss]!.type);
}

const dense = (inputs: number, units: number) => inputs * units + units;
const conv2d = (kernel: number, channels: number, filters: number) => kernel * kernel * channels * filters + filters;
const layerNorm = (d: number) => 2 * d;
const attention = (d: number) => 4 * (d * d + d);

describe("dsl-examples/mnist-mlp.dlg", () => {
  const file = "mnist-mlp.dlg";

  it("checks clean, with logits f32[N, 10] and a scalar loss", () => {
    const r = compileExample(file);
    expect(outputType(r, "logits")).toBe("f32[N, 10]");
    expect(lossType(r)).toBe("f32[]");
    expect(graphOf(r).optimizer?.name).toBe("adam");
    expect(verifyGraph(graphOf(r))).toEqual([]);
  });

  it("has 784*h1 + h1 + h1*h2 + h2 + h2*10 + 10 parameters", () => {
    const [h1, h2] = [512, 256];
    expect(paramCount(compileExample(file))).toBe(784 * h1 + h1 + h1 * h2 + h2 + h2 * 10 + 10);
    expect(paramCount(compileExample(file))).toBe(535_818);
    // The formula follows the hyperparameters.
    expect(paramCount(compileExample(file, { h1: "64", h2: "32" }))).toBe(784 * 64 + 64 + 64 * 32 + 32 + 32 * 10 + 10);
  });

  it("names parameters after the bindings", () => {
    expect(paramNames(compileExample(file))).toEqual(["hidden1.weight", "hidden1.bias", "hidden2.weight", "hidden2.bias", "logits.weight", "logits.bias"]);
  });
});

describe("dsl-examples/lenet.dlg", () => {
  const file = "lenet.dlg";

  it("checks clean, with the LeNet feature-map shapes", () => {
    const r = compileExample(file);
    const types = Object.fromEntries(r.check!.bindings.map((b) => [b.name, b.description]));
    expect(types).toMatchObject({
      x: "f32[N, 28, 28, 1]",
      conv1: "f32[N, 28, 28, 16]",
      pool1: "f32[N, 14, 14, 16]",
      conv2: "f32[N, 10, 10, 32]",
      pool2: "f32[N, 5, 5, 32]",
      features: "f32[N, 800]",
    });
    expect(outputType(r, "logits")).toBe("f32[N, 10]");
    expect(lossType(r)).toBe("f32[]");
    expect(verifyGraph(graphOf(r))).toEqual([]);
  });

  it("has conv 5*5*1*16+16, 5*5*16*32+32 and dense 800-128-84-10 parameters", () => {
    const expected = 5 * 5 * 1 * 16 + 16 + (5 * 5 * 16 * 32 + 32) + (800 * 128 + 128) + (128 * 84 + 84) + (84 * 10 + 10);
    expect(expected).toBe(conv2d(5, 1, 16) + conv2d(5, 16, 32) + dense(800, 128) + dense(128, 84) + dense(84, 10));
    expect(paramCount(compileExample(file))).toBe(expected);
    expect(expected).toBe(127_462);
    // The 1998 sizes, by hyperparameter: 61,706.
    expect(paramCount(compileExample(file, { c1: "6", c2: "16", f1: "120" }))).toBe(61_706);
  });

  it("uses the conv2d kernel layout [k, k, in, filters]", () => {
    const r = compileExample(file);
    expect(paramShape(r, "conv1.weight")).toBe("f32[5, 5, 1, 16]");
    expect(paramShape(r, "conv2.weight")).toBe("f32[5, 5, 16, 32]");
    expect(paramShape(r, "conv2.bias")).toBe("f32[32]");
    expect(paramShape(r, "fc1.weight")).toBe("f32[800, 128]");
  });
});

describe("dsl-examples/residual-mlp.dlg", () => {
  const file = "residual-mlp.dlg";

  it("checks clean, with logits f32[N, 10] and a scalar loss", () => {
    const r = compileExample(file);
    expect(outputType(r, "logits")).toBe("f32[N, 10]");
    expect(lossType(r)).toBe("f32[]");
    expect(verifyGraph(graphOf(r))).toEqual([]);
  });

  it("has stem + depth * (layer_norm + expand + project) + layer_norm + head parameters", () => {
    const count = (w: number, expand: number, depth: number) => {
      const h = expand * w;
      return 784 * w + w + depth * (2 * w + (w * h + h) + (h * w + w)) + 2 * w + (w * 10 + 10);
    };
    expect(paramCount(compileExample(file))).toBe(count(128, 2, 4));
    expect(count(128, 2, 4)).toBe(366_730);
    expect(paramCount(compileExample(file, { width: "64", expand: "4", depth: "2" }))).toBe(count(64, 4, 2));
    expect(paramCount(compileExample(file, { depth: "0" }))).toBe(count(128, 2, 0));
  });

  it("gives every block iteration its own path-named parameters", () => {
    const names = paramNames(compileExample(file));
    expect(names.slice(0, 2)).toEqual(["h.weight", "h.bias"]);
    expect(names.slice(2, 8)).toEqual([
      "blocks.0.h.norm.gain",
      "blocks.0.h.norm.bias",
      "blocks.0.h.up.weight",
      "blocks.0.h.up.bias",
      "blocks.0.h.down.weight",
      "blocks.0.h.down.bias",
    ]);
    expect(names).toContain("blocks.3.h.down.bias");
    expect(names).not.toContain("blocks.4.h.down.bias");
    expect(names.slice(-4)).toEqual(["final.gain", "final.bias", "logits.weight", "logits.bias"]);
    expect(new Set(names).size).toBe(names.length);
  });
});

describe("dsl-examples/gpt.dlg", () => {
  const file = "gpt.dlg";

  it("checks clean, with logits f32[B, 64, vocab] and a scalar loss", () => {
    const r = compileExample(file);
    expect(formatType(graphOf(r).inputs.find((i) => i.name === "tokens")!.type)).toBe("i32[B, 64]");
    expect(outputType(r, "logits")).toBe("f32[B, 64, 512]");
    expect(lossType(r)).toBe("f32[]");
    expect(graphOf(r).optimizer).toMatchObject({ name: "adam", args: { lr: 3e-4, beta1: 0.9, beta2: 0.999, eps: 1e-8, weight_decay: 0.1, lr_decay: 1 } });
    expect(verifyGraph(graphOf(r))).toEqual([]);
  });

  it("has V*D + T*D + L*(block) + 2D + D*V+V parameters", () => {
    const count = (v: number, d: number, t: number, l: number) => {
      const h = 4 * d;
      const block = 2 * d + 4 * (d * d + d) + 2 * d + (d * h + h) + (h * d + d);
      return v * d + t * d + l * block + 2 * d + (d * v + v);
    };
    expect(paramCount(compileExample(file))).toBe(count(512, 128, 64, 4));
    expect(count(512, 128, 64, 4)).toBe(933_120);
    // The same count from the per-layer helpers, to cross-check the formula.
    const [v, d, t, l] = [512, 128, 64, 4];
    expect(count(v, d, t, l)).toBe(v * d + t * d + l * (layerNorm(d) + attention(d) + layerNorm(d) + dense(d, 4 * d) + dense(4 * d, d)) + layerNorm(d) + dense(d, v));
    expect(paramCount(compileExample(file, { vocab: "1000", d_model: "96", heads: "6", layers: "2", context: "32" }))).toBe(count(1000, 96, 32, 2));
  });

  it("names the parameters by block path and binding", () => {
    const r = compileExample(file);
    const names = paramNames(r);
    expect(names.slice(0, 4)).toEqual(["pos", "tok.table", "blocks.0.x.ln1.gain", "blocks.0.x.ln1.bias"]);
    expect(names).toContain("blocks.0.x.attn.q.weight");
    expect(names).toContain("blocks.3.x.attn.o.bias");
    expect(names).toContain("blocks.3.x.proj.weight");
    expect(names.filter((n) => n.startsWith("blocks.2.")).length).toBe(16);
    expect(names.slice(-4)).toEqual(["final.gain", "final.bias", "logits.weight", "logits.bias"]);
    expect(paramShape(r, "pos")).toBe("f32[64, 128]");
    expect(paramShape(r, "tok.table")).toBe("f32[512, 128]");
    expect(paramShape(r, "blocks.1.x.attn.k.weight")).toBe("f32[128, 128]");
    expect(paramShape(r, "blocks.1.x.fc.weight")).toBe("f32[128, 512]");
    expect(graphOf(r).params.find((p) => p.name === "pos")).toMatchObject({ init: "normal" });
  });

  it("rejects a heads override that does not divide d_model", () => {
    const r = compileExample(file, { heads: "5" });
    expect(r.ok).toBe(false);
    expect(r.diagnostics.map((d) => d.code)).toEqual(["E213"]);
  });
});

describe("dlg check on the examples", () => {
  for (const file of ["mnist-mlp.dlg", "lenet.dlg", "residual-mlp.dlg", "gpt.dlg"]) {
    it(`${file}: exit 0, no diagnostics, the JSON count matches the graph`, async () => {
      const { code, stdout, stderr } = await runCli(["check", join(dir, file), "--json"]);
      expect(code).toBe(0);
      expect(stderr).toBe("");
      const json = JSON.parse(stdout) as { ok: boolean; diagnostics: unknown[]; paramCount: number };
      expect(json.ok).toBe(true);
      expect(json.diagnostics).toEqual([]);
      expect(json.paramCount).toBe(paramCount(compileExample(file)));
    });
  }
});

describe("iris-mlp.dlg", () => {
  it("has 4*h + h + h*3 + 3 parameters and checks clean", () => {
    const r = compileExample("iris-mlp.dlg");
    expect(r.diagnostics).toEqual([]);
    expect(paramCount(r)).toBe(4 * 16 + 16 + 16 * 3 + 3);
  });
});

describe("the examples' formatting", () => {
  it("is canonical: dlg fmt leaves every example unchanged", async () => {
    const examples = readdirSync(dir).filter((f) => f.endsWith(".dlg"));
    expect(examples.length).toBeGreaterThanOrEqual(10);
    for (const file of examples) {
      const r = await runCli(["fmt", join("dsl-examples", file), "--check"]);
      expect(r.stderr, file).toBe("");
      expect(r.code, file).toBe(0);
    }
  });
});

describe("the sequence and normalization examples", () => {
  it("seq-mnist-lstm.dlg: PyTorch's LSTM parameter count, names and shapes", () => {
    const r = compileExample("seq-mnist-lstm.dlg");
    expect(r.diagnostics).toEqual([]);
    const params = r.check!.graph.params.map((p) => `${p.name} ${formatType(p.type)}`);
    expect(params).toEqual(["h.weight_ih f32[28, 512]", "h.weight_hh f32[128, 512]", "h.bias_ih f32[512]", "h.bias_hh f32[512]", "logits.weight f32[128, 10]", "logits.bias f32[10]"]);
    // torch.nn.LSTM(28, 128): 4*128*(28+128) + 2*4*128 = 80,896
    expect(r.check!.graph.params.slice(0, 4).reduce((n, p) => n + p.type.shape.reduce((a, d) => a * d.constValue()!, 1), 0)).toBe(80_896);
  });

  it("lenet-bn.dlg: running statistics for every batch_norm, a training graph beside the evaluation one", () => {
    const r = compileExample("lenet-bn.dlg");
    expect(r.diagnostics).toEqual([]);
    const graph = r.check!.graph;
    expect(graph.mode).toBe("eval");
    expect(graph.training?.mode).toBe("train");
    expect(graph.buffers!.map((b) => b.name)).toEqual(["conv1_bn", "conv2_bn", "fc1_bn", "fc2_bn"].flatMap((l) => [`${l}.running_mean`, `${l}.running_var`, `${l}.num_batches_tracked`]));
    expect(graph.buffers!.every((b) => b.update === undefined)).toBe(true);
    expect(graph.training!.buffers!.every((b) => b.update !== undefined)).toBe(true);
    expect(graph.training!.params.map((p) => p.name)).toEqual(graph.params.map((p) => p.name));
  });

  it("forecast.dlg and char-gpt.dlg check clean", () => {
    expect(compileExample("forecast.dlg").diagnostics).toEqual([]);
    expect(bindingType(compileExample("char-gpt.dlg"), "logits")).toBe("f32[B, 64, 256]");
  });
});
