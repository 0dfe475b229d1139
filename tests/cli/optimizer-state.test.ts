// An optimizer's state slots are named once, in its definition: a training step creates exactly those tensors (by
// PyTorch's names), and loading a checkpoint tells them from parameters by the same names.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { loadWeights } from "../../cli/train-commands.js";
import { programGraph } from "../../compiler/index.js";
import { optimizerDefinition, optimizers, stateName, STEP_STATE, type OptimizerName } from "../../compiler/optimizers/index.js";
import { writeCheckpoint } from "../../runtime/node/checkpoint-file.js";
import { CheckpointError } from "../../runtime/checkpoint.js";
import { hostTensor } from "../../runtime/tensor.js";
import { CpuSession } from "../../sessions/cpu-session.js";
import { compileText } from "../helpers.js";

const dir = mkdtempSync(join(tmpdir(), "dlg-optimizer-state-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Each optimizer with arguments under which it keeps every one of its slots. */
const calls: Record<OptimizerName, string> = { sgd: "sgd(lr: 0.1, momentum: 0.9)", adam: "adam(lr: 0.01)" };

/** The model training with optimizer `call`, or without a `train` statement when `call` is undefined. */
const model = (call: string | undefined) => compileText(`model Tiny() {
  input x: f32[N, 3]
  input y: f32[N, 2]
  p = dense(x, 4) -> tanh -> dense(2)
  ${call ? `train mse(p, y) with ${call}` : "output p"}
}`).check!.graph;

const batch = {
  x: hostTensor("f32", [2, 3], Float32Array.from([0.1, -0.2, 0.3, 0.4, 0.5, -0.6])),
  y: hostTensor("f32", [2, 2], Float32Array.from([1, 0, 0, 1])),
};

const sorted = (names: Iterable<string>) => [...names].sort();

describe("optimizer state names", () => {
  it("are PyTorch's: momentum_buffer for SGD, exp_avg and exp_avg_sq for Adam", () => {
    expect(optimizers.sgd.slots).toEqual(["momentum_buffer"]);
    expect(optimizers.adam.slots).toEqual(["exp_avg", "exp_avg_sq"]);
    expect(STEP_STATE).toBe("optimizer.step");
  });

  it.each(Object.keys(calls) as OptimizerName[])("%s: a training step creates exactly the definition's slots of every parameter and the step count", (name) => {
    const forward = model(calls[name]);
    const step = programGraph(forward, "train");
    const expected = [STEP_STATE, ...forward.params.flatMap((p) => optimizerDefinition(name).slots.map((slot) => stateName(p.name, slot)))];
    expect(sorted(step.state!.map((s) => s.name))).toEqual(sorted(expected));
    expect(sorted(step.updates!.map((u) => u.name))).toEqual(sorted([...expected, ...forward.params.map((p) => p.name)]));
  });

  it("SGD without momentum keeps only the step count", () => {
    const step = programGraph(model("sgd(lr: 0.1)"), "train");
    expect(step.state!.map((s) => s.name)).toEqual([STEP_STATE]);
  });

  it.each(Object.keys(calls) as OptimizerName[])("%s: checkpoint loading recognizes every state tensor a step created, and only the parameters as parameters", async (name) => {
    const forward = model(calls[name]);
    const trained = new CpuSession(forward, { seed: 3 });
    trained.trainStep(batch);
    const path = join(dir, `${name}.safetensors`);
    await writeCheckpoint(path, new Map([...trained.params, ...trained.state]), { format: "dlg" });

    const resumed = new CpuSession(forward, { seed: 4 });
    await loadWeights(resumed, path, true);
    expect(sorted(resumed.state.keys())).toEqual(sorted(trained.state.keys()));
    for (const [k, t] of trained.state) expect(resumed.state.get(k)!.data).toEqual(t.data);
    for (const [k, t] of trained.params) expect(resumed.params.get(k)!.data).toEqual(t.data);

    // Without state the same file still loads: the state tensors are told apart from parameters, not refused.
    const weightsOnly = new CpuSession(forward, { seed: 4 });
    await loadWeights(weightsOnly, path, false);
    expect(weightsOnly.state.size).toBe(0);
  });

  it("another optimizer's slots are not the model's state: the checkpoint does not fit", async () => {
    const adamModel = model(calls.adam);
    const trained = new CpuSession(adamModel, { seed: 3 });
    trained.trainStep(batch);
    const path = join(dir, "adam-for-sgd.safetensors");
    await writeCheckpoint(path, new Map([...trained.params, ...trained.state]), { format: "dlg" });
    const sgdSession = new CpuSession(model(calls.sgd), { seed: 3 });
    const loading = loadWeights(sgdSession, path, true);
    await expect(loading).rejects.toBeInstanceOf(CheckpointError);
    await expect(loadWeights(sgdSession, path, true)).rejects.toThrow(/`[^`]+\.exp_avg` is adam state, but this model trains with sgd/);
  });

  it.each(Object.keys(calls) as OptimizerName[])("%s: a model without a `train` statement loads the parameters of a checkpoint with state", async (name) => {
    const trained = new CpuSession(model(calls[name]), { seed: 3 });
    trained.trainStep(batch);
    const path = join(dir, `${name}-for-inference.safetensors`);
    await writeCheckpoint(path, new Map([...trained.params, ...trained.state]), { format: "dlg" });
    const inference = new CpuSession(model(undefined), { seed: 4 });
    await loadWeights(inference, path, false);
    for (const [k, t] of trained.params) expect(inference.params.get(k)!.data).toEqual(t.data);
  });
});
