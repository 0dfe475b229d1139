// What the peer benchmarks (peer-mlp, peer-lenet) share: the peers' seeded generator, the command line, and the timing
// of training steps through dlg's public entry points, printed as the JSON line ../shared/peers/run_vs.sh reads.
import { compile, GpuSession, type HostTensor } from "../sessions/index.js";
import { nodeDevice, type AdapterChoice } from "../runtime/node/index.js";

/** The peers' generator (lib/mlpdata.mjs): the same seed gives every peer the same weights and data. */
export function mulberry32(seed: number): () => number {
  let a = seed;
  return () => {
    a |= 0;
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface PeerProblem {
  /** The model in dlg's language, trained with plain SGD. */
  source: string;
  /** Parameters by dlg's names. */
  params: ReadonlyMap<string, HostTensor>;
  batch: Record<string, HostTensor>;
  /** The initial loss in float64, which every peer's first step must reproduce. */
  referenceLoss: number;
  flopsPerStep: number;
  bench: string;
}

/** Parses `vulkan|gles [--trials=N] [--steps=N] [--nofuse]`, or exits with the usage line. */
export function peerArguments(usage: string): { adapter: AdapterChoice; trials: number; steps: number; fuse: boolean } {
  const which = process.argv[2] ?? "vulkan";
  if (which !== "vulkan" && which !== "gles") {
    console.error(`usage: ${usage} vulkan|gles [--trials=N] [--steps=N] [--nofuse]`);
    process.exit(2);
  }
  const arg = (key: string, fallback: number) => Number(process.argv.find((a) => a.startsWith(`--${key}=`))?.split("=")[1] ?? fallback);
  return { adapter: which, trials: arg("trials", 3), steps: arg("steps", 20), fuse: !process.argv.includes("--nofuse") };
}

/**
 * One step (compiling the program: the first-step latency), then `trials` runs of `steps` steps each, losses read
 * once a run as the peers do; prints the JSON line.
 */
export async function runPeerBenchmark(problem: PeerProblem, options: ReturnType<typeof peerArguments>): Promise<void> {
  const { adapter, trials, steps, fuse } = options;
  if (adapter === "gles") process.env["EGL_PLATFORM"] ??= "surfaceless";
  const checked = compile(problem.source, "peer.dlg");
  if (!checked.ok || !checked.check) throw new Error(checked.diagnostics.map((d) => d.message).join("; "));
  const gpu = await nodeDevice(adapter);
  const session = new GpuSession(checked.check.graph, { gpu, seed: 0, fuse });
  for (const [name, tensor] of problem.params) session.params.set(name, tensor);
  let start = performance.now();
  const first = session.trainStep(problem.batch);
  await session.flush();
  const loss0 = await first;
  const firstStepMs = performance.now() - start;
  const times: number[] = [];
  let lossAfter = loss0;
  for (let t = 0; t < trials; t++) {
    start = performance.now();
    const pending: Promise<number>[] = [];
    for (let i = 0; i < steps; i++) pending.push(session.trainStep(problem.batch));
    await session.flush();
    const losses = await Promise.all(pending);
    lossAfter = losses[losses.length - 1]!;
    times.push((performance.now() - start) / steps);
  }
  const sorted = [...times].sort((a, b) => a - b);
  const min = sorted[0]!, median = sorted[Math.floor(sorted.length / 2)]!;
  const rows = problem.batch[Object.keys(problem.batch)[0]!]!.shape[0];
  console.log(JSON.stringify({
    peer: fuse ? "dlg" : "dlg-nofuse", adapter, adapterLine: gpu.adapter, bench: problem.bench, batch: rows, steps_per_trial: steps,
    first_step_ms: +firstStepMs.toFixed(1), ms_min: +min.toFixed(2), ms_med: +median.toFixed(2),
    steps_per_s_best: +(1000 / min).toFixed(2), steps_per_s_med: +(1000 / median).toFixed(2), gflops_equiv_best: +(problem.flopsPerStep / min / 1e6).toFixed(2),
    loss0, ref_loss0: +problem.referenceLoss.toFixed(5), loss0_ok: Math.abs(loss0 - problem.referenceLoss) < 1e-3, loss_after: lossAfter,
  }));
  await session.destroy();
  process.exit(0);
}
