// The training loop over a bound dataset: shuffled mini-batches, per-epoch mean loss, held-out loss and accuracy.
import { streams } from "./random.js";
import { selectRows } from "./data/dataset.js";
import { argmax } from "./metrics.js";
import { sliceRows, type HostTensor } from "./tensor.js";

export type Split = Readonly<Record<string, HostTensor>>;

/** The output a classifier's loss scores as class scores (classes last) and the input holding its labels, by name. */
export interface ClassifierTarget {
  output: string;
  labels: string;
}

/** A forward pass without training: the loss when the model has one, and the outputs asked for, by name. */
export interface Evaluation {
  loss: number | undefined;
  outputs: ReadonlyMap<string, { shape: readonly number[]; data: ArrayLike<number> }>;
}

/**
 * What the loop needs of a backend: the CPU session answers at once, the GPU session with promises. It is told what
 * to score (recorded by the checker from the loss), never left to search a graph, so it runs without the compiler.
 */
export interface TrainableSession {
  readonly backend: "cpu" | "webgpu";
  /** What held-out accuracy is measured on; undefined when the model is not a classifier. */
  readonly classifier: ClassifierTarget | undefined;
  /** A GPU session resolves a step's loss when it reads it back, with those of later steps (see `flush`). */
  trainStep(batch: Split): number | Promise<number>;
  /** Reads back the losses of steps still waiting for theirs. */
  flush?(): Promise<void>;
  /**
   * The first parameter or optimizer state tensor holding NaN or infinity, described; undefined when all are finite.
   * Checked after every epoch: a step's loss is computed before its update, so the last update of a run is seen by
   * no loss, and a run that diverges there must still not pass for a good one.
   */
  nonFinite?(): string | undefined | Promise<string | undefined>;
  /** The forward pass (dropout off) on a batch: its loss and the named outputs. */
  evaluateBatch(batch: Split, outputs: readonly string[]): Evaluation | Promise<Evaluation>;
}

export interface EpochReport {
  epoch: number;
  /** Mean training loss over the epoch's batches. */
  loss: number;
  /** Fraction of held-out rows classified correctly; null when the model is not a classifier. */
  accuracy: number | null;
  /** Mean loss on the held-out split. */
  testLoss: number;
  seconds: number;
  backend: "cpu" | "webgpu";
}

export interface TrainOptions {
  epochs: number;
  batch: number;
  seed: number;
  /** Called after every step (for a progress bar). */
  onStep?: (p: { epoch: number; step: number; steps: number; loss: number }) => void;
  /** Called after every epoch; training waits for a returned promise (a plot being written). */
  onEpoch?: (report: EpochReport) => void | Promise<void>;
}

/** Bad numbers in training: reported with where they appeared, never as silent garbage. */
export class TrainingError extends Error {}

export function rowsOf(split: Split): number {
  const first = Object.values(split)[0];
  return first?.shape[0] ?? 0;
}

/** How many training steps may be recorded before the oldest one's loss is awaited. */
const STEPS_AHEAD = 64;

function batches(rows: number, batch: number): number {
  return Math.ceil(rows / batch);
}

export async function evaluate(session: TrainableSession, split: Split, batch: number): Promise<{ loss: number; accuracy: number | null }> {
  const target = session.classifier;
  const rows = rowsOf(split);
  let lossSum = 0;
  let correct = 0;
  for (let start = 0; start < rows; start += batch) {
    const end = Math.min(rows, start + batch);
    const part = Object.fromEntries(Object.entries(split).map(([k, v]) => [k, sliceRows(v, start, end)]));
    const out = await session.evaluateBatch(part, target ? [target.output] : []);
    if (out.loss !== undefined) lossSum += out.loss * (end - start);
    if (target) {
      const scores = out.outputs.get(target.output)!;
      const classes = scores.shape[scores.shape.length - 1]!;
      const labels = part[target.labels]!.data;
      for (let r = 0; r < labels.length; r++) if (argmax(scores.data, r * classes, classes) === labels[r]) correct++;
    }
  }
  const labelCount = target ? split[target.labels]!.data.length : 0;
  return { loss: rows ? lossSum / rows : NaN, accuracy: target && labelCount ? correct / labelCount : null };
}

