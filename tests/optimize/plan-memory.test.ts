// The liveness-based memory planner: random schedules checked by the planner's own verifier and by a naive
// step-by-step one, the exact buffer counts of chains, the same-dispatch rule, input validation, a verifier that
// does fail on a broken plan, and the example models' programs planned as the runtime would run them.
import { ROOT } from "../helpers.js";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { planMemory, verifyMemoryPlan, type MemoryPlan, type MemoryStep, type MemoryValue } from "../../compiler/4-optimize/plan-memory.js";
import { buildTrainStep } from "../../compiler/3-autodiff/train-step.js";
import { type ProgramPlan } from "../../compiler/5-codegen-wgsl/emit-program.js";
import { DEFAULT_LIMITS, limitsOf } from "../../compiler/wgsl/limits.js";
import { compile, planProgram } from "../../compiler/index.js";
import type { Graph, NodeId } from "../../compiler/ir/graph.js";

interface Problem {
  values: MemoryValue[];
  steps: MemoryStep[];
}

/** A random schedule: a few inputs, then steps reading 1-3 earlier values and writing 1-2 new ones. */
const schedules: fc.Arbitrary<Problem> = fc
  .record({
    inputs: fc.integer({ min: 1, max: 4 }),
    steps: fc.array(fc.record({ reads: fc.array(fc.nat(), { minLength: 1, maxLength: 3 }), writes: fc.integer({ min: 1, max: 2 }) }), { minLength: 1, maxLength: 40 }),
    // Words, so sizes are multiples of 4, 0 included; a few large ones so growth and best fit both matter.
    words: fc.array(fc.oneof(fc.integer({ min: 0, max: 16 }), fc.integer({ min: 0, max: 4096 })), { minLength: 1, maxLength: 32 }),
    pins: fc.array(fc.integer({ min: 0, max: 5 }), { minLength: 1, maxLength: 32 }),
    // Ids need not be dense nor ordered like the schedule.
    idOffset: fc.integer({ min: 0, max: 1000 }),
    reversed: fc.boolean(),
  })
  .map(({ inputs, steps, words, pins, idOffset, reversed }) => {
    const values: MemoryValue[] = [];
    const add = () => {
      const k = values.length;
      const v: MemoryValue = { id: idOffset + 3 * k, bytes: 4 * words[k % words.length]! };
      if (pins[k % pins.length] === 0) v.pinned = true;
      values.push(v);
      return v.id;
    };
    for (let i = 0; i < inputs; i++) add();
    const out: MemoryStep[] = steps.map((s) => {
      const reads = s.reads.map((r) => values[r % values.length]!.id);
      const writes = Array.from({ length: s.writes }, add);
      return { reads, writes };
    });
    return { values: reversed ? values.reverse() : values, steps: out };
  });

/**
 * Liveness computed the slow way: at each point (before step 0, then each step), the values live there. Independent
 * of the planner's intervals, so the verifier is checked as well as the plan.
 */
function liveAt(p: Problem): Set<number>[] {
  const points: Set<number>[] = [];
  for (let t = -1; t < p.steps.length; t++) {
    const now = new Set<number>();
    for (const v of p.values) {
      if (v.pinned) {
        now.add(v.id);
        continue;
      }
      const w = p.steps.findIndex((s) => s.writes.includes(v.id));
      const reads = p.steps.flatMap((s, i) => (s.reads.includes(v.id) ? [i] : []));
      const last = Math.max(w, ...reads);
      if (w <= t && t <= last) now.add(v.id);
    }
    points.push(now);
  }
  return points;
}

const size = (v: MemoryValue) => Math.max(4, v.bytes);

function naiveCheck(plan: MemoryPlan, p: Problem): void {
  for (const [t, now] of liveAt(p).entries()) {
    const owner = new Map<number, number>();
    for (const id of now) {
      const b = plan.bufferOf.get(id)!;
      expect(owner.get(b), `%${owner.get(b)} and %${id} share buffer ${b} at point ${t - 1}`).toBeUndefined();
      owner.set(b, id);
    }
  }
}

