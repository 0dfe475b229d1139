// The fusion pass without a GPU: on the example models (forward, backward, training step), on random DAGs built to
// have diamonds and broadcasts, and on random .dlg programs, the kernels of a fused program partition the computed
// nodes, run in an order where every read value was written by an earlier kernel (or is bound or folded), fit the
// adapter's storage-buffer limit, write every value the caller reads, write only values of their own size, and
// write parameter and optimizer-state updates after every run-time check, keeping the current values when one failed.
// Plus a few programs whose kernels are known exactly.
import { batchShapes, compileModel, planProgram } from "../../compiler/index.js";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { opDef } from "../../compiler/ops/index.js";
import { Dim } from "../../compiler/ir/dims.js";
import { IRBuilder } from "../../compiler/ir/builder.js";
import type { TensorValue } from "../../compiler/ir/value.js";
import { buildBackward } from "../../compiler/3-autodiff/build-backward.js";
import { buildTrainStep } from "../../compiler/3-autodiff/train-step.js";
import { type ProgramPlan } from "../../compiler/5-codegen-wgsl/emit-program.js";
import { CodegenError, DEFAULT_LIMITS, type KernelLimits } from "../../compiler/wgsl/limits.js";
import { literal } from "../../compiler/wgsl/wgsl-values.js";
import type { Graph, NodeId, Optimizer } from "../../compiler/ir/graph.js";
import { buildRandomGraph, describeRecipe, EXAMPLES, exampleGraph, recipeArb } from "./fusion-graphs.js";
import { compileText } from "../helpers.js";
import { programArb, render } from "../check/properties/generator.js";

const span = { start: 0, end: 0 };
const SMALL: Record<string, Record<string, string>> = {
  "iris-mlp.dlg": { h: "5" },
  "mnist-mlp.dlg": { h1: "13", h2: "7" },
  "lenet.dlg": { c1: "3", c2: "5", f1: "11", f2: "7" },
  "residual-mlp.dlg": { width: "7", depth: "2" },
  "gpt.dlg": { vocab: "11", d_model: "8", heads: "2", layers: "1", context: "5" },
};
const SGD: Optimizer = { name: "sgd", args: { lr: 0.1, momentum: 0.9 } };
const ADAM: Optimizer = { name: "adam", args: { lr: 0.01, beta1: 0.9, beta2: 0.999, eps: 1e-8, weight_decay: 0.1 } };

type Kind = "forward" | "backward" | "train";

function programGraph(forward: Graph, kind: Kind, optimizer?: Optimizer): Graph {
  if (kind === "forward") return forward;
  // Gradients are of the training-mode graph (batch_norm's batch statistics), as the compiler's programGraph takes them.
  if (kind === "backward") return buildBackward(forward.training ?? forward);
  return buildTrainStep(forward.training ?? forward, optimizer ?? forward.optimizer!);
}

/** Input shapes with every symbolic dim of the inputs set to `size` (generated programs use N * N and the like). */
function shapesAt(graph: Graph, size: number): Map<string, number[]> {
  const env = new Map<string, number>();
  for (const i of graph.inputs) for (const d of i.type.shape) for (const s of d.symbols()) env.set(s, size);
  return new Map(graph.inputs.map((i) => [i.name, i.type.shape.map((d) => d.evaluate(env)!)] as const));
}

/** What the caller of a program reads whatever it asks for. */
function alwaysKept(graph: Graph): NodeId[] {
  return [...graph.outputs.map((o) => o.node), ...(graph.loss !== undefined ? [graph.loss] : []), ...(graph.grads ?? []).map((g) => g.node), ...(graph.updates ?? []).map((u) => u.node)];
}

const countOf = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

/** Whether `from` broadcasts onto `to` (NumPy, aligned on the right). */
function broadcastsOnto(from: readonly number[], to: readonly number[]): boolean {
  if (from.length > to.length) return from.slice(0, from.length - to.length).every((d) => d === 1) && broadcastsOnto(from.slice(from.length - to.length), to);
  const off = to.length - from.length;
  return from.every((d, i) => d === 1 || d === to[off + i]);
}

