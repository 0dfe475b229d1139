// Fused kernels on the GPU against unfused kernels and the CPU reference: random DAGs (fast-check seeded, awkward
// sizes) forward and backward, the example models' forward passes (and one's gradients) at small random sizes, and
// training steps with fusion on and off, a failing one among them, and small graphs where only the fusion pass's
// legality rules keep the numbers right. Fused and unfused programs do the same f32 arithmetic per element, so they
// agree to a few rounding steps; the CPU (float64 inside its ops) to a tolerance scaled by the values' magnitude.
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import type { Graph, NodeId } from "../../compiler/ir/graph.js";
import { CpuSession } from "../../sessions/cpu-session.js";
import { GpuSession } from "../../sessions/gpu-session.js";
import { Random } from "../../runtime/random.js";
import { hostTensor, type HostTensor } from "../../runtime/tensor.js";
import { buildRandomGraph, describeRecipe, EXAMPLES, exampleGraph, recipeArb, type GraphRecipe } from "../optimize/fusion-graphs.js";
import { adapterTest, expectClose, openTestGpu, type Tolerance } from "./gpu-helpers.js";
import { compileText, randomBatch } from "../helpers.js";

const gpu = await openTestGpu();

/** Fused against unfused: the same operations in f32, grouped differently (a driver may still contract a * b + c). */
const SAME: Tolerance = { atol: 1e-6, rtol: 1e-5 };

/** Worst differences seen, printed after the suite (the tolerances' evidence; each comparison asserts its own bound). */
const worst = { fusedVsUnfused: 0, fusedVsCpu: 0 };

function relativeToMax(got: ArrayLike<number>, want: ArrayLike<number>): number {
  let scale = 1;
  for (let i = 0; i < want.length; i++) if (Number.isFinite(want[i]!)) scale = Math.max(scale, Math.abs(want[i]!));
  let d = 0;
  for (let i = 0; i < want.length; i++) if (Number.isFinite(want[i]!) && Number.isFinite(got[i]!)) d = Math.max(d, Math.abs(got[i]! - want[i]!) / scale);
  return d;
}

/**
 * Fused equals unfused to rounding; both equal the CPU within `rtol` of the reference's largest magnitude (sums and
 * cancellations make elementwise relative error meaningless for values near zero).
 */
function expectAgree(fused: ArrayLike<number>, unfused: ArrayLike<number>, cpu: ArrayLike<number>, rtol: number, what: string): void {
  expectClose(fused, unfused, SAME, `${what}: fused vs unfused`);
  let scale = 1;
  for (let i = 0; i < cpu.length; i++) if (Number.isFinite(cpu[i]!)) scale = Math.max(scale, Math.abs(cpu[i]!));
  expectClose(fused, cpu, { atol: rtol * scale, rtol: 0 }, `${what}: fused vs CPU`);
  worst.fusedVsUnfused = Math.max(worst.fusedVsUnfused, relativeToMax(fused, unfused));
  worst.fusedVsCpu = Math.max(worst.fusedVsCpu, relativeToMax(fused, cpu));
}

interface Sessions {
  cpu: CpuSession;
  fused: GpuSession;
  unfused: GpuSession;
}

async function withSessions(graph: Graph, params: ReadonlyMap<string, HostTensor> | undefined, body: (s: Sessions) => Promise<void>): Promise<void> {
  const options = { seed: 5 };
  const cpu = new CpuSession(graph, options);
  const fused = new GpuSession(graph, { ...options, gpu: gpu.ctx!, fuse: true, readEvery: 1 });
  const unfused = new GpuSession(graph, { ...options, gpu: gpu.ctx!, fuse: false, readEvery: 1 });
  try {
    for (const [name, t] of params ?? []) {
      cpu.params.set(name, t);
      fused.params.set(name, t);
      unfused.params.set(name, t);
    }
    await body({ cpu, fused, unfused });
  } finally {
    await fused.destroy();
    await unfused.destroy();
  }
}

