// A model instantiated on a WebGPU device, with the CPU session's API (async where the GPU is): parameters and
// optimizer state live on the device and are read back only when asked; a training step is one command buffer and one
// submit. Programs (forward, backward, training step) are compiled once per set of input shapes and cached.
import { buildBackward } from "../compiler/3-autodiff/build-backward.js";
import { buildTrainStep } from "../compiler/3-autodiff/train-step.js";
import { emitProgram, type ProgramPlan } from "../compiler/5-codegen-wgsl/emit-program.js";
import { ExecutionError } from "../compiler/ir/define-op.js";
import type { Graph, NodeId } from "../compiler/ir/graph.js";
import type { HostValue } from "../compiler/ir/interpret.js";
import { formatType } from "../compiler/ir/types.js";
import { initialParams, streams, type SessionOptions } from "./cpu-session.js";
import { guarded, type GpuContext } from "./device.js";
import { drawRandomBits, mapForReading, ProgramInstance, upload, Usage, type NamedBuffers } from "./gpu-program.js";
import type { Random } from "./random.js";
import { hostTensor, type HostTensor } from "./tensor.js";

export interface GpuSessionOptions extends SessionOptions {
  gpu: GpuContext;
  /** Fold constant subgraphs on the host (default true). */
  fold?: boolean;
}

type Batch = Readonly<Record<string, HostTensor>>;

interface Slot {
  dtype: "f32" | "i32";
  shape: number[];
  /** Two buffers once a training step updates this name: it reads one and writes the other. */
  buffers: GPUBuffer[];
}

/** Parameters or optimizer state of a GPU session, by name: set uploads, get reads back. */
export class DeviceTensors {
  constructor(private readonly session: GpuSession, private readonly slots: Map<string, Slot>) {}

  get size(): number {
    return this.slots.size;
  }

  has(name: string): boolean {
    return this.slots.has(name);
  }

  keys(): IterableIterator<string> {
    return this.slots.keys();
  }

  /**
   * Replaces a value (a checkpoint's): a wrong shape throws here; the upload happens after the operations in flight,
   * and if it fails (out of memory, a lost device) the next operation reports why.
   */
  set(name: string, t: HostTensor): this {
    this.session.setNamed(this.slots, name, t);
    return this;
  }

  async get(name: string): Promise<HostTensor> {
    const values = await this.session.readNamed(this.slots, [name]);
    return values.get(name)!;
  }

  /** Every value, read back in one submit. */
  async toMap(): Promise<Map<string, HostTensor>> {
    return this.session.readNamed(this.slots, [...this.slots.keys()]);
  }
}

export class GpuSession {
  readonly params: DeviceTensors;
  readonly state: DeviceTensors;
  private readonly paramSlots = new Map<string, Slot>();
  private readonly stateSlots = new Map<string, Slot>();
  /** Which slot of a two-slot name holds its current value. */
  private parity = 0;
  /** The tail of the session's operations: each waits for the previous one (parity and uploads depend on order). */
  private queue: Promise<unknown> = Promise.resolve();
  private readonly dropoutRandom: Random;
  private trainGraph: Graph | undefined;
  private backwardGraph: Graph | undefined;
  private readonly programs = new Map<string, Promise<ProgramInstance>>();
  private readonly named: NamedBuffers;
  /** Why an upload queued by `set` failed, for the next operation to report. */
  private uploadFailure: unknown;

  constructor(readonly forward: Graph, private readonly options: GpuSessionOptions) {
    this.params = new DeviceTensors(this, this.paramSlots);
    this.state = new DeviceTensors(this, this.stateSlots);
    this.dropoutRandom = streams(options.seed).dropout;
    for (const [name, t] of initialParams(forward, options.seed)) this.setNamed(this.paramSlots, name, t);
    this.named = {
      current: (name, parity) => {
        const slot = this.slotOf(name);
        return slot.buffers[slot.buffers.length === 2 ? parity : 0]!;
      },
      next: (name, parity) => this.slotOf(name).buffers[1 - parity]!,
    };
  }

  get backend(): "webgpu" {
    return "webgpu";
  }

  /** The adapter, in one line. */
  get adapter(): string {
    return this.options.gpu.adapter;
  }

  private get device(): GPUDevice {
    return this.options.gpu.device;
  }

  /** Runs `f` after every operation started before it (a failed one does not stop the ones after it). */
  private serial<T>(f: () => Promise<T> | T): Promise<T> {
    const step = () => {
      if (this.uploadFailure !== undefined) {
        const failure = this.uploadFailure;
        this.uploadFailure = undefined;
        throw failure;
      }
      return f();
    };
    const run = this.queue.then(step, step);
    this.queue = run.catch(() => undefined);
    return run;
  }

