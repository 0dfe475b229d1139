// A model instantiated on the CPU reference executor: parameters and optimizer state live here, a training step is
// one run of the train-step graph, and the updates it produces replace the old values.
import { programGraph } from "../compiler/index.js";
import type { HostData } from "../compiler/ir/define-op.js";
import type { Graph, NodeId, Optimizer } from "../compiler/ir/graph.js";
import { interpret, type HostValue } from "../compiler/ir/interpret.js";
import type { ExpectedTensor } from "../runtime/checkpoint.js";
import { initializeParams, type ParamSpec } from "../runtime/initialize.js";
import { streams, type Random } from "../runtime/random.js";
import { firstNonFinite, hostTensor, type HostTensor } from "../runtime/tensor.js";
import type { ClassifierTarget, Evaluation } from "../runtime/train.js";

function toHost(v: HostValue, dtype: "f32" | "i32"): HostTensor {
  const data: HostData = v.data;
  const typed = dtype === "i32" ? (data instanceof Int32Array ? data : Int32Array.from(data)) : data instanceof Float32Array ? data : Float32Array.from(data);
  return hostTensor(dtype, [...v.shape], typed);
}

/** The nodes of the named outputs; a name the model does not output is a caller's bug. */
export function outputNodes(forward: Graph, names: readonly string[]): NodeId[] {
  return names.map((name) => {
    const output = forward.outputs.find((o) => o.name === name);
    if (!output) throw new Error(`internal: the model has no output named ${name}`);
    return output.node;
  });
}

/** The parameters of a graph as initialization needs them. */
export function paramSpecs(forward: Graph): ParamSpec[] {
  return forward.params.map((p) => ({ name: p.name, dtype: p.type.dtype === "i32" ? "i32" : "f32", shape: p.type.shape.map((d) => d.constValue()!), init: p.init, initArgs: p.initArgs }));
}

/** The optimizer state a training step keeps (names, dtypes, shapes): what a checkpoint's state must be exactly. */
export function stateSpecs(trainStep: Graph): ExpectedTensor[] {
  const buffers = new Set((trainStep.buffers ?? []).map((b) => b.name));
  return (trainStep.state ?? []).filter((s) => !buffers.has(s.name)).map((s) => ({ name: s.name, dtype: s.type.dtype === "i32" ? "i32" : "f32", shape: s.type.shape.map((d) => d.constValue()!) }));
}

/** The model's non-trainable state (running statistics): part of the model, in every checkpoint of it. */
export function bufferSpecs(forward: Graph): ExpectedTensor[] {
  return (forward.buffers ?? []).map((b) => ({ name: b.name, dtype: "f32", shape: b.type.shape.map((d) => d.constValue()!) }));
}

/** The running statistics a model starts with (PyTorch's: means 0, variances 1, no batches tracked). */
export function initialBuffers(forward: Graph): Map<string, HostTensor> {
  return new Map((forward.buffers ?? []).map((b) => [b.name, hostTensor("f32", b.type.shape.map((d) => d.constValue()!), new Float32Array(b.type.shape.reduce((n, d) => n * d.constValue()!, 1)).fill(b.init))]));
}

/** The parameters training starts from for `seed` (what `dlg init` writes). */
export function initialParams(forward: Graph, seed: number): Map<string, HostTensor> {
  return initializeParams(paramSpecs(forward), streams(seed).init.nextUint32());
}

export interface SessionOptions {
  seed: number;
  /** Replaces the model's optimizer arguments (e.g. `--lr`). */
  optimizer?: Optimizer;
}

export class CpuSession {
  readonly params: Map<string, HostTensor>;
  readonly state = new Map<string, HostTensor>();
  private trainGraph: Graph | undefined;
  private readonly dropoutRandom: Random;

  constructor(readonly forward: Graph, private readonly options: SessionOptions) {
    this.params = initialParams(forward, options.seed);
    for (const [name, t] of initialBuffers(forward)) this.state.set(name, t);
    this.dropoutRandom = streams(options.seed).dropout;
  }

  get backend(): "cpu" {
    return "cpu";
  }

  /** The optimizer state the training step keeps, as a checkpoint must hold it. */
  stateSpecs(): ExpectedTensor[] {
    return stateSpecs(this.trainStepGraph());
  }

  private trainStepGraph(): Graph {
    if (!this.trainGraph) {
      this.trainGraph = programGraph(this.forward, "train", this.options.optimizer);
      for (const s of this.trainGraph.state!) {
        if (!this.state.has(s.name)) {
          const t = hostTensor("f32", s.type.shape.map((d) => d.constValue()!));
          t.data.fill(s.init);
          this.state.set(s.name, t);
        }
      }
    }
    return this.trainGraph;
  }

  private values(batch: Readonly<Record<string, HostTensor>>): Map<string, HostValue> {
    const values = new Map<string, HostValue>();
    for (const [k, v] of Object.entries(batch)) values.set(k, v);
    for (const [k, v] of this.params) values.set(k, v);
    for (const [k, v] of this.state) values.set(k, v);
    return values;
  }

  /** The first parameter or optimizer state tensor holding NaN or infinity, described; undefined when all are finite. */
  nonFinite(): string | undefined {
    return firstNonFinite(this.params) ?? firstNonFinite(this.state);
  }

  /** One optimizer step on a batch; returns the batch loss (before the update, as PyTorch reports it). */
  trainStep(batch: Readonly<Record<string, HostTensor>>): number {
    const graph = this.trainStepGraph();
    const updates = graph.updates!;
    const results = interpret(graph, this.values(batch), {
      training: true,
      random: () => this.dropoutRandom.nextFloat(),
      keep: [graph.loss!, ...updates.map((u) => u.node)],
    });
    for (const u of updates) {
      const target = this.params.has(u.name) ? this.params : this.state;
      target.set(u.name, toHost(results.get(u.node)!, "f32"));
    }
    return results.get(graph.loss!)!.data[0]!;
  }

  /** Forward pass without training (dropout off): every output, and the loss when the batch has what it needs. */
  run(batch: Readonly<Record<string, HostTensor>>, nodes?: readonly NodeId[]): Map<NodeId, HostValue> {
    const keep = nodes ?? [...this.forward.outputs.map((o) => o.node), ...(this.forward.loss !== undefined ? [this.forward.loss] : [])];
    return interpret(this.forward, this.values(batch), { keep });
  }

  get classifier(): ClassifierTarget | undefined {
    return this.forward.classifier;
  }

  evaluateBatch(batch: Readonly<Record<string, HostTensor>>, outputs: readonly string[]): Evaluation {
    const nodes = outputNodes(this.forward, outputs);
    const results = this.run(batch, [...(this.forward.loss !== undefined ? [this.forward.loss] : []), ...nodes]);
    return {
      loss: this.forward.loss !== undefined ? results.get(this.forward.loss)!.data[0]! : undefined,
      outputs: new Map(outputs.map((name, i) => [name, results.get(nodes[i]!)!])),
    };
  }

  /** The loss and d loss / d parameter for one batch, without updating anything and without dropout. */
  gradients(batch: Readonly<Record<string, HostTensor>>): { loss: number; grads: Map<string, HostTensor> } {
    const graph = programGraph(this.forward, "backward");
    const results = interpret(graph, this.values(batch), { keep: [graph.loss!, ...graph.grads!.map((g) => g.node)] });
    const grads = new Map(graph.grads!.map((g) => [g.name, toHost(results.get(g.node)!, "f32")]));
    return { loss: results.get(graph.loss!)!.data[0]!, grads };
  }
}
