// `dlg export --format onnx` on every example model: the file passes onnx.checker (Debian's python3-onnx, full check
// with shape inference) and ONNX Runtime (onnxruntime-node, CPU) computes the outputs dlg's reference does, at two
// batch sizes from the one file (the batch dim is symbolic). Running statistics are randomized so that evaluation-mode
// batch_norm is checked against non-trivial values.
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import ort from "onnxruntime-node";
import { compile } from "../../compiler/index.js";
import { writeCheckpoint } from "../../runtime/node/checkpoint-file.js";
import { Random } from "../../runtime/random.js";
import { CpuSession, initialBuffers, initialParams } from "../../sessions/cpu-session.js";
import { lossOnlyInputs } from "../../compiler/ir/reachability.js";
import { randomModelData, randomRunningStatistics, ROOT, runCli } from "../helpers.js";
import { expectClose } from "../gpu/gpu-helpers.js";

const PYTHON = process.env["DLG_TORCH_PYTHON"] ?? "/usr/bin/python3";
const IN_CI = process.env["CI"] === "true";
const probe = spawnSync(PYTHON, ["-c", "import onnx; print(onnx.__version__)"], { encoding: "utf8" });
const ONNX = probe.status === 0 ? probe.stdout.trim() : undefined;
const dir = mkdtempSync(join(tmpdir(), "dlg-onnx-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const EXAMPLES = readdirSync(join(ROOT, "dsl-examples")).filter((f) => f.endsWith(".dlg")).sort();

const exported: string[] = [];

describe("dlg export --format onnx", () => {
  it.each(EXAMPLES)("%s: ONNX Runtime computes dlg's outputs at batch 1 and 3", async (file) => {
    const path = join(ROOT, "dsl-examples", file);
    const graph = compile(readFileSync(path, "utf8"), file).check!.graph;
    const random = new Random(EXAMPLES.indexOf(file) + 1);
    const buffers = randomRunningStatistics(initialBuffers(graph), random);
    const weights = new Map([...initialParams(graph, 3), ...buffers]);
    const checkpoint = join(dir, `${file}.safetensors`);
    await writeCheckpoint(checkpoint, weights);
    const out = join(dir, `${file}.onnx`);
    const r = await runCli(["export", `dsl-examples/${file}`, "--weights", checkpoint, "--format", "onnx", "-o", out]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/^wrote \w+ as ONNX \(opset 17, /);
    exported.push(out);

    const session = await ort.InferenceSession.create(out);
    const lossOnly = new Set(lossOnlyInputs(graph));
    expect([...session.inputNames]).toEqual(graph.inputs.filter((i) => !lossOnly.has(i.name)).map((i) => i.name));
    expect([...session.outputNames]).toEqual(graph.outputs.map((o) => o.name));
    const cpu = new CpuSession(graph, { seed: 0 });
    for (const [name, t] of weights) (cpu.params.has(name) ? cpu.params : cpu.state).set(name, t);
    for (const rows of [1, 3]) {
      const batch = Object.fromEntries(randomModelData(graph, rows, random));
      const feeds = Object.fromEntries(Object.entries(batch).filter(([name]) => !lossOnly.has(name))
        .map(([name, t]) => [name, new ort.Tensor(t.dtype === "i32" ? "int32" : "float32", t.data, [...t.shape])]));
      const results = await session.run(feeds);
      const reference = cpu.evaluateBatch(batch, graph.outputs.map((o) => o.name)).outputs;
      for (const o of graph.outputs) {
        const want = reference.get(o.name)!;
        expect(results[o.name]!.dims, `${o.name} at batch ${rows}`).toEqual(want.shape);
        expectClose(results[o.name]!.data as Float32Array, want.data, { atol: 1e-4, rtol: 1e-3 }, `${file}: ${o.name} at batch ${rows}`);
      }
    }
    await session.release();
  }, 120_000);

  it.runIf(ONNX !== undefined || IN_CI)(`every exported file passes onnx.checker (onnx ${ONNX ?? "missing"})`, () => {
    if (ONNX === undefined) throw new Error(`CI=true but ${PYTHON} cannot import onnx: install python3-onnx`);
    expect(exported).toHaveLength(EXAMPLES.length);
    const script = "import sys, onnx\nfor path in sys.argv[1:]:\n    m = onnx.load(path)\n    onnx.checker.check_model(m, full_check=True)\n    print(path, m.opset_import[0].version, m.graph.input[0].type.tensor_type.shape.dim[0].dim_param)\n";
    const r = spawnSync(PYTHON, ["-c", script, ...exported], { encoding: "utf8", maxBuffer: 1 << 24 });
    expect(r.status, r.stderr).toBe(0);
    const lines = r.stdout.trim().split("\n");
    expect(lines).toHaveLength(exported.length);
    for (const line of lines) expect(line).toMatch(/ 17 (N|B)$/);
  }, 120_000);

  it("refuses what it cannot export, in one line", async () => {
    const noWeights = await runCli(["export", "dsl-examples/iris-mlp.dlg", "--format", "onnx", "-o", join(dir, "x.onnx")]);
    expect(noWeights).toMatchObject({ code: 2, stderr: "dlg: export: --format onnx needs --weights W (the initializers)\n" });
    expect((await runCli(["export", "dsl-examples/iris-mlp.dlg", "--format", "tflite", "-o", join(dir, "x")])).stderr).toBe("dlg: export: --format must be onnx or torch, got 'tflite'\n");
    expect((await runCli(["export", "dsl-examples/iris-mlp.dlg", "--format", "torch", "--weights", "w.safetensors", "-o", join(dir, "x.py")])).stderr)
      .toBe("dlg: export: --format torch writes the model, not its weights; the file loads a checkpoint itself (--weights W when it runs)\n");
    const source = await runCli(["export", "dsl-examples/iris-mlp.dlg", "--format", "torch", "-o", "dsl-examples/iris-mlp.dlg"]);
    expect(source.code).toBe(2);
  });
});