/** The most bytes live at once: no plan, buffers or offsets, can allocate less. */
function liveBound(p: Problem): number {
  const bytes = new Map(p.values.map((v) => [v.id, size(v)] as const));
  return Math.max(...liveAt(p).map((now) => [...now].reduce((s, id) => s + bytes.get(id)!, 0)));
}

/** x0 -> x1 -> ... -> xN, one elementwise step each, all of `bytes`. */
function chain(n: number, bytes: number, pinned: { first?: boolean; last?: boolean } = {}): Problem {
  const values: MemoryValue[] = Array.from({ length: n + 1 }, (_, i) => ({ id: i, bytes }));
  if (pinned.first) values[0]!.pinned = true;
  if (pinned.last) values[n]!.pinned = true;
  return { values, steps: Array.from({ length: n }, (_, i) => ({ reads: [i], writes: [i + 1] })) };
}

const sharedBuffers = (plan: MemoryPlan) => plan.buffers.filter((b) => !b.pinned).length;

describe("planMemory on random schedules", () => {
  it("never lets two live values share a buffer, sizes every buffer for its values, and keeps pinned values alone", () => {
    fc.assert(fc.property(schedules, (p) => {
      const plan = planMemory(p.values, p.steps);
      verifyMemoryPlan(plan, p.values, p.steps);
      naiveCheck(plan, p);
      for (const v of p.values) {
        const b = plan.buffers[plan.bufferOf.get(v.id)!]!;
        expect(b.bytes).toBeGreaterThanOrEqual(size(v));
        expect(b.values).toContain(v.id);
        if (v.pinned) {
          expect(b.pinned).toBe(true);
          expect(b.values).toEqual([v.id]);
        }
      }
      const byId = new Map(p.values.map((v) => [v.id, v] as const));
      for (const b of plan.buffers) {
        // A buffer is exactly as large as its largest value: growth never overshoots.
        expect(b.bytes).toBe(Math.max(...b.values.map((id) => size(byId.get(id)!))));
        if (b.pinned) expect(b.values).toHaveLength(1);
      }
      expect(plan.buffers.flatMap((b) => b.values).sort((a, b) => a - b)).toEqual(p.values.map((v) => v.id).sort((a, b) => a - b));
      expect(plan.peakBytes).toBe(plan.buffers.reduce((s, b) => s + b.bytes, 0));
      expect(plan.unplannedBytes).toBe(p.values.reduce((s, v) => s + size(v), 0));
      expect(plan.peakBytes).toBeLessThanOrEqual(plan.unplannedBytes);
      expect(plan.peakBytes).toBeGreaterThanOrEqual(liveBound(p));
    }), { seed: 1, numRuns: 300 });
  });

  it("has a verifier that fails when two values live at once are put in one buffer", () => {
    fc.assert(fc.property(schedules, fc.nat(), (p, pick) => {
      const plan = planMemory(p.values, p.steps);
      // Every pair of values live together somewhere, in different buffers (as the plan must have them).
      const pairs: [number, number][] = [];
      for (const now of liveAt(p)) {
        const ids = [...now];
        for (let i = 0; i < ids.length; i++) for (let j = i + 1; j < ids.length; j++) pairs.push([ids[i]!, ids[j]!]);
      }
      fc.pre(pairs.length > 0);
      const [a, b] = pairs[pick % pairs.length]!;
      const broken = structuredClone(plan);
      const from = broken.bufferOf.get(b)!;
      const to = broken.bufferOf.get(a)!;
      expect(from).not.toBe(to);
      // Moved consistently (lists, sizes, totals), so only the overlap, or a pinned buffer now shared, is wrong.
      broken.buffers[from]!.values = broken.buffers[from]!.values.filter((id) => id !== b);
      broken.buffers[to]!.values.push(b);
      broken.buffers[to]!.bytes = Math.max(broken.buffers[to]!.bytes, broken.buffers[from]!.bytes);
      broken.bufferOf.set(b, to);
      broken.peakBytes = broken.buffers.reduce((s, x) => s + x.bytes, 0);
      expect(() => verifyMemoryPlan(broken, p.values, p.steps)).toThrow(/^internal: memory plan: /);
    }), { seed: 1, numRuns: 300 });
  });
});

