// The optimizer update, built as IR, against an independent plain-JavaScript implementation of PyTorch's
// SGD-with-momentum and Adam/AdamW update rules, over several steps of a small model.
import { describe, expect, it } from "vitest";
import type { Optimizer } from "../../compiler/ir/graph.js";
import { CpuSession } from "../../sessions/cpu-session.js";
import { hostTensor, type HostTensor } from "../../runtime/tensor.js";
import { compileText } from "../helpers.js";

const source = `model Tiny() {
  input x: f32[N, 3]
  input y: f32[N, 2]
  p = dense(x, 2) -> tanh
  train mse(p, y) with sgd(lr: 0.1)
}`;

const batch = {
  x: hostTensor("f32", [4, 3], Float32Array.from({ length: 12 }, (_, i) => Math.sin(i + 1))),
  y: hostTensor("f32", [4, 2], Float32Array.from({ length: 8 }, (_, i) => Math.cos(i))),
};

type Slots = Map<string, { m: Float64Array; v: Float64Array }>;

/** PyTorch's update rules, written out directly from its documentation. */
function referenceStep(params: Map<string, Float64Array>, grads: Map<string, HostTensor>, opt: Optimizer, t: number, slots: Slots): void {
  const a = opt.args;
  for (const [name, p] of params) {
    const g = grads.get(name)!.data;
    const s = slots.get(name) ?? { m: new Float64Array(p.length), v: new Float64Array(p.length) };
    slots.set(name, s);
    // ExponentialLR(gamma = lr_decay), stepped after each optimizer step.
    const lr = a["lr"]! * (a["lr_decay"] ?? 1) ** (t - 1);
    for (let i = 0; i < p.length; i++) {
      if (opt.name === "sgd") {
        s.m[i] = t === 1 ? g[i]! : a["momentum"]! * s.m[i]! + g[i]!;
        p[i] = p[i]! - lr * s.m[i]!;
      } else {
        p[i] = p[i]! * (1 - lr * a["weight_decay"]!);
        s.m[i] = a["beta1"]! * s.m[i]! + (1 - a["beta1"]!) * g[i]!;
        s.v[i] = a["beta2"]! * s.v[i]! + (1 - a["beta2"]!) * g[i]! * g[i]!;
        const mHat = s.m[i]! / (1 - a["beta1"]! ** t);
        const vHat = s.v[i]! / (1 - a["beta2"]! ** t);
        p[i] = p[i]! - (lr * mHat) / (Math.sqrt(vHat) + a["eps"]!);
      }
    }
  }
}

function compare(opt: Optimizer): void {
  const graph = compileText(source).check!.graph;
  const session = new CpuSession(graph, { seed: 11, optimizer: opt });
  const probe = new CpuSession(graph, { seed: 11 });
  const expected = new Map([...session.params].map(([k, v]) => [k, Float64Array.from(v.data)]));
  const slots: Slots = new Map();
  for (let t = 1; t <= 5; t++) {
    // The reference computes its step from gradients at its own parameters, so errors would compound, not hide.
    for (const [k, v] of expected) probe.params.set(k, hostTensor("f32", session.params.get(k)!.shape, Float32Array.from(v)));
    const { grads } = probe.gradients(batch);
    referenceStep(expected, grads, opt, t, slots);
    session.trainStep(batch);
    for (const [k, v] of expected) {
      const got = session.params.get(k)!.data;
      v.forEach((x, i) => expect(Math.abs(got[i]! - x), `${opt.name} step ${t} ${k}[${i}]`).toBeLessThan(1e-5 * (1 + Math.abs(x))));
    }
  }
}

describe("optimizers as IR match PyTorch's update rules", () => {
  it("SGD with momentum", () => compare({ name: "sgd", args: { lr: 0.1, momentum: 0.9 } }));
  it("plain SGD keeps no state", () => {
    compare({ name: "sgd", args: { lr: 0.05, momentum: 0 } });
    const s = new CpuSession(compileText(source).check!.graph, { seed: 1, optimizer: { name: "sgd", args: { lr: 0.1, momentum: 0 } } });
    s.trainStep(batch);
    expect([...s.state.keys()]).toEqual(["optimizer.step"]);
  });
  it("Adam with bias correction", () => compare({ name: "adam", args: { lr: 0.01, beta1: 0.9, beta2: 0.999, eps: 1e-8, weight_decay: 0 } }));
  it("AdamW: decoupled weight decay", () => compare({ name: "adam", args: { lr: 0.01, beta1: 0.8, beta2: 0.99, eps: 1e-6, weight_decay: 0.1 } }));
  it("AdamW with a per-step exponential learning-rate decay", () =>
    compare({ name: "adam", args: { lr: 0.05, beta1: 0.9, beta2: 0.999, eps: 1e-8, weight_decay: 0.1, lr_decay: 0.7 } }));
  it("SGD with momentum and a per-step exponential learning-rate decay", () =>
    compare({ name: "sgd", args: { lr: 0.2, momentum: 0.9, lr_decay: 0.8 } }));
});
