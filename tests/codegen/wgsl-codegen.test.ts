// WGSL code generation without a GPU: every op's kernel is emitted and parsed back with wgsl_reflect on random cases,
// adapter limits are enforced at compile time, literals are exact, constants fold, identical kernels share their text.
import { ROOT } from "../helpers.js";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { Dim } from "../../compiler/ir/dims.js";
import { IRBuilder } from "../../compiler/ir/builder.js";
import { buildTrainStep } from "../../compiler/3-autodiff/train-step.js";
import { CodegenError, DEFAULT_LIMITS, type KernelLimits } from "../../compiler/wgsl/limits.js";
import { reflectKernel } from "../../compiler/5-codegen-wgsl/validate.js";
import { WgslBuilder } from "../../compiler/wgsl/wgsl-builder.js";
import { f32Literal, i32Literal, literal } from "../../compiler/wgsl/wgsl-values.js";
import { compile, planProgram } from "../../compiler/index.js";
import { interpret } from "../../compiler/ir/interpret.js";
import type { Graph } from "../../compiler/ir/graph.js";
import type { OpAttrsArg, OpName } from "../../compiler/ir/registry.js";
import { buildCase, kernelCases } from "../gpu/kernel-cases.js";

const span = { start: 0, end: 0 };
const shapesOf = (values: ReadonlyMap<string, { shape: readonly number[] }>) => new Map([...values].map(([k, v]) => [k, v.shape] as const));

function oneOp<N extends OpName>(op: N, shapes: number[][], ...attrs: OpAttrsArg<N>): Graph {
  const b = new IRBuilder();
  const xs = shapes.map((s, i) => b.input(`x${i}`, { dtype: "f32", shape: s.map((d) => Dim.const(d)) }, span));
  const y = b.op(op, xs, ...attrs);
  b.graph.outputs.push({ name: "y", node: y.node, type: y.type });
  return b.graph;
}

const emit = (graph: Graph, limits: KernelLimits = DEFAULT_LIMITS) =>
  planProgram(graph, new Map(graph.inputs.map((i) => [i.name, i.type.shape.map((d) => d.constValue()!)] as const)), { limits, training: false });