describe("planMemory on small schedules", () => {
  it("runs a chain of elementwise steps in two buffers", () => {
    for (let n = 2; n <= 9; n++) {
      for (const pinned of [{}, { first: true }, { last: true }, { first: true, last: true }]) {
        const p = chain(n, 400, pinned);
        const plan = planMemory(p.values, p.steps);
        verifyMemoryPlan(plan, p.values, p.steps);
        // Step i reads x_i and writes x_i+1, so those two never share; x_i+2 takes x_i's buffer back. Only a chain
        // pinned at both ends with a single value between them needs fewer.
        const pins = (pinned.first ? 1 : 0) + (pinned.last ? 1 : 0);
        const shared = Math.min(2, n + 1 - pins);
        expect(sharedBuffers(plan), JSON.stringify({ n, pinned })).toBe(shared);
        expect(plan.peakBytes).toBe(400 * (shared + pins));
        expect(plan.unplannedBytes).toBe(400 * (n + 1));
      }
    }
    const one = chain(1, 8);
    expect(sharedBuffers(planMemory(one.values, one.steps))).toBe(2);
  });

  it("never hands a buffer read in a step to a value written in that step", () => {
    // a -> b at step 0, b -> c at step 1: a's last read is step 0, when b is written; c (step 1) may take a's.
    const values = [{ id: 10, bytes: 64 }, { id: 11, bytes: 64 }, { id: 12, bytes: 64 }];
    const steps = [{ reads: [10], writes: [11] }, { reads: [11], writes: [12] }];
    const plan = planMemory(values, steps);
    expect(plan.bufferOf.get(11)).not.toBe(plan.bufferOf.get(10));
    expect(plan.bufferOf.get(12)).toBe(plan.bufferOf.get(10));
    // A value never read is live during its writing step only, so it cannot share with that step's reads either.
    const sink = planMemory([{ id: 1, bytes: 4 }, { id: 2, bytes: 4 }], [{ reads: [1], writes: [2] }]);
    expect(sink.buffers).toHaveLength(2);
  });

  it("reuses a free buffer rather than adding one, growing it when none is large enough", () => {
    // a (16) and b (64) are free after step 0; d, written at step 1 while c is live, needs no buffer of its own.
    const problem = (d: number): Problem => ({
      values: [{ id: 1, bytes: 16 }, { id: 2, bytes: 64 }, { id: 3, bytes: 4 }, { id: 4, bytes: d }],
      steps: [{ reads: [1, 2], writes: [3] }, { reads: [3], writes: [4] }],
    });
    for (const [d, peak] of [[12, 84], [32, 84], [64, 84], [128, 148]] as const) {
      const p = problem(d);
      const plan = planMemory(p.values, p.steps);
      verifyMemoryPlan(plan, p.values, p.steps);
      expect(plan.buffers, `d of ${d} bytes`).toHaveLength(3);
      expect(plan.peakBytes, `d of ${d} bytes`).toBe(peak);
      if (d > 16) expect(plan.bufferOf.get(4), `d of ${d} bytes`).toBe(plan.bufferOf.get(2));
    }
  });

  it("keeps pinned values in buffers of their own, and sizes empty values at 4 bytes", () => {
    const values = [{ id: 0, bytes: 0, pinned: true }, { id: 1, bytes: 0 }, { id: 2, bytes: 8, pinned: true }, { id: 3, bytes: 0 }];
    const steps = [{ reads: [0], writes: [1] }, { reads: [1], writes: [2] }, { reads: [2], writes: [3] }];
    const plan = planMemory(values, steps);
    verifyMemoryPlan(plan, values, steps);
    expect(plan.buffers.filter((b) => b.pinned).map((b) => b.values)).toEqual([[0], [2]]);
    // 1 and 3 do not overlap (1 ends at step 1, 3 starts at step 2): one shared buffer.
    expect(plan.bufferOf.get(1)).toBe(plan.bufferOf.get(3));
    expect(plan.peakBytes).toBe(4 + 8 + 4);
    expect(plan.unplannedBytes).toBe(4 + 4 + 8 + 4);
    expect(planMemory([], [])).toEqual({ bufferOf: new Map(), buffers: [], peakBytes: 0, unplannedBytes: 0, live: new Map() });
  });

  it("names both values and the step when a plan is broken", () => {
    const p = chain(3, 16);
    const plan = planMemory(p.values, p.steps);
    const broken = structuredClone(plan);
    const b1 = broken.bufferOf.get(1)!;
    const b2 = broken.bufferOf.get(2)!;
    broken.buffers[b2]!.values = broken.buffers[b2]!.values.filter((id) => id !== 2);
    broken.buffers[b1]!.values.push(2);
    broken.bufferOf.set(2, b1);
    expect(() => verifyMemoryPlan(broken, p.values, p.steps)).toThrow("internal: memory plan: values %1 and %2 share buffer 1 while both are live at step 1");
    const small = structuredClone(plan);
    small.buffers[0]!.bytes = 8;
    small.peakBytes -= 8;
    expect(() => verifyMemoryPlan(small, p.values, p.steps)).toThrow(/value %\d \(16 bytes\) is in buffer 0 of 8 bytes/);
    const wrongPeak = { ...plan, peakBytes: plan.peakBytes - 4 };
    expect(() => verifyMemoryPlan(wrongPeak, p.values, p.steps)).toThrow(/peakBytes is 28, the buffers add up to 32/);
  });

  it("refuses inconsistent schedules", () => {
    const v = [{ id: 1, bytes: 4 }, { id: 2, bytes: 4 }];
    expect(() => planMemory(v, [{ reads: [1], writes: [2] }, { reads: [1], writes: [2] }])).toThrow("internal: value %2 is written by step 0 and step 1");
    expect(() => planMemory(v, [{ reads: [2], writes: [] }, { reads: [1], writes: [2] }])).toThrow("internal: value %2 is read by step 0 but written by step 1");
    expect(() => planMemory(v, [{ reads: [2], writes: [2] }])).toThrow("internal: value %2 is read by step 0 but written by step 0");
    expect(() => planMemory(v, [{ reads: [1], writes: [7] }])).toThrow("internal: step 0 writes %7, which is not a planned value");
    expect(() => planMemory(v, [{ reads: [9], writes: [2] }])).toThrow("internal: step 0 reads %9, which is not a planned value");
    expect(() => planMemory([...v, { id: 1, bytes: 8 }], [])).toThrow("internal: memory planning got value %1 twice");
    expect(() => planMemory([{ id: 1, bytes: 6 }], [])).toThrow("internal: value %1 has 6 bytes, not a multiple of 4");
    expect(() => verifyMemoryPlan(planMemory(v, []), v, [{ reads: [1], writes: [7] }])).toThrow(/^internal: step 0 writes %7/);
  });

  it("plans 20,000 values quickly, all live at once too", () => {
    // A long schedule of small DAG steps with varied sizes: the planner must stay near n log n.
    const values: MemoryValue[] = [];
    const steps: MemoryStep[] = [];
    let seed = 7;
    const rand = (n: number) => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return (seed >>> 8) % n;
    };
    for (let i = 0; i < 8; i++) values.push({ id: i, bytes: 4 * (1 + rand(1 << 16)), pinned: true });
    while (values.length < 20_000) {
      const reads = Array.from({ length: 1 + rand(3) }, () => values[values.length - 1 - rand(Math.min(values.length, 200))]!.id);
      const id = values.length;
      values.push({ id, bytes: 4 * (1 + rand(1 << 16)) });
      steps.push({ reads, writes: [id] });
    }
    const started = performance.now();
    const plan = planMemory(values, steps);
    const ms = performance.now() - started;
    verifyMemoryPlan(plan, values, steps);
    expect(plan.peakBytes).toBeLessThan(plan.unplannedBytes / 10);
    expect(ms).toBeLessThan(2000);
    // Every value read by one last step: nothing can share, and no strategy may scan all buffers for each value.
    const wide = values.map((v) => ({ id: v.id, bytes: v.bytes }));
    const wideSteps = [...steps, { reads: wide.map((v) => v.id), writes: [] }];
    const t = performance.now();
    const all = planMemory(wide, wideSteps);
    const wideMs = performance.now() - t;
    verifyMemoryPlan(all, wide, wideSteps);
    expect(all.peakBytes).toBe(all.unplannedBytes);
    expect(wideMs).toBeLessThan(2000);
    console.log(`20,000 values planned in ${ms.toFixed(0)} ms, all live at once in ${wideMs.toFixed(0)} ms`);
  });
});

