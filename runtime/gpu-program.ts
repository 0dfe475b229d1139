// A ProgramManifest made real on a device: its buffers, pipelines (created asynchronously, in parallel, cached by WGSL
// text), bind groups, and a run that records every kernel into one command encoder and submits it once.
// Parameters and optimizer state are not owned here: the session lends their buffers by name, in two slots that
// alternate between training steps (a step reads one slot and writes the other), so a failed step changes nothing.
import { GpuDeviceError, guarded, type GpuContext } from "./device.js";
import { ExecutionError } from "./errors.js";
import { fromBase64, ManifestError, type ManifestKernel, type ManifestValue, type ProgramManifest } from "./manifest.js";

/** GPUBufferUsage, GPUShaderStage and GPUMapMode values (the constants are not globals in Node). */
export const Usage = { MAP_READ: 0x1, COPY_SRC: 0x4, COPY_DST: 0x8, STORAGE: 0x80, QUERY_RESOLVE: 0x200 } as const;

/** The GPU time of each kernel of one run, and how it was measured. */
export interface KernelTimings {
  /** Nanoseconds per kernel, in dispatch order. */
  nanoseconds: number[];
  /**
   * "timestamp-query": the device's timestamps around each kernel's own compute pass; "submit": without them, each
   * kernel submitted alone and timed on the host until the queue is idle (includes submit overhead).
   */
  method: "timestamp-query" | "submit";
}
const COMPUTE_STAGE = 0x4;
const MAP_READ_MODE = 0x1;

interface Pipeline {
  pipeline: GPUComputePipeline;
  layout: GPUBindGroupLayout;
}

const pipelineCaches = new WeakMap<GPUDevice, Map<string, Promise<Pipeline>>>();

/** queue.writeBuffer of a typed array's bytes (a view's own range, whatever buffer it sits in). */
export function upload(device: GPUDevice, buffer: GPUBuffer, data: Float32Array | Int32Array | Uint32Array): void {
  device.queue.writeBuffer(buffer, 0, data.buffer as ArrayBuffer, data.byteOffset, data.byteLength);
}

function numbered(wgsl: string): string {
  return wgsl.split("\n").map((l, i) => `${String(i + 1).padStart(4)} | ${l}`).join("\n");
}

/** The pipeline for a kernel, shared by every kernel with the same WGSL on this device. */
export function pipelineFor(ctx: GpuContext, kernel: ManifestKernel): Promise<Pipeline> {
  const device = ctx.device;
  let cache = pipelineCaches.get(device);
  if (!cache) pipelineCaches.set(device, (cache = new Map()));
  const wgsl = kernel.wgsl;
  if (wgsl === undefined) throw new Error(`internal: the kernel ${kernel.label} has no WGSL loaded`);
  const hit = cache.get(wgsl);
  if (hit) return hit;
  const made = (async (): Promise<Pipeline> => {
    const layout = device.createBindGroupLayout({
      entries: kernel.bindings.map((e) => ({
        binding: e.binding,
        visibility: COMPUTE_STAGE,
        buffer: { type: e.access === "read" ? "read-only-storage" : "storage" },
      })),
    });
    const module = device.createShaderModule({ code: wgsl });
    try {
      const pipeline = await device.createComputePipelineAsync({
        layout: device.createPipelineLayout({ bindGroupLayouts: [layout] }),
        compute: { module, entryPoint: kernel.entryPoint },
      });
      return { pipeline, layout };
    } catch (e) {
      ctx.ensureAlive();
      const info = await module.getCompilationInfo().catch(() => undefined);
      const notes = info?.messages.map((m) => `${m.type} at ${m.lineNum}:${m.linePos}: ${m.message}`).join("\n") ?? "";
      const first = info?.messages.find((m) => m.type === "error");
      // WGSL read from a compiled directory is that file's fault, not the compiler's: one line naming the file.
      if (kernel.file !== undefined) throw new ManifestError(`${kernel.file}: the WGSL of kernel ${kernel.label} does not compile on ${ctx.adapter}${first ? ` (line ${first.lineNum}:${first.linePos}: ${first.message.split("\n")[0]})` : ""}`);
      throw new Error(`internal: the WGSL for ${kernel.label} does not compile on ${ctx.adapter}: ${e instanceof Error ? e.message : String(e)}\n${notes}\n${numbered(wgsl)}`);
    }
  })();
  cache.set(wgsl, made);
  made.catch(() => cache.delete(wgsl));
  return made;
}