export async function train(session: TrainableSession, data: { train: Split; test: Split }, options: TrainOptions): Promise<EpochReport[]> {
  const rows = rowsOf(data.train);
  if (rows === 0) throw new TrainingError("the training split has no rows");
  const shuffler = streams(options.seed).shuffle;
  const steps = batches(rows, options.batch);
  const reports: EpochReport[] = [];
  for (let epoch = 1; epoch <= options.epochs; epoch++) {
    const started = performance.now();
    const order = shuffler.permutation(rows);
    let total = 0;
    // Steps are recorded without waiting for their losses, which a GPU session reads back several at a time; losses
    // are still checked and reported in step order. The window bounds how far recording runs ahead.
    const inFlight: { step: number; loss: Promise<number> }[] = [];
    const settle = async () => {
      const { step, loss: pending } = inFlight.shift()!;
      const loss = await pending;
      if (!Number.isFinite(loss))
        throw new TrainingError(`the loss became ${loss} at epoch ${epoch}, step ${step} of ${steps}; training stopped (try a lower learning rate)`);
      total += loss;
      options.onStep?.({ epoch, step, steps, loss });
    };
    for (let step = 0; step < steps; step++) {
      const idx = order.subarray(step * options.batch, Math.min(rows, (step + 1) * options.batch));
      const batch = selectRows(data.train, idx);
      const loss = Promise.resolve(session.trainStep(batch));
      // Handled when settled in order; this only keeps a rejection that arrives early from counting as unhandled.
      loss.catch(() => undefined);
      inFlight.push({ step: step + 1, loss });
      if (inFlight.length > STEPS_AHEAD) await settle();
    }
    await session.flush?.();
    while (inFlight.length > 0) await settle();
    const diverged = await session.nonFinite?.();
    if (diverged !== undefined)
      throw new TrainingError(`the parameters became non-finite at epoch ${epoch} by step ${steps} of ${steps} (every loss was finite, so in the last update): ${diverged}; training stopped (try a lower learning rate)`);
    const held = await evaluate(session, data.test, Math.max(options.batch, 256));
    const report: EpochReport = {
      epoch,
      loss: total / steps,
      accuracy: held.accuracy,
      testLoss: held.loss,
      seconds: (performance.now() - started) / 1000,
      backend: session.backend,
    };
    reports.push(report);
    await options.onEpoch?.(report);
  }
  return reports;
}

export interface StepsOptions {
  steps: number;
  /** Rows per step; a fixed-size program needs every batch full, so each pass over the rows drops its remainder. */
  batch: number;
  seed: number;
  /** Called as each step's loss is known, in step order. */
  onStep?: (p: { step: number; loss: number }) => void;
}

/**
 * `steps` optimizer steps on full batches drawn in the order of a seeded shuffle of the rows, reshuffled for every
 * pass: what a page trains in the browser, and what Node reproduces from the same seed to compare its losses with.
 * Resolves to the losses in step order; a non-finite loss stops it with a TrainingError.
 */
export async function trainSteps(session: Pick<TrainableSession, "trainStep" | "flush">, split: Split, options: StepsOptions): Promise<number[]> {
  const rows = rowsOf(split);
  if (rows < options.batch) throw new TrainingError(`the data has ${rows} rows, fewer than one batch of ${options.batch}`);
  const shuffler = streams(options.seed).shuffle;
  const perPass = Math.floor(rows / options.batch);
  const losses: number[] = [];
  const inFlight: Promise<number>[] = [];
  const settle = async () => {
    const loss = await inFlight.shift()!;
    const step = losses.length + 1;
    if (!Number.isFinite(loss)) throw new TrainingError(`the loss became ${loss} at step ${step}; training stopped (try a lower learning rate)`);
    losses.push(loss);
    options.onStep?.({ step, loss });
  };
  let order: Int32Array = new Int32Array(0);
  for (let step = 0; step < options.steps; step++) {
    const slot = step % perPass;
    if (slot === 0) order = shuffler.permutation(rows);
    const idx = order.subarray(slot * options.batch, (slot + 1) * options.batch);
    const loss = Promise.resolve(session.trainStep(selectRows(split, idx)));
    loss.catch(() => undefined);
    inFlight.push(loss);
    if (inFlight.length > STEPS_AHEAD) await settle();
  }
  await session.flush?.();
  while (inFlight.length > 0) await settle();
  return losses;
}
