// A model's state on a WebGPU device and the programs that use it, independent of where the programs come from (the
// compiler, in process, or a `dlg compile` directory): parameters and optimizer state live on the device and are read
// back only when asked; a training step is one command buffer and one submit, and its loss is read back with those of
// the next steps, every `readEvery` steps, so the CPU records step i+1 while the device still runs step i.
import { guarded, type GpuContext } from "./device.js";
import { ExecutionError } from "./errors.js";
import { drawRandomBits, mapForReading, ProgramInstance, STATUS_BYTES, upload, Usage, type KernelTimings, type NamedBuffers, type ReadValue } from "./gpu-program.js";
import { initializeParams, type ParamSpec } from "./initialize.js";
import type { ProgramKind, ProgramManifest } from "./manifest.js";
import { streams, type Random } from "./random.js";
import { hostTensor, type HostTensor } from "./tensor.js";

export type Batch = Readonly<Record<string, HostTensor>>;

/** Where programs come from: compiled on demand for the batch's shapes, or loaded. */
export interface ProgramSource {
  /** The program of `kind` at the batch's shapes that keeps the values of `read` (IR nodes) for reading back. */
  program(kind: ProgramKind, shapes: ReadonlyMap<string, readonly number[]>, read: readonly number[]): ProgramManifest | Promise<ProgramManifest>;
}

export interface GpuModelOptions {
  gpu: GpuContext;
  seed: number;
  /** Read training losses back every this many steps (default 16); 1 reads after every step. */
  readEvery?: number;
}

interface Slot {
  dtype: "f32" | "i32";
  shape: number[];
  /** Two buffers once a training step updates this name: it reads one and writes the other. */
  buffers: GPUBuffer[];
}

/** Parameters or optimizer state, by name: set uploads, get reads back. */
export class DeviceTensors {
  constructor(private readonly model: GpuModel, private readonly slots: Map<string, Slot>) {}

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
    this.model.setNamed(this.slots, name, t);
    return this;
  }

  async get(name: string): Promise<HostTensor> {
    const values = await this.model.readNamed(this.slots, [name]);
    return values.get(name)!;
  }

  /** Every value, read back in one submit. */
  async toMap(): Promise<Map<string, HostTensor>> {
    return this.model.readNamed(this.slots, [...this.slots.keys()]);
  }
}

/** A training step whose loss (and status words) wait in the ring for the next read-back. */
interface PendingStep {
  program: ProgramInstance;
  resolve(loss: number): void;
  reject(e: unknown): void;
}

/** Bytes per step in the loss ring: the status words, then the loss. */
const RING_STRIDE = STATUS_BYTES + 16;

export class GpuModel {
  readonly params: DeviceTensors;
  readonly state: DeviceTensors;
  private readonly paramSlots = new Map<string, Slot>();
  private readonly stateSlots = new Map<string, Slot>();
  /** Which slot of a two-slot name holds its current value. */
  private parity = 0;
  /** The tail of the model's operations: each waits for the previous one (parity and uploads depend on order). */
  private queue: Promise<unknown> = Promise.resolve();
  private readonly dropoutRandom: Random;
  private readonly programs = new Map<string, Promise<ProgramInstance>>();
  private readonly named: NamedBuffers;
  /** Why an upload queued by `set` failed, for the next operation to report. */
  private uploadFailure: unknown;
  private readonly readEvery: number;
  private ring: GPUBuffer | undefined;
  private pending: PendingStep[] = [];