/**
 * TRAIN_STEPS training steps on all three from the same initial parameters, then one that fails; then every parameter
 * and state tensor.
 */
async function compareTraining(graph: Graph, rows: number, what: string): Promise<void> {
  const data = new Random(17);
  await withSessions(graph, undefined, async ({ cpu, fused, unfused }) => {
    for (let step = 0; step < TRAIN_STEPS; step++) {
      const batch = exampleBatch(graph, rows, data);
      const want = cpu.trainStep(batch);
      const got = await fused.trainStep(batch);
      const plain = await unfused.trainStep(batch);
      expectClose([got], [plain], SAME, `${what}: loss at step ${step + 1}, fused vs unfused`);
      expectClose([got], [want], TRAINED, `${what}: loss at step ${step + 1}, fused vs CPU`);
    }
    // A step whose labels are out of range fails its run-time check and changes nothing, though fused kernels that
    // write updates (matmul epilogues among them) run in another order than unfused ones.
    const bad = exampleBatch(graph, rows, data);
    const label = graph.inputs.find((i) => i.type.dtype === "i32")!.name;
    (bad[label]!.data as Int32Array)[rows - 1] = 99;
    expect(() => cpu.trainStep(bad)).toThrow(/outside the classes/);
    for (const session of [fused, unfused]) await expect(session.trainStep(bad)).rejects.toThrow(/outside the classes/);
    for (const [kind, want] of [["params", cpu.params], ["state", cpu.state]] as const) {
      const got = await fused[kind].toMap();
      const plain = await unfused[kind].toMap();
      expect([...got.keys()].sort(), `${what}: ${kind}`).toEqual([...want.keys()].sort());
      for (const [name, t] of want) {
        expectClose(got.get(name)!.data, plain.get(name)!.data, SAME, `${what}: ${name} after ${TRAIN_STEPS} steps, fused vs unfused`);
        expectClose(got.get(name)!.data, t.data, TRAINED, `${what}: ${name} after ${TRAIN_STEPS} steps, fused vs CPU`);
        worst.fusedVsUnfused = Math.max(worst.fusedVsUnfused, relativeToMax(got.get(name)!.data, plain.get(name)!.data));
      }
    }
  });
}

/** The graph's outputs and loss forward, then (with `gradients`) its loss and gradients, on all three. */
async function compareForwardAndGradients(s: Sessions, graph: Graph, batch: Record<string, HostTensor>, rtol: number, what: string, gradients = true): Promise<void> {
  const nodes: NodeId[] = [...new Set([...graph.outputs.map((o) => o.node), graph.loss!])];
  const want = s.cpu.run(batch, nodes);
  const got = await s.fused.run(batch, nodes);
  const plain = await s.unfused.run(batch, nodes);
  for (const n of nodes) expectAgree(got.get(n)!.data, plain.get(n)!.data, want.get(n)!.data, rtol, `${what}: %${n}`);
  if (!gradients) return;
  const cg = s.cpu.gradients(batch);
  const fg = await s.fused.gradients(batch);
  const ug = await s.unfused.gradients(batch);
  expectAgree([fg.loss], [ug.loss], [cg.loss], rtol, `${what}: loss in the backward program`);
  for (const [name, g] of cg.grads) expectAgree(fg.grads.get(name)!.data, ug.grads.get(name)!.data, g.data, rtol, `${what}: d loss / d ${name}`);
}

/** One random batch: integer inputs (labels, tokens) below the model's smallest class count. */
function exampleBatch(graph: Graph, rows: number, random: Random): Record<string, HostTensor> {
  const table = graph.params.find((p) => p.name.endsWith(".table"))?.type.shape[0]?.constValue();
  const classes = table ?? graph.outputs[0]!.type.shape[graph.outputs[0]!.type.shape.length - 1]!.constValue()!;
  return randomBatch(graph, rows, classes, random);
}

const TRAIN_STEPS = 3;
/**
 * Two dropouts in a training step: the runtime draws their bits in node order, whichever order fusion puts the
 * kernels in. SGD with momentum keeps the updates fused into matmul epilogues small (each such kernel takes seconds
 * to compile on a software adapter).
 */
