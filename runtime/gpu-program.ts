// A ProgramPlan made real on a device: one buffer per node, pipelines (created asynchronously, in parallel, cached by
// WGSL text), bind groups, and a run that records every kernel into one command encoder and submits it once.
// Parameters and optimizer state are not owned here: the session lends their buffers by name, in two slots that
// alternate between training steps (a step reads one slot and writes the other), so a failed step changes nothing.
import type { CompiledKernel, ProgramPlan } from "../compiler/5-codegen-wgsl/emit-program.js";
import type { NodeId } from "../compiler/ir/graph.js";
import { ExecutionError } from "../compiler/ir/define-op.js";
import type { HostValue } from "../compiler/ir/interpret.js";
import { GpuDeviceError, guarded, type GpuContext } from "./device.js";

/** GPUBufferUsage, GPUShaderStage and GPUMapMode values (the constants are not globals in Node). */
export const Usage = { MAP_READ: 0x1, COPY_SRC: 0x4, COPY_DST: 0x8, STORAGE: 0x80 } as const;
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
export function pipelineFor(ctx: GpuContext, kernel: CompiledKernel): Promise<Pipeline> {
  const device = ctx.device;
  let cache = pipelineCaches.get(device);
  if (!cache) pipelineCaches.set(device, (cache = new Map()));
  const hit = cache.get(kernel.wgsl);
  if (hit) return hit;
  const made = (async (): Promise<Pipeline> => {
    const layout = device.createBindGroupLayout({
      entries: kernel.layout.entries.map((e) => ({
        binding: e.binding,
        visibility: COMPUTE_STAGE,
        buffer: { type: e.access === "read" ? "read-only-storage" : "storage" },
      })),
    });
    const module = device.createShaderModule({ code: kernel.wgsl });
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
      throw new Error(`internal: the WGSL for ${kernel.what} does not compile on ${ctx.adapter}: ${e instanceof Error ? e.message : String(e)}\n${notes}\n${numbered(kernel.wgsl)}`);
    }
  })();
  cache.set(kernel.wgsl, made);
  made.catch(() => cache.delete(kernel.wgsl));
  return made;
}

/**
 * The dropout draws of one run, in the CPU executor's order (node order, one uniform per element), packed one bit per
 * element: bit i is set where the element is dropped (uniform < rate), exactly the reference's decision.
 */
