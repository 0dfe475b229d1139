// `dlg compile` artifacts: a directory the runtime trains and runs without the compiler, exactly as the in-process
// GPU session does from the same seed; a runtime whose import closure holds no compiler module and, outside the Node
// helpers, no Node-only module (so a web page can ship it).
import { ROOT } from "../helpers.js";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, relative, resolve } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { compile, compileModel } from "../../compiler/index.js";
import { DEFAULT_LIMITS } from "../../compiler/wgsl/limits.js";
import { CompiledModel } from "../../runtime/compiled-model.js";
import { ExecutionError } from "../../runtime/errors.js";
import type { GpuContext } from "../../runtime/device.js";
import { GpuSession } from "../../sessions/gpu-session.js";
import { ManifestError } from "../../runtime/manifest.js";
import { readCompiledModel } from "../../runtime/node/compiled-dir.js";
import { Random } from "../../runtime/random.js";
import { hostTensor, type HostTensor } from "../../runtime/tensor.js";
import { adapterTest, expectClose, openTestGpu } from "./gpu-helpers.js";
import { escapeRegExp, expectRejects, runCli } from "../helpers.js";

const root = ROOT;
const work = mkdtempSync(join(tmpdir(), "dlg-compiled-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** Every project module `entry` imports, directly or not (static and dynamic imports of relative paths). */
function importClosure(entry: string): Set<string> {
  const seen = new Set<string>();
  const visit = (file: string) => {
    if (seen.has(file)) return;
    seen.add(file);
    const text = readFileSync(file, "utf8");
    for (const m of text.matchAll(/(?:from|import)\s*\(?\s*"(\.{1,2}\/[^"]+)"/g)) visit(resolve(dirname(file), m[1]!.replace(/\.js$/, ".ts")));
  };
  visit(resolve(root, entry));
  return new Set([...seen].map((f) => relative(root, f)));
}

function nodeImports(file: string): string[] {
  const text = readFileSync(resolve(root, file), "utf8");
  return [...text.matchAll(/(?:from|import)\s*\(?\s*"((?:node:)?(?:fs|path|os|url|worker_threads|child_process|crypto|util)(?:\/[^"]*)?)"/g)].map((m) => m[1]!);
}

describe("the compiled-model runtime", () => {
  it("imports no compiler module, and no Node module outside runtime/node", () => {
    const closure = importClosure("runtime/node/compiled-dir.ts");
    expect(closure.has("runtime/compiled-model.ts")).toBe(true);
    expect(closure.has("runtime/gpu-program.ts")).toBe(true);
    expect([...closure].filter((f) => !f.startsWith("runtime/"))).toEqual([]);
    const browser = importClosure("runtime/compiled-model.ts");
    expect([...browser].filter((f) => f.startsWith("runtime/node/"))).toEqual([]);
    expect([...browser].flatMap((f) => nodeImports(f).map((m) => `${f}: ${m}`))).toEqual([]);
  });
});

describe("dlg compile", () => {
  it("writes deduplicated WGSL files and a manifest, and reports kernels, dispatches and peak memory", async () => {
    const out = join(work, "mnist");
    const r = await runCli(["compile", "dsl-examples/mnist-mlp.dlg", "--batch", "32", "-o", out]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^compiled MnistMLP for any batch of 1 to 32 into /);
    expect(r.stdout).toMatch(/forward: \d+ kernels, \d+ dispatches per run, peak memory [\d.]+ MiB \([\d.]+ MiB without buffer sharing\)/);
    expect(r.stdout).toMatch(/training step: \d+ kernels, \d+ dispatches per step/);
    const manifest = JSON.parse(readFileSync(join(out, "manifest.json"), "utf8"));
    const files = readdirSync(join(out, "kernels"));
    const named = new Set<string>();
    for (const p of [manifest.programs.forward, manifest.programs.train]) for (const k of p.kernels) {
      expect(k.wgsl).toBeUndefined();
      named.add(k.file);
    }
    expect([...named].sort()).toEqual(files.map((f) => `kernels/${f}`).sort());
    const texts = files.map((f) => readFileSync(join(out, "kernels", f), "utf8"));
    expect(new Set(texts).size).toBe(texts.length);
    expect(manifest.inputs).toEqual([{ name: "image", dtype: "f32", shape: [32, 28, 28] }, { name: "label", dtype: "i32", shape: [32] }]);

    const json = await runCli(["compile", "dsl-examples/mnist-mlp.dlg", "--batch", "32", "-o", out, "--json"]);
    const report = JSON.parse(json.stdout);
    expect(report.train.dispatches).toBe(manifest.programs.train.kernels.length);
    expect(report.train.peakBytes).toBeLessThan(report.train.unplannedBytes);
    expect(report.wgslFiles).toBe(files.length);
  });

  it("refuses bad usage with one line", async () => {
    expect(await runCli(["compile", "dsl-examples/iris-mlp.dlg", "-o", join(work, "x")])).toMatchObject({ code: 2, stderr: "dlg: compile: missing --batch N (the largest batch the programs run)\n" });
    expect(await runCli(["compile", "dsl-examples/iris-mlp.dlg", "--batch", "8"])).toMatchObject({ code: 2, stderr: "dlg: compile: missing -o DIR\n" });
    expect(await runCli(["compile", "dsl-examples/iris-mlp.dlg", "--batch", "0", "-o", join(work, "x")])).toMatchObject({ code: 2 });
    expect(await runCli(["compile", "dsl-examples/iris-mlp.dlg", "--batch", "8", "-o", join(work, "x"), "--web", join(work, "y")]))
      .toMatchObject({ code: 2, stderr: "dlg: compile: give -o DIR or --web DIR (the artifacts and a page), not both\n" });
    expect(await runCli(["compile", "dsl-examples/iris-mlp.dlg", "--batch", "8", "-o", join(work, "x"), "--seed", "3"]))
      .toMatchObject({ code: 2, stderr: "dlg: compile: --seed is for the page of --web DIR\n" });
  });

  it("binds other symbolic dims with --dim, and records which dims are fixed and which vary", async () => {
    const file = join(work, "seq.dlg");
    writeFileSync(file, "model Seq {\n  input tokens: i32[B, T]\n  input targets: i32[B, T]\n  logits = dense(embedding(tokens, 16, 8), 16)\n  output logits\n  train cross_entropy(logits, targets) with sgd(lr: 0.1)\n}\n");
    const unbound = await runCli(["compile", file, "--batch", "4", "-o", join(work, "seq-x")]);
    expect(unbound.code).toBe(1);
    expect(unbound.stderr).toMatch(/dim T does not follow from the batch size/);
    const out = join(work, "seq");
    const r = await runCli(["compile", file, "--batch", "4", "--dim", "T=12", "-o", out]);
    expect(r.stderr).toBe("");
    expect(r.stdout).toMatch(/^compiled Seq for any batch of 1 to 4, T=12 into /);
    const manifest = JSON.parse(readFileSync(join(out, "manifest.json"), "utf8"));
    expect(manifest.dims).toEqual({ fixed: { T: 12 }, varying: { B: { max: 4 } } });
    expect(manifest.inputs).toEqual([{ name: "tokens", dtype: "i32", shape: [4, 12] }, { name: "targets", dtype: "i32", shape: [4, 12] }]);
    expect(manifest.rows.outputs).toEqual({ logits: 1 });
    const fixed = await runCli(["compile", file, "--batch", "4", "--dim", "T=12", "--fixed-batch", "-o", join(work, "seq-fixed"), "--json"]);
    expect(JSON.parse(fixed.stdout).dims).toEqual({ fixed: { T: 12 }, varying: {}, fixedBatch: "asked for a fixed batch" });
  });

  it("--web adds the page and the checked weights, and a later compile replaces them", async () => {
    const out = join(work, "iris-web");
    const weights = join(work, "iris-init.safetensors");
    expect((await runCli(["init", "dsl-examples/iris-mlp.dlg", "-o", weights])).code).toBe(0);
    const first = await runCli(["compile", "dsl-examples/iris-mlp.dlg", "--batch", "8", "--web", out, "--weights", weights, "--seed", "4"]);
    expect(first.stderr).toBe("");
    expect(readdirSync(out).sort()).toEqual(["dlg-page.js", "index.html", "kernels", "manifest.json", "weights.safetensors"]);
    const manifest = JSON.parse(readFileSync(join(out, "manifest.json"), "utf8"));
    expect(manifest.page).toEqual({ files: ["index.html", "dlg-page.js", "weights.safetensors"], seed: 4, weights: "weights.safetensors" });
    expect(manifest.classifier).toEqual({ output: "logits", labels: "label" });
    expect((await readCompiledModel(out)).page?.seed).toBe(4);
    // The page's files belong to the compile: compiling again (without weights) replaces them.
    expect((await runCli(["compile", "dsl-examples/iris-mlp.dlg", "--batch", "8", "--web", out])).code).toBe(0);
    expect(readdirSync(out).sort()).toEqual(["dlg-page.js", "index.html", "kernels", "manifest.json"]);
    // A checkpoint of another model is refused before anything is written.
    const mnist = join(work, "mnist-init.safetensors");
    expect((await runCli(["init", "dsl-examples/mnist-mlp.dlg", "-o", mnist])).code).toBe(0);
    const refused = await runCli(["compile", "dsl-examples/iris-mlp.dlg", "--batch", "8", "--web", join(work, "other"), "--weights", mnist]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(new RegExp(`^dlg: ${escapeRegExp(mnist)} does not fit this model: missing tensor \`hidden\.weight\``));
    expect(readdirSync(work)).not.toContain("other");
  });

  it("names what is wrong with a damaged directory", async () => {
    const out = join(work, "damaged");
    expect((await runCli(["compile", "dsl-examples/iris-mlp.dlg", "--batch", "4", "-o", out])).code).toBe(0);
    await expectRejects(readCompiledModel(join(work, "nowhere")), ManifestError,
      `cannot read ${join(work, "nowhere", "manifest.json")}: no such file (is this a dlg compile directory?)`);
    const path = join(out, "manifest.json");
    const manifest = JSON.parse(readFileSync(path, "utf8"));
    const file: string = manifest.programs.forward.kernels[0].file;
    expect(file).toMatch(/^kernels\/.*\.wgsl$/);
    rmSync(join(out, file));
    await expectRejects(readCompiledModel(out), ManifestError, `${path}: programs.forward.kernels[0]: cannot read ${file}: no such file`);
    writeFileSync(path, JSON.stringify({ ...manifest, version: 7 }));
    await expectRejects(readCompiledModel(out), ManifestError, `${path}: has version 7; this runtime reads version 1`);
    writeFileSync(path, "{");
    // The rest is JSON.parse's own wording, which differs between Node versions.
    await expectRejects(readCompiledModel(out), ManifestError, new RegExp(`^${escapeRegExp(path)} is not valid JSON: `));
  });
});

const gpu = await openTestGpu();
// The compiled programs run any batch up to their size: batch_norm's means are a masked sum over the real rows divided
// by their count, where the session's exact-size kernels multiply by 1/count; the two round differently in the last bit.
const ROUNDING = { atol: 0, rtol: 1e-6 };

function batchOf(rows: number, random: Random): Record<string, HostTensor> {
  return {
    features: hostTensor("f32", [rows, 4], Float32Array.from({ length: rows * 4 }, () => random.nextFloat() * 6)),
    label: hostTensor("i32", [rows], Int32Array.from({ length: rows }, () => random.nextInt(3))),
  };
}

describe("a compiled model on the device", () => {
  adapterTest(gpu, "compiled-model");

  it.skipIf(!gpu.ctx)("runs batches of 1, 7 and 64 from one compile, as programs compiled for each size do", async () => {
    const graph = compile(readFileSync(join(root, "dsl-examples/mnist-mlp.dlg"), "utf8"), "mnist-mlp.dlg").check!.graph;
    const any = compileModel(graph, "MnistMLP", { batch: 64 });
    expect(any.rows?.max).toBe(64);
    expect(any.dims).toEqual({ fixed: {}, varying: { N: { max: 64 } } });
    const random = new Random(21);
    const batchOf = (rows: number) => ({
      image: hostTensor("f32", [rows, 28, 28], Float32Array.from({ length: rows * 784 }, () => random.nextFloat())),
      label: hostTensor("i32", [rows], Int32Array.from({ length: rows }, () => random.nextInt(10))),
    });
    for (const rows of [1, 7, 64]) {
      const exact = compileModel(graph, "MnistMLP", { batch: rows, varyBatch: false });
      expect(exact.rows).toBeUndefined();
      const shared = new CompiledModel(any, { gpu: gpu.ctx!, seed: 8, readEvery: 2 });
      const own = new CompiledModel(exact, { gpu: gpu.ctx!, seed: 8, readEvery: 2 });
      try {
        const test = batchOf(rows);
        const [a, b] = [await shared.run(test), await own.run(test)];
        expect(a.get("logits")!.shape).toEqual([rows, 10]);
        expectClose(a.get("logits")!.data, b.get("logits")!.data, { atol: 1e-5, rtol: 1e-5 }, `logits at batch ${rows}`);
        expectClose([a.get("loss")!.data[0]!], [b.get("loss")!.data[0]!], { atol: 0, rtol: 1e-6 }, `loss at batch ${rows}`);
        // Training steps, dropout included: the same masks are drawn for the real rows, so the same updates follow.
        const steps = Array.from({ length: 3 }, () => batchOf(rows));
        const la = await Promise.all(steps.map((x) => shared.trainStep(x)));
        const lb = await Promise.all(steps.map((x) => own.trainStep(x)));
        expectClose(la, lb, { atol: 0, rtol: 1e-5 }, `training losses at batch ${rows}`);
        const [pa, pb] = [await shared.params.toMap(), await own.params.toMap()];
        for (const [name, t] of pb) expectClose(pa.get(name)!.data, t.data, { atol: 1e-5, rtol: 1e-4 }, `${name} after 3 steps at batch ${rows}`);
      } finally {
        await Promise.all([shared.destroy(), own.destroy()]);
      }
    }
    const model = new CompiledModel(any, { gpu: gpu.ctx!, seed: 8 });
    try {
      await expectRejects(model.run(batchOf(65)), ExecutionError, "input `image` has shape [65, 28, 28], but MnistMLP was compiled for f32[1..64, 28, 28] (any batch up to 64)");
      const mixed = { ...batchOf(5), label: hostTensor("i32", [4], Int32Array.of(1, 2, 3, 4)) };
      await expectRejects(model.run(mixed), ExecutionError, "input `label` has shape [4], but MnistMLP was compiled for i32[1..64] (any batch up to 64) with the same rows as the other inputs (5)");
    } finally {
      await model.destroy();
    }
  });

  it.skipIf(!gpu.ctx)("trains and runs exactly as the in-process session does from the same seed", async () => {
    const out = join(work, "iris");
    expect((await runCli(["compile", "dsl-examples/iris-mlp.dlg", "--batch", "8", "-o", out])).code).toBe(0);
    const manifest = await readCompiledModel(out);
    // `dlg compile` targets the WebGPU core limits; the session compiles for the same ones, so the kernels are identical.
    const portable: GpuContext = Object.create(gpu.ctx!, { limits: { value: DEFAULT_LIMITS } });
    const graph = compile(readFileSync(join(root, "dsl-examples/iris-mlp.dlg"), "utf8"), "iris-mlp.dlg").check!.graph;
    const compiled = new CompiledModel(manifest, { gpu: gpu.ctx!, seed: 5, readEvery: 4 });
    const session = new GpuSession(graph, { gpu: portable, seed: 5, readEvery: 4 });
    try {
      const random = new Random(9);
      const batches = Array.from({ length: 10 }, () => batchOf(8, random));
      const [a, b] = await Promise.all([Promise.all(batches.map((x) => compiled.trainStep(x))), Promise.all(batches.map((x) => session.trainStep(x)))]);
      expect(a).toEqual(b);
      const [pa, pb] = await Promise.all([compiled.params.toMap(), session.params.toMap()]);
      expect([...pa.keys()].sort()).toEqual([...pb.keys()].sort());
      for (const [name, t] of pb) expectClose(pa.get(name)!.data, t.data, { atol: 0, rtol: 0 }, name);
      const [sa, sb] = await Promise.all([compiled.state.toMap(), session.state.toMap()]);
      for (const [name, t] of sb) expectClose(sa.get(name)!.data, t.data, { atol: 0, rtol: 0 }, name);

      const test = batchOf(8, random);
      const outputs = await compiled.run(test);
      const reference = await session.run(test);
      expect([...outputs.keys()].sort()).toEqual(["logits", "loss"]);
      expectClose(outputs.get("logits")!.data, reference.get(graph.outputs[0]!.node)!.data, { atol: 0, rtol: 0 }, "logits");

      await expectRejects(compiled.run(batchOf(9, random)), ExecutionError, "input `features` has shape [9, 4], but IrisMLP was compiled for f32[1..8, 4] (any batch up to 8)");
      const { label: _, ...unlabeled } = test;
      await expectRejects(compiled.trainStep(unlabeled), ExecutionError, "no value for input `label` (i32[1..8] (any batch up to 8))");
    } finally {
      await Promise.all([compiled.destroy(), session.destroy()]);
    }
  });

  it.skipIf(!gpu.ctx)("carries batch_norm's running statistics: evaluation reads them, training steps update them, as the session does", async () => {
    const file = join(work, "iris-bn.dlg");
    writeFileSync(file, `model IrisBN {
  input features: f32[N, 4]
  input label: i32[N]
  h = dense(features, 6) -> batch_norm -> relu
  logits = dense(h, 3)
  output logits
  train cross_entropy(logits, label) with adam(lr: 1e-2)
}
`);
    const out = join(work, "iris-bn");
    expect((await runCli(["compile", file, "--batch", "8", "-o", out])).code).toBe(0);
    const manifest = await readCompiledModel(out);
    const portable: GpuContext = Object.create(gpu.ctx!, { limits: { value: DEFAULT_LIMITS } });
    const graph = compile(readFileSync(file, "utf8"), "iris-bn.dlg").check!.graph;
    const compiled = new CompiledModel(manifest, { gpu: gpu.ctx!, seed: 3, readEvery: 4 });
    const session = new GpuSession(graph, { gpu: portable, seed: 3, readEvery: 4 });
    try {
      const random = new Random(4);
      const test = batchOf(8, random);
      // Before any step: the running statistics start at PyTorch's (means 0, variances 1), and evaluation keeps them.
      const first = await compiled.run(test);
      expectClose(first.get("logits")!.data, (await session.run(test)).get(graph.outputs[0]!.node)!.data, ROUNDING, "logits before training");
      const initial = await compiled.state.toMap();
      expect(Array.from(initial.get("h_2.running_var")!.data)).toEqual([1, 1, 1, 1, 1, 1]);
      expect(Array.from(initial.get("h_2.running_mean")!.data)).toEqual([0, 0, 0, 0, 0, 0]);
      const batches = Array.from({ length: 6 }, () => batchOf(8, random));
      const [a, b] = await Promise.all([Promise.all(batches.map((x) => compiled.trainStep(x))), Promise.all(batches.map((x) => session.trainStep(x)))]);
      expect(a).toEqual(b);
      const [sa, sb] = await Promise.all([compiled.state.toMap(), session.state.toMap()]);
      expect(sa.get("h_2.num_batches_tracked")!.data[0]).toBe(6);
      for (const [name, t] of sb) expectClose(sa.get(name)!.data, t.data, ROUNDING, name);
      expect(Array.from(sa.get("h_2.running_var")!.data)).not.toEqual([1, 1, 1, 1, 1, 1]);
      const after = await compiled.run(test);
      expectClose(after.get("logits")!.data, (await session.run(test)).get(graph.outputs[0]!.node)!.data, ROUNDING, "logits after training");
      const again = await compiled.state.toMap();
      for (const [name, t] of sa) expect(Array.from(again.get(name)!.data), `${name} after evaluation`).toEqual(Array.from(t.data));
    } finally {
      await Promise.all([compiled.destroy(), session.destroy()]);
    }
  });
});