/** Every invariant a program's kernels must keep, fused or not; `what` names the program in failure messages. */
function expectSoundKernels(graph: Graph, plan: ProgramPlan, keep: readonly NodeId[], limits: KernelLimits, what: string): void {
  const { buffers, types, kernels } = plan;
  const precomputed = (n: NodeId) => buffers[n]!.source !== undefined || buffers[n]!.folded !== undefined;
  // A view sharing its source's buffer has no kernel: its elements are its source's, in the same row-major order.
  const aliasOf = (n: NodeId) => buffers[n]!.aliasOf;
  for (const n of graph.nodes) {
    const source = aliasOf(n.id);
    if (source === undefined) continue;
    expect(opDef(n.op).view, `${what}: %${n.id} (${n.op}) shares %${source}'s buffer but is not a view`).toBeDefined();
    expect(aliasOf(source), `${what}: %${n.id} shares the buffer of %${source}, itself an alias`).toBeUndefined();
    expect(countOf(types[n.id]!.shape), `${what}: %${n.id} has its source's element count`).toBe(countOf(types[source]!.shape));
  }
  const computed = graph.nodes.filter((n) => !precomputed(n.id) && aliasOf(n.id) === undefined).map((n) => n.id);

  // A partition: every computed node in exactly one kernel, no precomputed node in any.
  const kernelOf = new Map<NodeId, number>();
  kernels.forEach((k, ki) => {
    for (const n of k.nodes) {
      expect(kernelOf.get(n), `${what}: %${n} is computed by kernels ${kernelOf.get(n)} and ${ki}`).toBeUndefined();
      kernelOf.set(n, ki);
    }
  });
  expect([...kernelOf.keys()].sort((a, b) => a - b), `${what}: the computed nodes`).toEqual(computed);

  // A schedule: a kernel reads only values bound before the run or written by an earlier kernel, and its members read
  // each other in topological order.
  const written = new Set<NodeId>(graph.nodes.filter((n) => precomputed(n.id)).map((n) => n.id));
  kernels.forEach((k, ki) => {
    const where = `${what}: kernel ${ki} (${k.what})`;
    const reads = new Set(k.bindings.flatMap((b) => (b.role.kind === "input" ? [b.role.node] : [])));
    const writes = k.bindings.flatMap((b) => (b.role.kind === "output" ? [b.role.node] : []));
    expect(k.bindings.length, `${where}: storage buffers`).toBeLessThanOrEqual(limits.maxStorageBuffersPerShaderStage);
    expect(k.nodes, `${where}: members in topological order`).toEqual([...k.nodes].sort((a, b) => a - b));
    expect(k.node, `${where}: named after its last member`).toBe(k.nodes[k.nodes.length - 1]);
    for (const r of reads) expect(written.has(aliasOf(r) ?? r), `${where} reads %${r} before any kernel writes it`).toBe(true);
    const members = new Set(k.nodes);
    const done = new Set<NodeId>();
    for (const m of k.nodes) {
      for (const i of graph.nodes[m]!.inputs) {
        const literal = buffers[i]!.folded?.length === 1;
        const ok = done.has(i) || (!members.has(i) && (reads.has(i) || literal || (aliasOf(i) !== undefined && reads.has(aliasOf(i)!))));
        expect(ok, `${where}: member %${m} reads %${i}, which is neither an earlier member, bound, nor a folded scalar`).toBe(true);
      }
      done.add(m);
    }
    // Outputs: members only, the root among them, each of the root's element count (a smaller value would otherwise
    // be written once per element of the larger iteration space, and a larger one could not be).
    const rootShape = types[k.node]!.shape;
    expect(writes, `${where}: writes its root`).toContain(k.node);
    expect(new Set(writes).size, `${where}: writes each output once`).toBe(writes.length);
    for (const o of writes) {
      expect(members.has(o), `${where} writes %${o}, not one of its members`).toBe(true);
      expect(countOf(types[o]!.shape), `${where}: output %${o} has the root's element count`).toBe(countOf(rootShape));
      written.add(o);
    }
    if (k.nodes.length > 1) {
      // A view read only by other views (the slice under a reshape) is never indexed by the group's elements itself:
      // its consumers compose its map with theirs. Every other member is read at the group's elements.
      const viewOnly = (m: NodeId) => graph.nodes.filter((n) => members.has(n.id) && n.inputs.includes(m)).every((n) => opDef(n.op).view !== undefined && opDef(n.op).wgsl.kind !== "expression");
      for (const m of k.nodes) {
        if (m !== k.node && opDef(graph.nodes[m]!.op).view !== undefined && viewOnly(m)) continue;
        expect(broadcastsOnto(types[m]!.shape, rootShape), `${where}: %${m} [${types[m]!.shape}] broadcasts onto [${rootShape}]`).toBe(true);
      }
    }
  });

  // Values nobody else reads need no buffer; everything the caller reads has one.
  for (const n of computed) {
    const isOutput = kernels[kernelOf.get(n)!]!.bindings.some((b) => b.role.kind === "output" && b.role.node === n);
    expect(buffers[n]!.internal === true, `${what}: %${n} has a buffer exactly when a kernel writes it`).toBe(!isOutput);
  }
  for (const n of new Set([...alwaysKept(graph), ...keep])) expect(precomputed(n) || buffers[n]!.internal !== true, `${what}: kept %${n} is written`).toBe(true);

  // An update keeps the current value when an earlier kernel reported a failure: its kernel binds both and the status,
  // and runs after every kernel that checks anything, or a failed step would still change what it wrote first.
  const lastCheck = kernels.reduce((last, k, ki) => (k.messages.size > 0 ? ki : last), -1);
  const sourceOf = new Map(graph.nodes.filter((n) => n.op === "param" || n.op === "state").map((n) => [n.attrs["name"] as string, n.id]));
  for (const u of graph.updates ?? []) {
    if (precomputed(u.node)) continue;
    const k = kernels[kernelOf.get(u.node)!]!;
    const current = sourceOf.get(u.name)!;
    expect(k.bindings.some((b) => b.role.kind === "input" && b.role.node === current), `${what}: the kernel writing ${u.name} binds its current value`).toBe(true);
    expect(k.bindings.some((b) => b.role.kind === "status"), `${what}: the kernel writing ${u.name} binds the status words`).toBe(true);
    expect(kernelOf.get(u.node)!, `${what}: the kernel writing ${u.name} runs after the last kernel that checks (${kernels[lastCheck]?.what})`).toBeGreaterThan(lastCheck);
  }
}