/** mapAsync for reading, its failure (a lost device) a GpuDeviceError. */
export async function mapForReading(ctx: GpuContext, buffer: GPUBuffer): Promise<void> {
  try {
    await buffer.mapAsync(MAP_READ_MODE);
  } catch (e) {
    ctx.ensureAlive();
    throw new GpuDeviceError(`reading results back from the GPU failed: ${e instanceof Error ? e.message : String(e)}`);
  }
}


/**
 * The dropout draws of one run, in the CPU executor's order (node order, one uniform per element), packed one bit per
 * element: bit i is set where the element is dropped (uniform < rate), exactly the reference's decision. Keyed by the
 * manifest's random buffer.
 */
export function drawRandomBits(program: ProgramManifest, next: () => number, rows?: number): Map<number, Uint32Array> {
  const out = new Map<number, Uint32Array>();
  for (const b of program.buffers) {
    if (b.kind !== "random") continue;
    // A batch of `rows` real rows draws for those rows only, as a program for exactly that batch would.
    const count = rows !== undefined && b.perRow !== undefined ? b.perRow * rows : b.count!;
    const rate = b.rate!;
    const bits = new Uint32Array(b.bytes / 4);
    for (let i = 0; i < count; i++) if (next() < rate) bits[i >>> 5]! |= 1 << (i & 31);
    out.set(b.id, bits);
  }
  return out;
}

/** Named parameter and optimizer-state buffers, lent by the session. */
export interface NamedBuffers {
  /** The buffer holding `name`'s current value (slot `parity`). */
  current(name: string, parity: number): GPUBuffer;
  /** The buffer a training step writes `name`'s next value into (the other slot). */
  next(name: string, parity: number): GPUBuffer;
}

export interface RunInputs {
  parity: number;
  /** Host data for every input buffer, by name, already in storage dtype. */
  inputs: ReadonlyMap<string, Float32Array | Int32Array>;
  /** Packed random bits per random buffer (drawRandomBits). */
  randoms?: ReadonlyMap<number, Uint32Array>;
}

/** A copy recorded after the kernels: `bytes` of a buffer (the status words when `from` is "status") into `into`. */
export interface Readback {
  from: number | "status";
  into: GPUBuffer;
  offset: number;
}

/** A value as read back: its shape and storage-typed data. */
export interface ReadValue {
  shape: readonly number[];
  data: Float32Array | Int32Array;
}

export const STATUS_BYTES = 16;

export class ProgramInstance {
  private readonly owned = new Map<number, GPUBuffer>();
  private readonly status: GPUBuffer;
  private pipelines: Pipeline[] = [];
  private readonly bindGroups = new Map<number, GPUBindGroup[]>();
  private readonly staging = new Map<string, { buffer: GPUBuffer; offsets: number[]; size: number }>();
  private readonly valuesByNode = new Map<number, ManifestValue>();

  private constructor(private readonly ctx: GpuContext, readonly manifest: ProgramManifest, private readonly named: NamedBuffers) {
    const device = ctx.device;
    let status: GPUBuffer | undefined;
    for (const b of manifest.buffers) {
      if (b.kind === "param" || b.kind === "state" || b.kind === "update") continue;
      const usage = Usage.STORAGE | Usage.COPY_SRC | Usage.COPY_DST;
      const buffer = device.createBuffer({ size: Math.max(4, b.bytes), usage, label: `${b.kind} ${b.name ?? b.id}` });
      if (b.kind === "constant") {
        const bytes = fromBase64(b.data!);
        device.queue.writeBuffer(buffer, 0, bytes.buffer as ArrayBuffer, bytes.byteOffset, bytes.byteLength);
      }
      if (b.kind === "status") status ??= buffer;
      this.owned.set(b.id, buffer);
    }
    this.status = status ?? device.createBuffer({ size: STATUS_BYTES, usage: Usage.STORAGE | Usage.COPY_SRC | Usage.COPY_DST, label: "status" });
    for (const v of manifest.values) this.valuesByNode.set(v.node, v);
  }