// Programs as the runtime runs them: one step per kernel (its input bindings read, its output bindings written), one
// value per node's buffer; sources, folded constants and what the session reads back or keeps are pinned.
function example(file: string): Graph {
  const r = compile(readFileSync(join(ROOT, "dsl-examples", file), "utf8"), `dsl-examples/${file}`);
  expect(r.diagnostics).toEqual([]);
  return r.check!.graph;
}

function programProblem(plan: ProgramPlan, kept: readonly NodeId[]): Problem {
  const keep = new Set(kept);
  const values = plan.buffers.map((b): MemoryValue => ({ id: b.node, bytes: b.bytes, pinned: !!b.source || !!b.folded || keep.has(b.node) }));
  const steps = plan.kernels.map((k): MemoryStep => ({
    reads: k.bindings.flatMap((b) => (b.role.kind === "input" ? [b.role.node] : [])),
    writes: k.bindings.flatMap((b) => (b.role.kind === "output" ? [b.role.node] : [])),
  }));
  return { values, steps };
}

function planAndCheckMemory(name: string, plan: ProgramPlan, kept: readonly NodeId[]): MemoryPlan {
  const p = programProblem(plan, kept);
  const memory = planMemory(p.values, p.steps);
  verifyMemoryPlan(memory, p.values, p.steps);
  const pinned = memory.buffers.filter((b) => b.pinned).reduce((s, b) => s + b.bytes, 0);
  const mib = (n: number) => `${(n / 2 ** 20).toFixed(2)} MiB`;
  console.log(`${name}: ${p.values.length} values, ${p.steps.length} kernels; peak ${mib(memory.peakBytes)} (${memory.peakBytes} bytes) in ${memory.buffers.length} buffers `
    + `against ${mib(memory.unplannedBytes)} (${memory.unplannedBytes} bytes) unplanned; pinned ${mib(pinned)}, shared ${mib(memory.peakBytes - pinned)} `
    + `against ${mib(memory.unplannedBytes - pinned)}; most live at once ${mib(liveBound(p))}`);
  expect(memory.peakBytes).toBeLessThan(memory.unplannedBytes);
  return memory;
}

describe("planMemory on the example models' programs", () => {
  const limits = limitsOf(DEFAULT_LIMITS);
  const batch = 64;
  const shapes = (graph: Graph) => new Map(graph.inputs.map((i) => [i.name, i.type.shape.map((d, k) => (k === 0 ? batch : d.constValue()!))] as const));

  for (const file of ["mnist-mlp.dlg", "lenet.dlg"]) {
    it(`${file}: the training step at batch ${batch}`, () => {
      const forward = example(file);
      const train = buildTrainStep(forward, forward.optimizer!);
      const plan = planProgram(train, shapes(train), { limits, training: true });
      // The session reads the loss back; the updates go to the parameter and state slots it lends.
      planAndCheckMemory(`${file} train step, batch ${batch}`, plan, [train.loss!, ...train.updates!.map((u) => u.node)]);
    });
  }

  it(`mnist-mlp.dlg: the forward pass at batch ${batch}`, () => {
    const forward = example("mnist-mlp.dlg");
    const plan = planProgram(forward, shapes(forward), { limits, training: false });
    planAndCheckMemory(`mnist-mlp.dlg forward, batch ${batch}`, plan, [...forward.outputs.map((o) => o.node), forward.loss!]);
  });
});