const DROPOUT_MODEL = `model DropoutNet(h: int = 6) {
  input features: f32[N, 4]
  input label: i32[N]
  hidden = dense(dropout(features, 0.1), h) -> relu -> dropout(0.3)
  logits = dense(hidden, 3)
  output logits
  loss = cross_entropy(logits, label)
  train loss with sgd(lr: 0.05, momentum: 0.9)
}`;

/** As webgpu-train.test.ts: f32 sums on the GPU, float64 inside the CPU's ops, carried through Adam. */
const TRAINED: Tolerance = { atol: 5e-5, rtol: 5e-5 };

/**
 * Graphs where each legality rule of the fusion pass (compiler/4-optimize/fuse.ts) is what keeps the numbers right, in
 * fusion-graphs.ts's recipe terms: values 0..4 are x [N, B], y [N, 1], s [], w [B] and 0.5, then one value per step.
 */
const LEGALITY_CASES: [string, GraphRecipe][] = [
  // The matmul reads tanh(x) from memory before its epilogue runs: inside that epilogue it would never be stored.
  ["an anchor's input that its epilogue also reads: tanh(x) @ m + tanh(x)",
    { n: 13, cols: 65, steps: [{ kind: "unary", op: "tanh", x: 0 }, { kind: "matmul", x: 1 }, { kind: "binary", op: "add", x: 6, y: 5 }], outputs: [] }],
  // The row maximum needs tanh(x) first and the subtraction needs the maximum: tanh(x) in the subtraction's kernel
  // would make the two kernels wait on each other.
  ["a producer whose other consumer (a reduction) feeds the same group: tanh(x) - max(tanh(x), rows)",
    { n: 5, cols: 31, steps: [{ kind: "unary", op: "tanh", x: 0 }, { kind: "reduce", op: "reduce_max", x: 5, axes: 1 }, { kind: "binary", op: "sub", x: 5, y: 6 }], outputs: [] }],
  // The per-row scale is an output of its own, [N, 1]: computed per element of x * scale, it would be stored wrongly.
  ["a smaller value kept as an output and read by a larger group: x * tanh(-sum(x, rows))",
    { n: 7, cols: 13, steps: [{ kind: "reduce", op: "reduce_sum", x: 0, axes: 1 }, { kind: "unary", op: "neg", x: 5 }, { kind: "unary", op: "tanh", x: 6 }, { kind: "binary", op: "mul", x: 0, y: 7 }], outputs: [7] }],
];

/** Small sizes keep the pipelines few: each new size is a new set of kernels to compile. */
const gpuSizes = fc.constantFrom(1, 3, 5, 13, 31, 65);
const hidden = fc.constantFrom(1, 3, 5, 7, 13).map(String);

/** Hyperparameters of each example, drawn small (a multiple of `heads` for the transformer's width). */
const exampleSizes: Record<string, fc.Arbitrary<Record<string, string>>> = {
  "iris-mlp.dlg": fc.record({ h: hidden }),
  "mnist-mlp.dlg": fc.record({ h1: hidden, h2: hidden }),
  "lenet.dlg": fc.record({ c1: hidden, c2: hidden, f1: hidden, f2: hidden }),
  "residual-mlp.dlg": fc.record({ width: hidden, expand: fc.constantFrom("1", "2"), depth: fc.constantFrom("1", "2") }),
  "gpt.dlg": fc.record({ vocab: hidden, heads: fc.constantFrom(1, 2), head: fc.constantFrom(1, 3), context: hidden, layers: fc.constant("1") })
    .map(({ head, heads, ...rest }) => ({ ...rest, heads: String(heads), d_model: String(head * heads) })),
};

/**
 * Each example's sizes, drawn once: its forward and backward test and its training test share them, so the training
 * step reuses the kernels compiled before it.
 */