  /** Allocates the program's buffers and creates its pipelines (in parallel). */
  static async create(ctx: GpuContext, manifest: ProgramManifest, named: NamedBuffers): Promise<ProgramInstance> {
    const instance = await guarded(ctx, `allocating ${manifest.peakBytes} bytes for a program of ${manifest.kernels.length} kernels`, () => new ProgramInstance(ctx, manifest, named));
    instance.pipelines = await Promise.all(manifest.kernels.map((k) => pipelineFor(ctx, k)));
    return instance;
  }

  /** The readable value computed by `node`; throws when the program was not compiled to keep it. */
  value(node: number): ManifestValue {
    const v = this.valuesByNode.get(node);
    if (!v) throw new Error(`internal: %${node} is not a value this program keeps`);
    return v;
  }

  private buffer(id: number, parity: number): GPUBuffer {
    const own = this.owned.get(id);
    if (own) return own;
    const b = this.manifest.buffers[id]!;
    if (b.kind === "update") return this.named.next(b.name!, parity);
    return this.named.current(b.name!, parity);
  }

  private groupsFor(parity: number): GPUBindGroup[] {
    let groups = this.bindGroups.get(parity);
    if (!groups) {
      groups = this.manifest.kernels.map((k, i) =>
        this.ctx.device.createBindGroup({
          layout: this.pipelines[i]!.layout,
          entries: k.bindings.map((b) => ({ binding: b.binding, resource: { buffer: this.buffer(b.buffer, parity) } })),
        }));
      this.bindGroups.set(parity, groups);
    }
    return groups;
  }

  /**
   * Uploads the inputs and random bits, records every kernel and then the readback copies into one command buffer,
   * and submits it; waits for nothing but the error scopes.
   */
  submit(r: RunInputs, copies: readonly Readback[]): Promise<void> {
    const device = this.ctx.device;
    return guarded(this.ctx, `running ${this.manifest.kernels.length} kernels`, () => {
      this.uploadInputs(r);
      const encoder = device.createCommandEncoder();
      encoder.clearBuffer(this.status);
      const pass = encoder.beginComputePass();
      const groups = this.groupsFor(r.parity);
      this.manifest.kernels.forEach((k, i) => {
        pass.setPipeline(this.pipelines[i]!.pipeline);
        pass.setBindGroup(0, groups[i]!);
        pass.dispatchWorkgroups(k.dispatch[0], k.dispatch[1], k.dispatch[2]);
      });
      pass.end();
      for (const c of copies) {
        if (c.from === "status") encoder.copyBufferToBuffer(this.status, 0, c.into, c.offset, STATUS_BYTES);
        else encoder.copyBufferToBuffer(this.buffer(c.from, r.parity), 0, c.into, c.offset, this.manifest.buffers[c.from]!.bytes);
      }
      device.queue.submit([encoder.finish()]);
    });
  }

  private uploadInputs(r: RunInputs): void {
    const device = this.ctx.device;
    for (const b of this.manifest.buffers) {
      if (b.kind === "input") {
        const data = r.inputs.get(b.name!);
        if (!data || 4 * data.length !== b.bytes) throw new Error(`internal: input ${b.name} has ${data?.length ?? 0} elements, expected ${b.bytes / 4}`);
        upload(device, this.owned.get(b.id)!, data);
      } else if (b.kind === "random") {
        const bits = r.randoms?.get(b.id);
        if (!bits) throw new Error(`internal: no random bits for random buffer ${b.id}`);
        upload(device, this.owned.get(b.id)!, bits);
      }
    }
  }