  private slotOf(name: string): Slot {
    const slot = this.paramSlots.get(name) ?? this.stateSlots.get(name);
    if (!slot) throw new ExecutionError(`no value for \`${name}\``);
    return slot;
  }

  private newBuffer(bytes: number, name: string): GPUBuffer {
    return this.device.createBuffer({ size: Math.max(4, bytes), usage: Usage.STORAGE | Usage.COPY_SRC | Usage.COPY_DST, label: name });
  }

  /** @internal Makes `t` the current value of `name` (a new name gets a buffer), after the operations in flight. */
  setNamed(slots: Map<string, Slot>, name: string, t: HostTensor): void {
    let slot = slots.get(name);
    if (slot && (slot.dtype !== t.dtype || slot.shape.length !== t.shape.length || slot.shape.some((d, i) => d !== t.shape[i])))
      throw new ExecutionError(`\`${name}\` is ${slot.dtype}[${slot.shape.join(", ")}], got ${t.dtype}[${t.shape.join(", ")}]`);
    if (!slot) {
      slot = { dtype: t.dtype, shape: [...t.shape], buffers: [] };
      slots.set(name, slot);
    }
    const target = slot;
    void this.serial(() => guarded(this.options.gpu, `allocating \`${name}\` (${4 * t.data.length} bytes)`, () => this.store(target, name, t.data)))
      .catch((e: unknown) => {
        this.uploadFailure ??= e;
      });
  }

  /** Uploads into the current slot, creating the first buffer when there is none. */
  private store(slot: Slot, name: string, data: Float32Array | Int32Array): void {
    if (slot.buffers.length === 0) slot.buffers.push(this.newBuffer(4 * data.length, name));
    upload(this.device, slot.buffers[slot.buffers.length === 2 ? this.parity : 0]!, data);
  }

  /** @internal Reads the current values of `names` back, in one submit. */
  readNamed(slots: Map<string, Slot>, names: readonly string[]): Promise<Map<string, HostTensor>> {
    return this.serial(async () => {
      const layout = names.map((name) => {
        const slot = slots.get(name);
        if (!slot) throw new ExecutionError(`no value for \`${name}\``);
        return { name, slot, elements: slot.shape.reduce((a, b) => a * b, 1) };
      });
      const offsets: number[] = [];
      let size = 0;
      for (const l of layout) {
        offsets.push(size);
        size += Math.max(4, 4 * l.elements);
      }
      const staging = this.device.createBuffer({ size: Math.max(4, size), usage: Usage.MAP_READ | Usage.COPY_DST });
      try {
        await guarded(this.options.gpu, `reading ${names.length} tensors back`, () => {
          const encoder = this.device.createCommandEncoder();
          layout.forEach((l, i) => encoder.copyBufferToBuffer(this.named.current(l.name, this.parity), 0, staging, offsets[i]!, Math.max(4, 4 * l.elements)));
          this.device.queue.submit([encoder.finish()]);
        });
        await mapForReading(this.options.gpu, staging);
        const bytes = staging.getMappedRange().slice(0);
        return new Map(layout.map((l, i) => [l.name,
          hostTensor(l.slot.dtype, l.slot.shape, l.slot.dtype === "i32" ? new Int32Array(bytes, offsets[i]!, l.elements) : new Float32Array(bytes, offsets[i]!, l.elements))]));
      } finally {
        staging.destroy();
      }
    });
  }

  /** The training-step graph; the first call creates the optimizer state and the second slot of every updated name. */
  private async trainStepGraph(): Promise<Graph> {
    if (!this.trainGraph) {
      const optimizer = this.options.optimizer ?? this.forward.optimizer;
      if (!optimizer || this.forward.loss === undefined) throw new Error("internal: the model has no `train` statement");
      const graph = buildTrainStep(this.forward, optimizer);
      // Optimizer state (unless a checkpoint set it), then every updated name's second slot: a step reads slot
      // `parity` and writes the other, which is therefore always written before it is read.
      await guarded(this.options.gpu, "allocating the optimizer state", () => {
        for (const s of graph.state!) {
          if (this.stateSlots.has(s.name)) continue;
          const slot: Slot = { dtype: "f32", shape: s.type.shape.map((d) => d.constValue()!), buffers: [] };
          this.stateSlots.set(s.name, slot);
          this.store(slot, s.name, new Float32Array(slot.shape.reduce((a, b) => a * b, 1)).fill(s.init));
        }
        for (const u of graph.updates!) {
          const slot = this.slotOf(u.name);
          if (slot.buffers.length === 1) {
            const other = this.newBuffer(4 * slot.shape.reduce((a, b) => a * b, 1), `${u.name} (next)`);
            slot.buffers = this.parity === 0 ? [slot.buffers[0]!, other] : [other, slot.buffers[0]!];
          }
        }
      });
      this.trainGraph = graph;
    }
    return this.trainGraph;
  }