describe("WGSL kernels for every op, without a GPU", () => {
  for (const [op, { arb }] of Object.entries(kernelCases)) {
    it(`${op}: emits modules that wgsl_reflect parses, with the planned bindings`, () => {
      for (const [c, seed] of fc.sample(fc.tuple(arb, fc.integer()), { seed: 77, numRuns: 4 })) {
        const { graph, values } = buildCase(op, c, seed);
        for (const limits of [DEFAULT_LIMITS, { ...DEFAULT_LIMITS, maxComputeInvocationsPerWorkgroup: 32, maxComputeWorkgroupsPerDimension: 9 }]) {
          let plan;
          try {
            // Unfused: a reshape fused into a program shares its input's buffer and has no kernel of its own.
            plan = planProgram(graph, shapesOf(values), { limits, training: c.training ?? false, fold: false, fuse: false });
          } catch (e) {
            // Only the 9-workgroup grid may be too small for a large case, and then it must say so.
            expect(e).toBeInstanceOf(CodegenError);
            expect(String(e)).toMatch(/exceed the adapter's grid of 9 x 9/);
            continue;
          }
          expect(plan.kernels).toHaveLength(1);
          const k = plan.kernels[0]!;
          expect(k.workgroupSize).toBeLessThanOrEqual(limits.maxComputeInvocationsPerWorkgroup);
          expect(k.dispatch[0]).toBeLessThanOrEqual(limits.maxComputeWorkgroupsPerDimension);
          expect(k.dispatch[1]).toBeLessThanOrEqual(limits.maxComputeWorkgroupsPerDimension);
          expect(reflectKernel(k).entries.map((e) => e.access)).toEqual(k.bindings.map((b) => b.access));
          // Non-finite values never appear as literals (WGSL has none; a constant one is a shader-creation error).
          expect(k.wgsl).not.toMatch(/\b(NaN|Infinity|inf)\b/);
        }
      }
    });
  }
});

describe("adapter limits are checked when a program is emitted", () => {
  it("refuses a kernel with more storage buffers than a stage allows", () => {
    const graph = oneOp("concat", Array.from({ length: 8 }, () => [2, 3]), { axis: 0 });
    expect(() => emit(graph)).toThrow(CodegenError);
    expect(() => emit(graph)).toThrow("its kernel needs 9 storage buffers, the adapter allows 8 per shader stage");
    expect(emit(graph, { ...DEFAULT_LIMITS, maxStorageBuffersPerShaderStage: 16 }).kernels).toHaveLength(1);
  });

  it("refuses a tensor larger than the largest storage buffer binding", () => {
    const graph = oneOp("exp", [[300]]);
    expect(() => emit(graph, { ...DEFAULT_LIMITS, maxStorageBufferBindingSize: 1024 })).toThrow("1200 bytes exceed the adapter's largest storage buffer (1024 bytes)");
  });

  it("splits the grid in two dimensions past the per-dimension limit, and refuses what even that cannot hold", () => {
    const graph = oneOp("exp", [[64 * 10]]);
    const plan = emit(graph, { ...DEFAULT_LIMITS, maxComputeWorkgroupsPerDimension: 4 });
    expect(plan.kernels[0]!.dispatch).toEqual([4, 3, 1]);
    expect(plan.kernels[0]!.wgsl).toContain("wid.x + wid.y * 4u");
    expect(() => emit(graph, { ...DEFAULT_LIMITS, maxComputeWorkgroupsPerDimension: 3 })).toThrow("10 workgroups exceed the adapter's grid of 3 x 3");
  });

  it("sizes workgroups and workgroup memory within the limits", () => {
    const graph = oneOp("reduce_sum", [[5, 300]], { axes: [1], keepdims: false });
    const small = emit(graph, { ...DEFAULT_LIMITS, maxComputeInvocationsPerWorkgroup: 16 });
    expect(small.kernels[0]!.workgroupSize).toBe(16);
    expect(small.kernels[0]!.wgsl).toContain("@workgroup_size(16)");
    expect(() => emit(graph, { ...DEFAULT_LIMITS, maxComputeWorkgroupStorageSize: 128 })).toThrow("256 bytes of workgroup memory, the adapter allows 128");
  });
});

describe("wgsl_reflect checks every module against its plan", () => {
  const plan = emit(oneOp("add", [[3], [3]]));
  const kernel = plan.kernels[0]!;

  it("derives the bind group layout from the module", () => {
    expect(kernel.layout.entries).toEqual([{ binding: 0, access: "read" }, { binding: 1, access: "read" }, { binding: 2, access: "read_write" }]);
    expect(kernel.layout.workgroupSize).toEqual([kernel.workgroupSize, 1, 1]);
  });

  it("refuses a module whose bindings disagree with the plan, or that does not parse", () => {
    expect(() => reflectKernel({ ...kernel, wgsl: kernel.wgsl.replace("var<storage, read> src1", "var<storage, read_write> src1") })).toThrow(/declares `src1` \(read_write\) at binding 1/);
    expect(() => reflectKernel({ ...kernel, bindings: kernel.bindings.slice(0, 2) })).toThrow(/internal: the WGSL emitted for add/);
    expect(() => reflectKernel({ ...kernel, wgsl: kernel.wgsl.replace("fn main(", "fn main(,") })).toThrow(/does not parse/);
  });
});

describe("WGSL values", () => {
  it("writes f32 literals that read back as exactly the f32 the CPU stores", () => {
    fc.assert(fc.property(fc.float({ noNaN: true, noDefaultInfinity: true }), (v) => {
      const text = f32Literal(v).replace(/[()]/g, "");
      expect(Object.is(Math.fround(Number(text)), Math.fround(v))).toBe(true);
    }), { seed: 3, numRuns: 500 });
    expect(f32Literal(0.1)).toBe("0.10000000149011612");
    expect(f32Literal(3)).toBe("3.0");
    expect(f32Literal(-0)).toBe("(-0.0)");
  });

  it("spells infinities and NaN through private variables, and every i32 including the smallest", () => {
    expect(literal(-Infinity, "f32")).toBe("bitcast<f32>(dlg_neg_inf_bits)");
    expect(literal(NaN, "f32")).toBe("bitcast<f32>(dlg_nan_bits)");
    expect(i32Literal(-2147483648)).toBe("i32(-2147483648)");
    expect(i32Literal(-5)).toBe("(-5i)");
    const plan = planProgram(oneOp("causal_mask", [], { size: Dim.const(4) }), new Map(), { limits: DEFAULT_LIMITS, training: false, fold: false });
    expect(plan.kernels[0]!.wgsl).toContain("var<private> dlg_neg_inf_bits: u32 = 0xff800000u;");
  });

  it("builds indented blocks", () => {
    const w = new WgslBuilder();
    w.block("fn f()", () => w.block("if (true)", () => w.line("return;")));
    expect(w.toString()).toBe("fn f() {\n  if (true) {\n    return;\n  }\n}\n");
  });
});

describe("programs", () => {
  const text = readFileSync(join(ROOT, "dsl-examples", "iris-mlp.dlg"), "utf8");
  const forward = compile(text, "iris-mlp.dlg", { overrides: { h: "5" } }).check!.graph;
  const train = buildTrainStep(forward, forward.optimizer!);
  const plan = planProgram(train, new Map([["features", [7, 4]], ["label", [7]]]), { limits: DEFAULT_LIMITS, training: true });

  it("folds constant subgraphs with the CPU references instead of running kernels for them", () => {
    const folded = plan.buffers.filter((b) => b.folded);
    expect(folded.length).toBeGreaterThan(10);
    for (const b of folded) expect(plan.kernels.some((k) => k.node === b.node)).toBe(false);
    // Each folded value is what the interpreter computes for that node.
    const values = new Map<string, { shape: number[]; data: Float32Array | Int32Array }>([
      ["features", { shape: [7, 4], data: new Float32Array(28) }], ["label", { shape: [7], data: new Int32Array(7) }],
    ]);
    for (const p of train.params) values.set(p.name, { shape: p.type.shape.map((d) => d.constValue()!), data: new Float32Array(p.type.shape.reduce((n, d) => n * d.constValue()!, 1)) });
    for (const s of train.state!) values.set(s.name, { shape: s.type.shape.map((d) => d.constValue()!), data: new Float32Array(s.type.shape.reduce((n, d) => n * d.constValue()!, 1)) });
    const cpu = interpret(train, values, { keep: folded.map((b) => b.node), training: true, random: () => 0.5 });
    for (const b of folded) expect(Array.from(b.folded!)).toEqual(Array.from(cpu.get(b.node)!.data));
  });

  it("gives identical kernels of different nodes one WGSL text (one pipeline)", () => {
    // Unfused, the step repeats kernels (the same op on the same shapes); fused, this small model's are all distinct.
    const unfused = planProgram(train, new Map([["features", [7, 4]], ["label", [7]]]), { limits: DEFAULT_LIMITS, training: true, fuse: false });
    expect(new Set(unfused.kernels.map((k) => k.wgsl)).size).toBeLessThan(unfused.kernels.length);
    for (const p of [plan, unfused]) expect(p.kernels.every((k) => !k.wgsl.includes(`%${k.node}`))).toBe(true);
  });
});
