// A graph trained and run on a WebGPU device, with the CPU session's API (async where the GPU is): the runtime's
// GpuModel runs it, with the compiler's pipeline as its program source, lowering each program (forward, backward,
// training step) to a manifest once per set of input shapes. A compiled model (runtime/compiled-model.ts) is the
// same GpuModel with a manifest's programs as the source instead.
import { lowerProgram, namedReads, programGraph } from "../compiler/index.js";
import type { Graph, NodeId } from "../compiler/ir/graph.js";
import { formatType } from "../compiler/ir/types.js";
import { ExecutionError as ReferenceExecutionError } from "../compiler/ir/define-op.js";
import { outputNodes, paramSpecs, stateSpecs, type SessionOptions } from "./cpu-session.js";
import type { ExpectedTensor } from "../runtime/checkpoint.js";
import type { GpuContext } from "../runtime/device.js";
import { ExecutionError } from "../runtime/errors.js";
import type { ReadValue } from "../runtime/gpu-program.js";
import { GpuModel, type Batch, type DeviceTensors } from "../runtime/gpu-model.js";
import type { ProgramKind, ProgramManifest } from "../runtime/manifest.js";
import { firstNonFinite, hostTensor, type HostTensor } from "../runtime/tensor.js";
import type { ClassifierTarget, Evaluation } from "../runtime/train.js";

export interface GpuSessionOptions extends SessionOptions {
  gpu: GpuContext;
  /** Fold constant subgraphs on the host (default true). */
  fold?: boolean;
  /** Fuse kernels (default true). */
  fuse?: boolean;
  /** Share buffers between values whose lifetimes do not overlap (default true). */
  planMemory?: boolean;
  /** Read training losses back every this many steps (default 16). */
  readEvery?: number;
}

export class GpuSession {
  private readonly model: GpuModel;
  private trainGraph: Graph | undefined;
  private backwardGraph: Graph | undefined;

  constructor(readonly forward: Graph, private readonly options: GpuSessionOptions) {
    this.model = new GpuModel({ program: (kind, shapes, read) => this.compile(kind, shapes, read) }, paramSpecs(forward), {
      gpu: options.gpu,
      seed: options.seed,
      ...(options.readEvery !== undefined ? { readEvery: options.readEvery } : {}),
    });
  }

  get params(): DeviceTensors {
    return this.model.params;
  }

  get state(): DeviceTensors {
    return this.model.state;
  }

  /** The optimizer state the training step keeps, as a checkpoint must hold it. */
  stateSpecs(): ExpectedTensor[] {
    return stateSpecs(this.graphOf("train"));
  }

  get backend(): "webgpu" {
    return "webgpu";
  }

  /** The adapter, in one line. */
  get adapter(): string {
    return this.model.adapter;
  }

  private graphOf(kind: ProgramKind): Graph {
    if (kind === "forward") return this.forward;
    if (kind === "backward") return (this.backwardGraph ??= programGraph(this.forward, "backward"));
    return (this.trainGraph ??= programGraph(this.forward, "train", this.options.optimizer));
  }

  /** The manifest of `kind` at these shapes, keeping `read`, named as the graph names them. */
  compile(kind: ProgramKind, shapes: ReadonlyMap<string, readonly number[]>, read: readonly NodeId[]): ProgramManifest {
    const graph = this.graphOf(kind);
    const names = new Map(namedReads(graph).map((r) => [r.node, r.name]));
    try {
      return this.lower(graph, kind, shapes, read, names);
    } catch (e) {
      // Shapes that contradict the model's inputs are found while lowering; to a caller of the device session they
      // are the same run-time refusal as any other, with the runtime's class.
      if (e instanceof ReferenceExecutionError) throw new ExecutionError(e.message);
      throw e;
    }
  }

  private lower(graph: Graph, kind: ProgramKind, shapes: ReadonlyMap<string, readonly number[]>, read: readonly NodeId[], names: ReadonlyMap<NodeId, string | undefined>): ProgramManifest {
    return lowerProgram(graph, kind, shapes, {
      limits: this.options.gpu.limits,
      read: read.map((node) => ({ node, ...(names.has(node) ? { name: names.get(node)! } : {}) })),
      fold: this.options.fold ?? true,
      fuse: this.options.fuse ?? true,
      planMemory: this.options.planMemory ?? true,
    });
  }

  private checkInputs(graph: Graph, batch: Batch): void {
    for (const i of graph.inputs) if (!Object.hasOwn(batch, i.name)) throw new ExecutionError(`no value for input \`${i.name}\` (${formatType(i.type)})`);
  }

  /** The first parameter or optimizer state tensor holding NaN or infinity, described (one read-back of all of them). */
  async nonFinite(): Promise<string | undefined> {
    return firstNonFinite(await this.params.toMap()) ?? firstNonFinite(await this.state.toMap());
  }

  /** One optimizer step on a batch; resolves to the batch loss once it is read back (see GpuModel.trainStep). */
  async trainStep(batch: Batch): Promise<number> {
    const graph = this.graphOf("train");
    this.checkInputs(graph, batch);
    return this.model.trainStep(batch, graph.loss!);
  }

  /** Reads back the losses of training steps still waiting for theirs. */
  flush(): Promise<void> {
    return this.model.flush();
  }

  /** Forward pass without training (dropout off): every output, and the loss, or the nodes asked for. */
  async run(batch: Batch, nodes?: readonly NodeId[]): Promise<Map<NodeId, ReadValue>> {
    this.checkInputs(this.forward, batch);
    const keep = nodes ?? [...this.forward.outputs.map((o) => o.node), ...(this.forward.loss !== undefined ? [this.forward.loss] : [])];
    return this.model.run("forward", batch, [...new Set(keep)]);
  }

  get classifier(): ClassifierTarget | undefined {
    return this.forward.classifier;
  }

  async evaluateBatch(batch: Batch, outputs: readonly string[]): Promise<Evaluation> {
    const nodes = outputNodes(this.forward, outputs);
    const loss = this.forward.loss;
    const results = await this.run(batch, [...(loss !== undefined ? [loss] : []), ...nodes]);
    return {
      loss: loss !== undefined ? results.get(loss)!.data[0]! : undefined,
      outputs: new Map(outputs.map((name, i) => [name, results.get(nodes[i]!)!])),
    };
  }

  /** The loss and d loss / d parameter for one batch, without updating anything and without dropout. */
  async gradients(batch: Batch): Promise<{ loss: number; grads: Map<string, HostTensor> }> {
    const graph = this.graphOf("backward");
    this.checkInputs(graph, batch);
    const read = [...new Set([graph.loss!, ...graph.grads!.map((g) => g.node)])];
    const results = await this.model.run("backward", batch, read);
    const grads = new Map(graph.grads!.map((g) => {
      const v = results.get(g.node)!;
      return [g.name, hostTensor("f32", [...v.shape], v.data instanceof Float32Array ? v.data : Float32Array.from(v.data))];
    }));
    return { loss: results.get(graph.loss!)!.data[0]!, grads };
  }

  /** Frees the session's device memory once the operations in flight are done (the device belongs to the caller). */
  destroy(): Promise<void> {
    return this.model.destroy();
  }
}