interface Emitted {
  fused: ProgramPlan;
  unfused: ProgramPlan;
}

/**
 * Emits a program fused and unfused at these limits and checks both. Undefined when even one kernel per node does not
 * fit the limits (then fusion must not be what fails).
 */
function emitBoth(graph: Graph, shapes: ReadonlyMap<string, readonly number[]>, kind: Kind, limits: KernelLimits, keep: readonly NodeId[], what: string): Emitted | undefined {
  const options = { limits, training: kind === "train", keep };
  let unfused: ProgramPlan;
  try {
    unfused = planProgram(graph, shapes, { ...options, fuse: false });
  } catch (e) {
    if (!(e instanceof CodegenError)) throw e;
    return undefined;
  }
  const fused = planProgram(graph, shapes, options);
  expectSoundKernels(graph, unfused, keep, limits, `${what} unfused`);
  expectSoundKernels(graph, fused, keep, limits, `${what} fused`);
  expect(fused.kernels.length, `${what}: fusion never adds kernels`).toBeLessThanOrEqual(unfused.kernels.length);
  return { fused, unfused };
}

const limitsArb = fc.constantFrom(4, 5, 8).map((n): KernelLimits => ({ ...DEFAULT_LIMITS, maxStorageBuffersPerShaderStage: n }));
const sizeArb = fc.constantFrom(1, 2, 3, 7, 13, 65);

