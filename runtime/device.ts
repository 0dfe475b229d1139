// A GPUDevice and what the compiler needs to know about it. Browser-safe: the browser's navigator.gpu here, Node's
// `webgpu` package in node/webgpu-node.ts. No adapter is a GpuUnavailableError saying how to get one; a lost device
// or an allocation that runs out of memory is a GpuDeviceError, never a silent wrong result.
import { limitsOf, type KernelLimits } from "./limits.js";

/** Which adapter to use: the first that works, or one backend explicitly. */
export type AdapterChoice = "auto" | "vulkan" | "gles";

/** No WebGPU adapter (or no WebGPU at all) on this machine; the message says how to get one. */
export class GpuUnavailableError extends Error {}

/** The device was lost, ran out of memory, or rejected work. */
export class GpuDeviceError extends Error {}

export interface GpuContext {
  readonly device: GPUDevice;
  /** One line: vendor, architecture, driver description, backend. */
  readonly adapter: string;
  readonly backend: string;
  /** The limits the device was created with (the adapter's own, not the WebGPU defaults). */
  readonly limits: KernelLimits;
  /** Why the device was lost, once it has been. */
  readonly lostReason: string | undefined;
  /** Throws GpuDeviceError when the device has been lost. */
  ensureAlive(): void;
}

/** One way of asking for an adapter. */
export interface AdapterRequest {
  /** The backend's name in messages ("vulkan", "gles", "browser"). */
  backend: string;
  gpu: GPU;
  options?: GPURequestAdapterOptions;
}

const LIMIT_NAMES = [
  "maxStorageBuffersPerShaderStage", "maxComputeWorkgroupSizeX", "maxComputeInvocationsPerWorkgroup", "maxComputeWorkgroupsPerDimension",
  "maxComputeWorkgroupStorageSize", "maxStorageBufferBindingSize", "maxBufferSize",
] as const;

/** `mesa software: llvmpipe ... [vulkan, fallback adapter]`. */
export function describeAdapter(info: GPUAdapterInfo, backend: string, extra: readonly string[] = []): string {
  const who = [info.vendor, info.architecture].filter((s) => s).join(" ") || info.device || "unknown adapter";
  const what = info.description && info.description !== who ? `: ${info.description}` : "";
  const fallback = (info as GPUAdapterInfo & { isFallbackAdapter?: boolean }).isFallbackAdapter ? ["fallback adapter"] : [];
  return `${who}${what} [${[backend, ...extra, ...fallback].join(", ")}]`;
}

/** Adapters that run shaders on the CPU: Mesa's llvmpipe (lavapipe), SwiftShader, or any the browser calls a fallback. */
export function isSoftwareAdapter(info: GPUAdapterInfo): boolean {
  if ((info as GPUAdapterInfo & { isFallbackAdapter?: boolean }).isFallbackAdapter) return true;
  return /llvmpipe|lavapipe|swiftshader|softpipe/i.test([info.vendor, info.architecture, info.device, info.description].join(" "));
}

class Context implements GpuContext {
  private lost: string | undefined;

  constructor(readonly device: GPUDevice, readonly adapter: string, readonly backend: string, readonly limits: KernelLimits) {
    void device.lost.then((info) => {
      this.lost = `${info.reason === "destroyed" ? "destroyed" : "lost"}${info.message ? `: ${info.message}` : ""}`;
    });
  }

  get lostReason(): string | undefined {
    return this.lost;
  }

  ensureAlive(): void {
    if (this.lost !== undefined) throw new GpuDeviceError(`the GPU device (${this.adapter}) is ${this.lost}`);
  }
}

/**
 * The first adapter the requests yield, with a device that has the adapter's own limits for what code generation
 * uses (more storage buffers per stage and larger buffers than the WebGPU defaults). `hint` ends the message of the
 * GpuUnavailableError thrown when none does.
 */
export async function openDevice(requests: readonly AdapterRequest[], hint: string): Promise<GpuContext> {
  const tried: string[] = [];
  for (const r of requests) {
    let adapter: GPUAdapter | null = null;
    try {
      adapter = await r.gpu.requestAdapter(r.options);
    } catch (e) {
      tried.push(`${r.backend} (${e instanceof Error ? e.message : String(e)})`);
      continue;
    }
    if (!adapter) {
      tried.push(r.backend);
      continue;
    }
    const requiredLimits: Record<string, number> = {};
    for (const name of LIMIT_NAMES) requiredLimits[name] = adapter.limits[name];
    // Timestamps are asked for where the adapter has them: `dlg profile` times each kernel with them.
    const requiredFeatures: GPUFeatureName[] = adapter.features.has("timestamp-query") ? ["timestamp-query"] : [];
    let device: GPUDevice;
    try {
      device = await adapter.requestDevice({ requiredLimits, requiredFeatures });
    } catch (e) {
      tried.push(`${r.backend} (device refused: ${e instanceof Error ? e.message : String(e)})`);
      continue;
    }
    const extra = r.options?.featureLevel === "compatibility" ? ["compatibility"] : [];
    return new Context(device, describeAdapter(adapter.info, r.backend, extra), r.backend, {
      ...limitsOf(device.limits),
      workgroupTiling: !isSoftwareAdapter(adapter.info),
    });
  }
  throw new GpuUnavailableError(`no WebGPU adapter found (tried ${tried.join(", ") || "nothing"}); ${hint}`);
}

/** The browser's WebGPU. */
export async function browserDevice(): Promise<GpuContext> {
  const gpu = (globalThis as { navigator?: { gpu?: GPU } }).navigator?.gpu;
  if (!gpu) throw new GpuUnavailableError("this browser has no WebGPU (navigator.gpu is missing); use a recent Chrome, Edge or Firefox, or --backend cpu");
  return openDevice([{ backend: "browser", gpu }], "enable WebGPU in the browser, or use --backend cpu");
}

/** Dawn's messages add indented context lines (` - While calling ...`); an error stays one line. */
function oneLine(message: string): string {
  return message.trim().replace(/\s*\n\s*/g, " ");
}

/**
 * Runs `f` (buffer creation, pipeline creation, a submit) inside out-of-memory and validation error scopes and turns
 * what they catch into a GpuDeviceError naming `what`.
 */
export async function guarded<T>(ctx: GpuContext, what: string, f: () => T): Promise<T> {
  ctx.ensureAlive();
  const device = ctx.device;
  device.pushErrorScope("out-of-memory");
  device.pushErrorScope("validation");
  let result: T;
  try {
    result = f();
  } finally {
    // Both pops are issued before any await, so scopes pushed by concurrent work cannot interleave with these.
    const [validation, oom] = await Promise.all([device.popErrorScope(), device.popErrorScope()]);
    ctx.ensureAlive();
    if (oom) throw new GpuDeviceError(`out of GPU memory ${what} (${ctx.adapter}): ${oneLine(oom.message)}`);
    if (validation) throw new GpuDeviceError(`the GPU rejected ${what}: ${oneLine(validation.message)}`);
  }
  return result;
}