  /**
   * One run with every kernel timed (`dlg profile`): each kernel in a compute pass of its own, between timestamps when
   * the device has them. Results are not read back; a training step's updates land in the next slot, unused.
   */
  async profile(r: RunInputs): Promise<KernelTimings> {
    const device = this.ctx.device;
    const kernels = this.manifest.kernels;
    const groups = this.groupsFor(r.parity);
    const record = (encoder: GPUCommandEncoder, i: number, timestampWrites?: GPUComputePassTimestampWrites) => {
      const pass = encoder.beginComputePass(timestampWrites ? { timestampWrites } : {});
      pass.setPipeline(this.pipelines[i]!.pipeline);
      pass.setBindGroup(0, groups[i]!);
      const k = kernels[i]!;
      pass.dispatchWorkgroups(k.dispatch[0], k.dispatch[1], k.dispatch[2]);
      pass.end();
    };
    if (!device.features.has("timestamp-query")) {
      const nanoseconds: number[] = [];
      await guarded(this.ctx, "uploading a profiled run's inputs", () => this.uploadInputs(r));
      for (let i = 0; i < kernels.length; i++) {
        const start = performance.now();
        await guarded(this.ctx, `running kernel ${i + 1} alone`, () => {
          const encoder = device.createCommandEncoder();
          record(encoder, i);
          device.queue.submit([encoder.finish()]);
        });
        await device.queue.onSubmittedWorkDone();
        nanoseconds.push((performance.now() - start) * 1e6);
      }
      return { nanoseconds, method: "submit" };
    }
    const count = 2 * kernels.length;
    const querySet = device.createQuerySet({ type: "timestamp", count });
    const resolved = device.createBuffer({ size: 8 * count, usage: Usage.QUERY_RESOLVE | Usage.COPY_SRC, label: "timestamps" });
    const readback = device.createBuffer({ size: 8 * count, usage: Usage.MAP_READ | Usage.COPY_DST, label: "timestamps (read)" });
    try {
      await guarded(this.ctx, `running ${kernels.length} timed kernels`, () => {
        this.uploadInputs(r);
        const encoder = device.createCommandEncoder();
        kernels.forEach((_, i) => record(encoder, i, { querySet, beginningOfPassWriteIndex: 2 * i, endOfPassWriteIndex: 2 * i + 1 }));
        encoder.resolveQuerySet(querySet, 0, count, resolved, 0);
        encoder.copyBufferToBuffer(resolved, 0, readback, 0, 8 * count);
        device.queue.submit([encoder.finish()]);
      });
      await mapForReading(this.ctx, readback);
      const stamps = new BigInt64Array(readback.getMappedRange().slice(0));
      readback.unmap();
      return { nanoseconds: kernels.map((_, i) => Math.max(0, Number(stamps[2 * i + 1]! - stamps[2 * i]!))), method: "timestamp-query" };
    } finally {
      querySet.destroy();
      resolved.destroy();
      readback.destroy();
    }
  }

  /** Throws the ExecutionError a kernel reported in the status words [code, value], if any. */
  checkStatus(words: Uint32Array): void {
    const code = words[0]!;
    if (code === 0) return;
    const message = this.manifest.messages[String(code)] ?? `a kernel reported failure ${code}`;
    throw new ExecutionError(message.replace("{value}", String(words[1]! | 0)));
  }

  private stagingFor(read: readonly number[]): { buffer: GPUBuffer; offsets: number[]; size: number } {
    const key = read.join(",");
    let s = this.staging.get(key);
    if (!s) {
      const offsets: number[] = [];
      let size = STATUS_BYTES;
      for (const n of read) {
        offsets.push(size);
        size += this.manifest.buffers[this.value(n).buffer]!.bytes;
      }
      s = { buffer: this.ctx.device.createBuffer({ size, usage: Usage.MAP_READ | Usage.COPY_DST, label: "readback" }), offsets, size };
      this.staging.set(key, s);
    }
    return s;
  }

  /** Runs the program and reads back the status words and the values of `read` (nodes the program keeps). */
  async run(r: RunInputs, read: readonly number[]): Promise<Map<number, ReadValue>> {
    const staging = this.stagingFor(read);
    const copies: Readback[] = [{ from: "status", into: staging.buffer, offset: 0 }];
    read.forEach((n, i) => copies.push({ from: this.value(n).buffer, into: staging.buffer, offset: staging.offsets[i]! }));
    await this.submit(r, copies);
    await mapForReading(this.ctx, staging.buffer);
    const bytes = staging.buffer.getMappedRange().slice(0);
    staging.buffer.unmap();
    this.checkStatus(new Uint32Array(bytes, 0, 2));
    const out = new Map<number, ReadValue>();
    read.forEach((n, i) => {
      const v = this.value(n);
      const elements = v.shape.reduce((a, b) => a * b, 1);
      const data = v.dtype === "i32" ? new Int32Array(bytes, staging.offsets[i]!, elements) : new Float32Array(bytes, staging.offsets[i]!, elements);
      out.set(n, { shape: v.shape, data });
    });
    return out;
  }

  destroy(): void {
    for (const b of this.owned.values()) b.destroy();
    for (const s of this.staging.values()) s.buffer.destroy();
    this.status.destroy();
  }
}