export function drawRandomBits(randoms: ProgramPlan["randoms"], next: () => number): Map<NodeId, Uint32Array> {
  const out = new Map<NodeId, Uint32Array>();
  for (const r of randoms) {
    const bits = new Uint32Array(Math.max(1, Math.ceil(r.count / 32)));
    for (let i = 0; i < r.count; i++) if (next() < r.rate) bits[i >>> 5]! |= 1 << (i & 31);
    out.set(r.node, bits);
  }
  return out;
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

/** Named parameter and optimizer-state buffers, lent by the session. */
export interface NamedBuffers {
  /** The buffer holding `name`'s current value (slot `parity`). */
  current(name: string, parity: number): GPUBuffer;
  /** The buffer a training step writes `name`'s next value into (the other slot). */
  next(name: string, parity: number): GPUBuffer;
}

export interface ProgramRun {
  parity: number;
  /** Host data for every input node, by name, already in storage dtype. */
  inputs: ReadonlyMap<string, Float32Array | Int32Array>;
  /** Packed random bits per dropout node (plan.randoms). */
  randoms?: ReadonlyMap<NodeId, Uint32Array>;
  /** Nodes to read back. */
  read: readonly NodeId[];
}

export class ProgramInstance {
  private readonly owned = new Map<NodeId, GPUBuffer>();
  private readonly randomBuffers = new Map<NodeId, GPUBuffer>();
  private readonly status: GPUBuffer;
  private pipelines: Pipeline[] = [];
  private readonly bindGroups = new Map<number, GPUBindGroup[]>();
  /** For a training step: the nodes computing each name's next value. */
  private readonly updateOf = new Map<NodeId, string>();
  private readonly staging = new Map<string, { buffer: GPUBuffer; offsets: number[]; size: number }>();

  private constructor(private readonly ctx: GpuContext, readonly plan: ProgramPlan, private readonly named: NamedBuffers,
    updates: readonly { name: string; node: NodeId }[]) {
    for (const u of updates) {
      const b = plan.buffers[u.node]!;
      if (b.source || b.folded || this.updateOf.has(u.node))
        throw new Error(`internal: the update of ${u.name} (%${u.node}) is not a computed node of its own`);
      this.updateOf.set(u.node, u.name);
    }
    const device = ctx.device;
    for (const b of plan.buffers) {
      if (b.source && b.source.kind !== "input") continue;
      if (this.updateOf.has(b.node)) continue;
      const buffer = device.createBuffer({ size: Math.max(4, b.bytes), usage: Usage.STORAGE | Usage.COPY_SRC | Usage.COPY_DST, label: `%${b.node}` });
      if (b.folded) upload(device, buffer, b.folded);
      this.owned.set(b.node, buffer);
    }
    for (const r of plan.randoms) {
      this.randomBuffers.set(r.node, device.createBuffer({ size: 4 * Math.max(1, Math.ceil(r.count / 32)), usage: Usage.STORAGE | Usage.COPY_DST }));
    }
    this.status = device.createBuffer({ size: 16, usage: Usage.STORAGE | Usage.COPY_SRC | Usage.COPY_DST, label: "status" });
  }

  /** Allocates the program's buffers and creates its pipelines (in parallel). */
  static async create(ctx: GpuContext, plan: ProgramPlan, named: NamedBuffers, updates: readonly { name: string; node: NodeId }[] = []): Promise<ProgramInstance> {
    const bytes = plan.buffers.reduce((s, b) => s + (b.source && b.source.kind !== "input" ? 0 : b.bytes), 0);
    const instance = await guarded(ctx, `allocating ${bytes} bytes for a program of ${plan.buffers.length} values`, () => new ProgramInstance(ctx, plan, named, updates));
    instance.pipelines = await Promise.all(plan.kernels.map((k) => pipelineFor(ctx, k)));
    return instance;
  }

  private bufferOf(node: NodeId, parity: number): GPUBuffer {
    const own = this.owned.get(node);
    if (own) return own;
    const update = this.updateOf.get(node);
    if (update !== undefined) return this.named.next(update, parity);
    const source = this.plan.buffers[node]!.source;
    if (!source) throw new Error(`internal: no buffer for %${node}`);
    return this.named.current(source.name, parity);
  }

  private groupsFor(parity: number): GPUBindGroup[] {
    let groups = this.bindGroups.get(parity);
    if (!groups) {
      groups = this.plan.kernels.map((k, i) =>
        this.ctx.device.createBindGroup({
          layout: this.pipelines[i]!.layout,
          entries: k.bindings.map((b) => {
            const role = b.role;
            const buffer = role.kind === "status" ? this.status : role.kind === "random" ? this.randomBuffers.get(role.node)! : this.bufferOf(role.node, parity);
            return { binding: b.binding, resource: { buffer } };
          }),
        }));
      this.bindGroups.set(parity, groups);
    }
    return groups;
  }

  private stagingFor(read: readonly NodeId[]): { buffer: GPUBuffer; offsets: number[]; size: number } {
    const key = read.join(",");
    let s = this.staging.get(key);
    if (!s) {
      const offsets: number[] = [];
      let size = 16; // the status words first
      for (const n of read) {
        offsets.push(size);
        size += Math.max(4, this.plan.buffers[n]!.bytes);
      }
      s = { buffer: this.ctx.device.createBuffer({ size, usage: Usage.MAP_READ | Usage.COPY_DST, label: "readback" }), offsets, size };
      this.staging.set(key, s);
    }
    return s;
  }

  /** Uploads the inputs, runs every kernel in one submit, and reads back the status word and the requested nodes. */
  async run(r: ProgramRun): Promise<Map<NodeId, HostValue>> {
    const ctx = this.ctx;
    const device = ctx.device;
    const staging = this.stagingFor(r.read);
    await guarded(ctx, `running ${this.plan.kernels.length} kernels`, () => {
      for (const b of this.plan.buffers) {
        if (b.source?.kind !== "input") continue;
        const data = r.inputs.get(b.source.name);
        if (!data || data.length !== b.elements) throw new Error(`internal: input ${b.source.name} has ${data?.length ?? 0} elements, expected ${b.elements}`);
        upload(device, this.owned.get(b.node)!, data);
      }
      for (const [node, buffer] of this.randomBuffers) {
        const bits = r.randoms?.get(node);
        if (!bits) throw new Error(`internal: no random bits for dropout node %${node}`);
        upload(device, buffer, bits);
      }
      const encoder = device.createCommandEncoder();
      encoder.clearBuffer(this.status);
      const pass = encoder.beginComputePass();
      const groups = this.groupsFor(r.parity);
      this.plan.kernels.forEach((k, i) => {
        pass.setPipeline(this.pipelines[i]!.pipeline);
        pass.setBindGroup(0, groups[i]!);
        pass.dispatchWorkgroups(k.dispatch[0], k.dispatch[1], k.dispatch[2]);
      });
      pass.end();
      encoder.copyBufferToBuffer(this.status, 0, staging.buffer, 0, 16);
      r.read.forEach((n, i) => encoder.copyBufferToBuffer(this.bufferOf(n, r.parity), 0, staging.buffer, staging.offsets[i]!, Math.max(4, this.plan.buffers[n]!.bytes)));
      device.queue.submit([encoder.finish()]);
    });
    await mapForReading(ctx, staging.buffer);
    const bytes = staging.buffer.getMappedRange().slice(0);
    staging.buffer.unmap();
    const [code, value] = new Uint32Array(bytes, 0, 2) as unknown as [number, number];
    if (code !== 0) {
      const message = this.plan.messages.get(code) ?? `a kernel reported failure ${code}`;
      throw new ExecutionError(message.replace("{value}", String(value | 0)));
    }
    const out = new Map<NodeId, HostValue>();
    r.read.forEach((n, i) => {
      const b = this.plan.buffers[n]!;
      const data = b.dtype === "i32" ? new Int32Array(bytes, staging.offsets[i]!, b.elements) : new Float32Array(bytes, staging.offsets[i]!, b.elements);
      out.set(n, { shape: this.plan.types[n]!.shape, data });
    });
    return out;
  }

  destroy(): void {
    for (const b of this.owned.values()) b.destroy();
    for (const b of this.randomBuffers.values()) b.destroy();
    for (const s of this.staging.values()) s.buffer.destroy();
    this.status.destroy();
  }
}