describe("fused kernels are a sound schedule", () => {
  it("on the example models: forward, backward and training step, at awkward batch sizes and binding limits", () => {
    const graphs = new Map(EXAMPLES.map((f) => [f, exampleGraph(f, SMALL[f])] as const));
    const runs = 30;
    let skipped = 0;
    fc.assert(
      fc.property(fc.constantFrom(...EXAMPLES), fc.constantFrom<Kind>("forward", "backward", "train"), sizeArb, limitsArb, fc.array(fc.nat(), { maxLength: 4 }),
        (file, kind, batch, limits, picks) => {
          const graph = programGraph(graphs.get(file)!, kind);
          const keep = picks.map((p) => p % graph.nodes.length);
          const what = `${file} ${kind} at batch ${batch}, ${limits.maxStorageBuffersPerShaderStage} bindings, keeping ${keep.map((k) => `%${k}`).join(" ")}`;
          if (!emitBoth(graph, batchShapes(graph, batch), kind, limits, keep, what)) skipped++;
        }),
      { seed: 0xf05e01, numRuns: runs },
    );
    // Unfused, every example fits 8 bindings per kernel and most fit 4: the property must not pass by skipping.
    expect(skipped).toBeLessThan(runs / 2);
  });

  it("on random DAGs with shared values, broadcasts, reductions and matmuls", () => {
    let fusedSomewhere = 0;
    let anchored = 0;
    fc.assert(
      fc.property(recipeArb(), fc.constantFrom<Kind>("forward", "backward", "train"), limitsArb, fc.boolean(), fc.integer(), (recipe, kind, limits, adam, seed) => {
        const { graph: forward } = buildRandomGraph(recipe, seed);
        const graph = programGraph(forward, kind, adam ? ADAM : SGD);
        const what = `${kind} of ${describeRecipe(recipe)} at ${limits.maxStorageBuffersPerShaderStage} bindings`;
        const emitted = emitBoth(graph, new Map([["x", [recipe.n, recipe.cols]], ["y", [recipe.n, 1]], ["s", []]]), kind, limits, [], what);
        if (!emitted) return;
        if (emitted.fused.kernels.length < emitted.unfused.kernels.length) fusedSomewhere++;
        if (emitted.fused.kernels.some((k) => k.op === "matmul" && k.nodes.length > 1)) anchored++;
      }),
      { seed: 0xf05e02, numRuns: 300 },
    );
    expect(fusedSomewhere).toBeGreaterThan(100);
    expect(anchored).toBeGreaterThan(10);
  });

  it("on random .dlg programs: forward, and backward and training step where they train", () => {
    let checked = 0;
    fc.assert(
      fc.property(programArb, sizeArb, limitsArb, ({ program }, size, limits) => {
        const result = compileText(render(program).text);
        expect(result.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
        const forward = result.check!.graph;
        const trains = forward.loss !== undefined && forward.optimizer !== undefined && forward.params.length > 0;
        // buildTrainStep cannot yet update f16 parameters (its optimizer constants are f32).
        const f32 = forward.params.every((p) => p.type.dtype === "f32");
        const kinds: Kind[] = trains ? (f32 ? ["forward", "backward", "train"] : ["forward", "backward"]) : ["forward"];
        for (const kind of kinds) {
          const graph = programGraph(forward, kind);
          if (emitBoth(graph, shapesAt(graph, size), kind, limits, [], `${kind} at size ${size}, ${limits.maxStorageBuffersPerShaderStage} bindings:\n${render(program).text}`)) checked++;
        }
      }),
      { seed: 0xf05e03, numRuns: 100 },
    );
    expect(checked).toBeGreaterThan(80);
  });
});

describe("fusion cuts the kernel count of training steps", () => {
  for (const [file, batch] of [["mnist-mlp.dlg", 64], ["lenet.dlg", 32]] as const) {
    it(`${file}: the training step at its default sizes has far fewer kernels fused`, () => {
      const forward = exampleGraph(file);
      const graph = buildTrainStep(forward, forward.optimizer!);
      const shapes = batchShapes(graph, batch);
      const fused = planProgram(graph, shapes, { limits: DEFAULT_LIMITS, training: true });
      const unfused = planProgram(graph, shapes, { limits: DEFAULT_LIMITS, training: true, fuse: false });
      console.log(`${file} training step at batch ${batch}: ${fused.kernels.length} kernels fused, ${unfused.kernels.length} unfused`);
      expect(fused.kernels.length).toBeLessThan(0.7 * unfused.kernels.length);
    });
  }
});

describe("dispatches per training step", () => {
  // Budgets for the artifacts `dlg compile` writes (any batch up to N, Adam): at an adapter's usual 16 storage buffers
  // per stage (lavapipe's, most desktop GPUs'), which the runtime compiles for, and at the core limit of 8, which
  // portable artifacts keep to (fewer bindings split optimizer updates). Counts, not times: a fusion regression fails.
  const budgets = [["mnist-mlp.dlg", 64, 30, 39], ["lenet.dlg", 32, 50, 57]] as const;
  for (const [file, batch, at16, at8] of budgets) {
    it(`${file}: the Adam training step at batch ${batch} takes at most ${at16} dispatches (16 storage buffers), ${at8} (8)`, () => {
      const forward = exampleGraph(file);
      const count = (buffers: number) =>
        compileModel(forward, "M", { batch, limits: { ...DEFAULT_LIMITS, maxStorageBuffersPerShaderStage: buffers } }).programs.train!.kernels.length;
      expect(count(16)).toBeLessThanOrEqual(at16);
      expect(count(8)).toBeLessThanOrEqual(at8);
    });
  }
});

/** A forward graph from `.dlg` source at one batch size, emitted fused and unfused at the default limits. */
function emitSource(source: string, batch: number, keep: NodeId[] = []): { graph: Graph } & Emitted {
  const r = compileText(source);
  expect(r.diagnostics).toEqual([]);
  const graph = r.check!.graph;
  const emitted = emitBoth(graph, batchShapes(graph, batch), "forward", DEFAULT_LIMITS, keep, "source")!;
  return { graph, ...emitted };
}

const opsOf = (graph: Graph, nodes: readonly NodeId[]) => nodes.map((n) => graph.nodes[n]!.op);

function built(build: (b: IRBuilder, x: TensorValue) => TensorValue[], shape: number[] = [5, 7]): { graph: Graph } & Emitted {
  const b = new IRBuilder();
  const x = b.input("x", { dtype: "f32", shape: shape.map((d) => Dim.const(d)) }, span);
  for (const [i, v] of build(b, x).entries()) b.graph.outputs.push({ name: `y${i}`, node: v.node, type: v.type });
  const emitted = emitBoth(b.graph, new Map([["x", shape]]), "forward", DEFAULT_LIMITS, [], "built")!;
  return { graph: b.graph, ...emitted };
}

describe("fused kernels of known programs", () => {
  const denseRelu = `model M() {
  input x: f32[N, 5]
  y = dense(x, 3) -> relu
  output y
}`;

  it("dense -> relu: the matmul's kernel applies the bias add and the relu as it stores, one kernel for three", () => {
    const { graph, fused, unfused } = emitSource(denseRelu, 4);
    const computed = graph.nodes.filter((n) => n.op !== "input" && n.op !== "param");
    expect(computed.map((n) => n.op)).toEqual(["matmul", "add", "relu"]);
    const [matmul, add, relu] = computed.map((n) => n.id) as [NodeId, NodeId, NodeId];
    expect(unfused.kernels.map((k) => k.op)).toEqual(["matmul", "add", "relu"]);
    expect(fused.kernels).toHaveLength(1);
    const k = fused.kernels[0]!;
    expect(k.op).toBe("matmul");
    expect(k.nodes).toEqual([matmul, add, relu]);
    const [x, w, bias] = [...graph.nodes[matmul]!.inputs, graph.nodes[add]!.inputs[1]!];
    expect(k.bindings.map((b) => [b.name, b.role.kind === "input" || b.role.kind === "output" ? b.role.node : b.role.kind])).toEqual([
      ["src0", x], ["src1", w], ["src2", bias], ["dst", relu],
    ]);
    // Neither the product nor the sum reaches memory.
    expect(fused.buffers[matmul]!.internal).toBe(true);
    expect(fused.buffers[add]!.internal).toBe(true);
  });

  it("keeps a value the matmul reads out of the matmul's epilogue, even where the epilogue reads it too", () => {
    const { graph, fused } = built((b, x) => {
      const e = b.op("exp", [x]);
      const w = b.param("w", { dtype: "f32", shape: [Dim.const(7), Dim.const(7)] }, { name: "zeros", args: [] }, span);
      return [b.op("add", [b.op("matmul", [e, w]), e])];
    });
    expect(fused.kernels.map((k) => opsOf(graph, k.nodes))).toEqual([["exp"], ["matmul", "add"]]);
  });

  it("scalar constants are written into the kernel as literals, not bound", () => {
    const { graph, fused } = emitSource(`model M() {
  input x: f32[N, 4]
  y = tanh((x - 0.1307) / 0.3081)
  output y
}`, 3);
    expect(fused.kernels).toHaveLength(1);
    const k = fused.kernels[0]!;
    expect(opsOf(graph, k.nodes)).toEqual(["sub", "div", "tanh"]);
    expect(k.bindings.map((b) => b.name)).toEqual(["src0", "dst"]);
    for (const c of [0.1307, 0.3081]) expect(k.wgsl).toContain(literal(c, "f32"));
  });

  it("does not fuse a value into a consumer that also needs a reduction of it (the groups would wait on each other)", () => {
    const { graph, fused } = built((b, x) => {
      const e = b.op("exp", [x]);
      const max = b.op("reduce_max", [e], { axes: [1], keepdims: true });
      return [b.op("sub", [e, max])];
    });
    expect(fused.kernels.map((k) => opsOf(graph, k.nodes))).toEqual([["exp"], ["reduce_max"], ["sub"]]);
  });

  it("recomputes a smaller value per element when only the group reads it, and gives it a kernel when others do", () => {
    const chain = (b: IRBuilder, x: TensorValue) => {
      const rowSum = b.op("reduce_sum", [x], { axes: [1], keepdims: true });
      const scale = b.op("exp", [b.op("neg", [rowSum])]);
      return { scale, y: b.op("mul", [x, scale]) };
    };
    const alone = built((b, x) => [chain(b, x).y]);
    expect(alone.fused.kernels.map((k) => opsOf(alone.graph, k.nodes))).toEqual([["reduce_sum"], ["neg", "exp", "mul"]]);
    const shared = built((b, x) => {
      const { scale, y } = chain(b, x);
      return [y, scale];
    });
    // Needed elsewhere, the scale gets a kernel: the reduction's, whose stores it follows as an epilogue.
    expect(shared.fused.kernels.map((k) => opsOf(shared.graph, k.nodes))).toEqual([["reduce_sum", "neg", "exp"], ["mul"]]);
  });

  it("writes a value the caller asks to keep, without splitting its kernel", () => {
    const source = `model M() {
  input x: f32[N, 4]
  h = dense(x, 6) -> tanh
  output h
}`;
    const plain = emitSource(source, 2);
    const add = plain.graph.nodes.find((n) => n.op === "add")!.id;
    expect(plain.fused.buffers[add]!.internal).toBe(true);
    const kept = emitSource(source, 2, [add]);
    expect(kept.fused.kernels.map((k) => k.nodes)).toEqual(plain.fused.kernels.map((k) => k.nodes));
    expect(kept.fused.buffers[add]!.internal).toBeUndefined();
    const k = kept.fused.kernels.find((q) => q.nodes.includes(add))!;
    expect(k.bindings.filter((b) => b.role.kind === "output").map((b) => b.role.kind === "output" && b.role.node)).toEqual([add, k.node]);
  });

  it("splits a sum of many inputs into kernels that fit the binding limit", () => {
    const b = new IRBuilder();
    const xs = Array.from({ length: 7 }, (_, i) => b.input(`x${i}`, { dtype: "f32", shape: [Dim.const(9)] }, span));
    const sum = xs.slice(1).reduce((acc, x) => b.op("add", [acc, x]), xs[0]!);
    b.graph.outputs.push({ name: "sum", node: sum.node, type: sum.type });
    const shapes = new Map(xs.map((_, i) => [`x${i}`, [9]] as const));
    for (const [limit, kernels] of [[8, 1], [4, 3]] as const) {
      const limits = { ...DEFAULT_LIMITS, maxStorageBuffersPerShaderStage: limit };
      const { fused, unfused } = emitBoth(b.graph, shapes, "forward", limits, [], `sum at ${limit}`)!;
      expect(unfused.kernels).toHaveLength(6);
      expect(fused.kernels, `at ${limit} bindings`).toHaveLength(kernels);
    }
  });
});