  /** The program for `graph` at the batch's shapes, compiled and instantiated once per set of shapes. */
  private program(kind: "train" | "forward" | "backward", graph: Graph, batch: Batch, training: boolean): Promise<ProgramInstance> {
    for (const i of graph.inputs) if (!batch[i.name]) throw new ExecutionError(`no value for input \`${i.name}\` (${formatType(i.type)})`);
    const shapes = new Map(graph.inputs.map((i) => [i.name, batch[i.name]!.shape] as const));
    const key = `${kind}:${[...shapes].map(([n, s]) => `${n}=${s.join("x")}`).join(";")}`;
    let p = this.programs.get(key);
    if (!p) {
      const plan: ProgramPlan = emitProgram(graph, shapes, { limits: this.options.gpu.limits, training, fold: this.options.fold ?? true });
      p = ProgramInstance.create(this.options.gpu, plan, this.named, kind === "train" ? graph.updates! : []);
      this.programs.set(key, p);
      p.catch(() => this.programs.delete(key));
    }
    return p;
  }

  private inputs(graph: Graph, batch: Batch): Map<string, Float32Array | Int32Array> {
    const out = new Map<string, Float32Array | Int32Array>();
    for (const i of graph.inputs) {
      const data = batch[i.name]!.data;
      // As the CPU executor converts: floats to integers truncate.
      out.set(i.name, i.type.dtype === "i32"
        ? (data instanceof Int32Array ? data : Int32Array.from(data, Math.trunc))
        : (data instanceof Float32Array ? data : Float32Array.from(data)));
    }
    return out;
  }

  /**
   * One optimizer step on a batch; returns the batch loss (before the update, as PyTorch reports it). A step that
   * fails at run time (a label out of range) changes neither the parameters nor the optimizer state.
   */
  trainStep(batch: Batch): Promise<number> {
    return this.serial(async () => {
      const graph = await this.trainStepGraph();
      const program = await this.program("train", graph, batch, true);
      const randoms = drawRandomBits(program.plan.randoms, () => this.dropoutRandom.nextFloat());
      const results = await program.run({ parity: this.parity, inputs: this.inputs(graph, batch), randoms, read: [graph.loss!] });
      this.parity = 1 - this.parity;
      return results.get(graph.loss!)!.data[0]!;
    });
  }

  /** Forward pass without training (dropout off): every output, and the loss, or the nodes asked for. */
  run(batch: Batch, nodes?: readonly NodeId[]): Promise<Map<NodeId, HostValue>> {
    return this.serial(async () => {
      const keep = nodes ?? [...this.forward.outputs.map((o) => o.node), ...(this.forward.loss !== undefined ? [this.forward.loss] : [])];
      const program = await this.program("forward", this.forward, batch, false);
      return program.run({ parity: this.parity, inputs: this.inputs(this.forward, batch), read: [...new Set(keep)] });
    });
  }

  /** The loss and d loss / d parameter for one batch, without updating anything and without dropout. */
  gradients(batch: Batch): Promise<{ loss: number; grads: Map<string, HostTensor> }> {
    return this.serial(async () => {
      this.backwardGraph ??= buildBackward(this.forward);
      const graph = this.backwardGraph;
      const program = await this.program("backward", graph, batch, false);
      const read = [...new Set([graph.loss!, ...graph.grads!.map((g) => g.node)])];
      const results = await program.run({ parity: this.parity, inputs: this.inputs(graph, batch), read });
      const grads = new Map(graph.grads!.map((g) => {
        const v = results.get(g.node)!;
        return [g.name, hostTensor("f32", [...v.shape], v.data instanceof Float32Array ? v.data : Float32Array.from(v.data))];
      }));
      return { loss: results.get(graph.loss!)!.data[0]!, grads };
    });
  }

  /** Frees the session's device memory once the operations in flight are done (the device belongs to the caller). */
  destroy(): Promise<void> {
    return this.serial(async () => {
      const programs = await Promise.allSettled(this.programs.values());
      for (const p of programs) if (p.status === "fulfilled") p.value.destroy();
      this.programs.clear();
      for (const slots of [this.paramSlots, this.stateSlots]) for (const s of slots.values()) for (const b of s.buffers) b.destroy();
    });
  }
}