  constructor(private readonly source: ProgramSource, params: readonly ParamSpec[], private readonly options: GpuModelOptions) {
    this.params = new DeviceTensors(this, this.paramSlots);
    this.state = new DeviceTensors(this, this.stateSlots);
    this.readEvery = Math.max(1, Math.floor(options.readEvery ?? 16));
    const seeds = streams(options.seed);
    this.dropoutRandom = seeds.dropout;
    for (const [name, t] of initializeParams(params, seeds.init.nextUint32())) this.setNamed(this.paramSlots, name, t);
    this.named = {
      current: (name, parity) => {
        const slot = this.slotOf(name);
        return slot.buffers[slot.buffers.length === 2 ? parity : 0]!;
      },
      next: (name, parity) => this.slotOf(name).buffers[1 - parity]!,
    };
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
      await this.readLosses();
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

  /**
   * The program of `kind` for the batch's shapes, made once per set of shapes and values kept. A training program's
   * first instantiation creates the optimizer state (unless a checkpoint set it) and the second slot of every name it
   * updates: a step reads slot `parity` and writes the other, which is therefore always written before it is read.
   */
  private program(kind: ProgramKind, batch: Batch, read: readonly number[]): Promise<ProgramInstance> {
    const shapes = new Map(Object.entries(batch).map(([name, t]) => [name, t.shape] as const));
    const key = `${kind}:${[...shapes].map(([n, s]) => `${n}=${s.join("x")}`).join(";")}:${read.join(",")}`;
    let p = this.programs.get(key);
    if (!p) {
      p = (async () => {
        const manifest = await this.source.program(kind, shapes, read);
        // Any program may read state (evaluation reads batch_norm's running statistics); only training updates it.
        await guarded(this.options.gpu, "allocating the model's state", () => {
          for (const b of manifest.buffers) {
            if (b.kind !== "state" || this.stateSlots.has(b.name!)) continue;
            const slot: Slot = { dtype: b.dtype ?? "f32", shape: [...(b.shape ?? [b.bytes / 4])], buffers: [] };
            this.stateSlots.set(b.name!, slot);
            this.store(slot, b.name!, new Float32Array(b.bytes / 4).fill(b.init ?? 0));
          }
        });
        if (kind === "train") {
          await guarded(this.options.gpu, "allocating the optimizer state", () => {
            for (const b of manifest.buffers) {
              if (b.kind !== "update") continue;
              const slot = this.slotOf(b.name!);
              if (slot.buffers.length === 1) {
                const other = this.newBuffer(b.bytes, `${b.name} (next)`);
                slot.buffers = this.parity === 0 ? [slot.buffers[0]!, other] : [other, slot.buffers[0]!];
              }
            }
          });
        }
        return ProgramInstance.create(this.options.gpu, manifest, this.named);
      })();
      this.programs.set(key, p);
      p.catch(() => this.programs.delete(key));
    }
    return p;
  }

  /** Batch tensors in the storage dtype of the program's input buffers (floats to integers truncate, as on the CPU). */
  private inputs(program: ProgramInstance, batch: Batch): Map<string, Float32Array | Int32Array> {
    const out = new Map<string, Float32Array | Int32Array>();
    for (const b of program.manifest.buffers) {
      if (b.kind !== "input") continue;
      const t = Object.hasOwn(batch, b.name!) ? batch[b.name!] : undefined;
      if (!t) throw new ExecutionError(`no value for input \`${b.name}\``);
      const data = t.data;
      out.set(b.name!, b.dtype === "i32"
        ? (data instanceof Int32Array ? data : Int32Array.from(data, Math.trunc))
        : (data instanceof Float32Array ? data : Float32Array.from(data)));
    }
    return out;
  }

  /**
   * One optimizer step; resolves to the batch loss (before the update, as PyTorch reports it) once it is read back,
   * with the losses of the steps around it (see `readEvery`, `flush`; a caller that waits gets it once it stops
   * recording steps). A step the device refuses, or whose run-time checks fail (a label out of range), rejects and
   * changes nothing: the steps after it run from the same parameters. `rows`: the real rows of a batch padded for a
   * program compiled for more (dropout draws for those rows only).
   */
  trainStep(batch: Batch, lossNode: number, rows?: number): Promise<number> {
    this.scheduleIdleFlush();
    return new Promise<number>((resolve, reject) => {
      void this.serial(async () => {
        const program = await this.program("train", batch, [lossNode]);
        const randoms = drawRandomBits(program.manifest, () => this.dropoutRandom.nextFloat(), rows);
        this.ring ??= this.device.createBuffer({ size: RING_STRIDE * this.readEvery, usage: Usage.MAP_READ | Usage.COPY_DST, label: "losses" });
        const offset = RING_STRIDE * this.pending.length;
        await program.submit({ parity: this.parity, inputs: this.inputs(program, batch), randoms }, [
          { from: "status", into: this.ring, offset },
          { from: program.value(lossNode).buffer, into: this.ring, offset: offset + STATUS_BYTES },
        ]);
        this.parity = 1 - this.parity;
        this.pending.push({ program, resolve, reject });
        if (this.pending.length >= this.readEvery) await this.readLosses();
      }).catch(reject);
    });
  }

  /**
   * A caller that records steps in a burst and then waits gets its losses once the burst ends, K at a time or fewer:
   * when a macrotask passes without a new step, the steps still in the ring are read back.
   */
  private scheduleIdleFlush(): void {
    const mark = ++this.recorded;
    setTimeout(() => {
      if (mark === this.recorded) void this.flush().catch(() => undefined);
    }, 0);
  }

  private recorded = 0;

  /** Reads back the losses of the steps still waiting for theirs. */
  flush(): Promise<void> {
    return this.serial(() => this.readLosses());
  }

  private async readLosses(): Promise<void> {
    const pending = this.pending;
    if (pending.length === 0 || !this.ring) return;
    this.pending = [];
    let words: Uint32Array;
    try {
      await mapForReading(this.options.gpu, this.ring);
      words = new Uint32Array(this.ring.getMappedRange(0, RING_STRIDE * pending.length).slice(0));
      this.ring.unmap();
    } catch (e) {
      for (const p of pending) p.reject(e);
      return;
    }
    // A failed step wrote nothing (its updates kept the current values), so the steps after it stand.
    pending.forEach((p, i) => {
      const at = (i * RING_STRIDE) / 4;
      try {
        p.program.checkStatus(words.subarray(at, at + 2));
      } catch (e) {
        p.reject(e);
        return;
      }
      p.resolve(new Float32Array(words.buffer, words.byteOffset + 4 * at + STATUS_BYTES, 1)[0]!);
    });
  }

  /** One training step's kernels timed (see ProgramInstance.profile); the parameters are left as they were. */
  profileStep(batch: Batch, lossNode: number, rows?: number): Promise<KernelTimings> {
    return this.serial(async () => {
      await this.readLosses();
      const program = await this.program("train", batch, [lossNode]);
      const randoms = drawRandomBits(program.manifest, () => this.dropoutRandom.nextFloat(), rows);
      return program.profile({ parity: this.parity, inputs: this.inputs(program, batch), randoms });
    });
  }

  /** Runs a forward or backward program (no dropout) and reads back the values of `read`. */
  run(kind: "forward" | "backward", batch: Batch, read: readonly number[]): Promise<Map<number, ReadValue>> {
    return this.serial(async () => {
      await this.readLosses();
      const program = await this.program(kind, batch, read);
      return program.run({ parity: this.parity, inputs: this.inputs(program, batch) }, read);
    });
  }

  /** Frees the model's device memory once the operations in flight are done (the device belongs to the caller). */
  destroy(): Promise<void> {
    return this.serial(async () => {
      await this.readLosses();
      const programs = await Promise.allSettled(this.programs.values());
      for (const p of programs) if (p.status === "fulfilled") p.value.destroy();
      this.programs.clear();
      for (const slots of [this.paramSlots, this.stateSlots]) for (const s of slots.values()) for (const b of s.buffers) b.destroy();
      this.ring?.destroy();
    });
  }
}