const exampleCases = new Map(EXAMPLES.map((file, i) => {
  const [[overrides, rows]] = fc.sample(fc.tuple(exampleSizes[file]!, gpuSizes), { seed: 0xf05e11 + i, numRuns: 1 }) as [[Record<string, string>, number]];
  return [file, { overrides, rows }] as const;
}));

function exampleCase(file: (typeof EXAMPLES)[number]): { graph: Graph; rows: number; what: string } {
  const { overrides, rows } = exampleCases.get(file)!;
  return { graph: exampleGraph(file, overrides), rows, what: `${file} (${Object.entries(overrides).map(([k, v]) => `${k}=${v}`).join(", ")}, batch ${rows})` };
}

describe("WebGPU fusion: fused kernels compute what unfused kernels and the CPU compute", () => {
  adapterTest(gpu, "webgpu-fusion");

  // A cold shader cache (a fresh CI machine) compiles every kernel first: several times the warm run's seconds.
  describe.skipIf(!gpu.ctx)("programs", { timeout: 240_000 }, () => {
    it("random DAGs with shared values, broadcasts, reductions and matmul epilogues: outputs and gradients", async () => {
      const cases = fc.sample(fc.tuple(recipeArb(gpuSizes, 10), fc.integer()), { seed: 0xf05e10, numRuns: 6 });
      for (const [recipe, seed] of cases) {
        const { graph, params, batch } = buildRandomGraph(recipe, seed);
        await withSessions(graph, params, (s) => compareForwardAndGradients(s, graph, batch, 1e-4, describeRecipe(recipe)));
      }
    });

    // Gradients of one model here; the others' backward kernels run inside the training steps below, and random DAGs'
    // above. Every kernel costs compile time on a software adapter, fused matmul epilogues seconds each.
    const withGradients = new Set(["iris-mlp.dlg"]);
    for (const file of EXAMPLES) {
      const parts = withGradients.has(file) ? "forward outputs and gradients" : "forward outputs";
      it(`${file}: ${parts} at random small sizes`, async () => {
        const { graph, rows, what } = exampleCase(file);
        const batch = exampleBatch(graph, rows, new Random(rows));
        await withSessions(graph, undefined, (s) => compareForwardAndGradients(s, graph, batch, 1e-4, what, withGradients.has(file)));
      });
    }

    it("fuses only where it is legal: fused outputs equal the CPU's where an illegal merge would change them", async () => {
      for (const [what, recipe] of LEGALITY_CASES) {
        const { graph, params, batch } = buildRandomGraph(recipe, 11);
        await withSessions(graph, params, async (s) => {
          // Fusion must be merging kernels in these programs, or the comparison says nothing about its rules.
          const shapes = new Map(Object.entries(batch).map(([name, t]) => [name, t.shape] as const));
          const read = graph.outputs.map((o) => o.node);
          expect(s.fused.compile("forward", shapes, read).kernels.length, `${what}: fused kernels`)
            .toBeLessThan(s.unfused.compile("forward", shapes, read).kernels.length);
          await compareForwardAndGradients(s, graph, batch, 1e-4, `${what} (${describeRecipe(recipe)})`, false);
        });
      }
    });

    it("iris-mlp.dlg: training steps with fusion on and off end at the same parameters and Adam state", async () => {
      const { graph, rows, what } = exampleCase("iris-mlp.dlg");
      await compareTraining(graph, rows, what);
    });

    it("a model with dropout: fused and unfused steps draw the same masks and end at the same parameters", async () => {
      const { overrides, rows } = exampleCases.get("iris-mlp.dlg")!;
      const r = compileText(DROPOUT_MODEL, { overrides }, "dropout.dlg");
      expect(r.diagnostics).toEqual([]);
      await compareTraining(r.check!.graph, rows, `dropout model (h=${overrides["h"]}, batch ${rows})`);
    });

    afterAll(() => {
      console.log(`webgpu-fusion: worst fused vs unfused ${worst.fusedVsUnfused.toExponential(1)}, fused vs CPU ${worst.fusedVsCpu.toExponential(1)} (relative to the largest value)`);
    });
  });
});
