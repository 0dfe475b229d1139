// WebGPU in Node: Dawn through the `webgpu` package. Vulkan first (Mesa's lavapipe on a machine without a GPU), then
// OpenGL ES in compatibility mode (Mesa's llvmpipe through EGL, headless). What Dawn prints natively while it looks
// for adapters is sorted here: known noise is dropped, why a backend has no adapter becomes part of dlg's own message,
// anything else still reaches stderr.
import { randomUUID } from "node:crypto";
import { closeSync, constants, fstatSync, openSync, readFileSync, readSync, unlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { isMainThread } from "node:worker_threads";
import { openDevice, GpuUnavailableError, type AdapterChoice, type AdapterRequest, type GpuContext } from "../device.js";

export const INSTALL_HINT =
  "on Debian bookworm install Mesa's software Vulkan driver from backports: apt-get install -t bookworm-backports mesa-vulkan-drivers (see .ci/install-gpu.sh)";

type Create = (options: string[]) => GPU;

/**
 * Every GPU object `create()` returned, kept for the life of the process: if one is garbage-collected while a device
 * from it is in use, dawn.node segfaults or aborts (and buffered output to a pipe is lost with it).
 */
const instances = new Map<string, GPU>();

let loaded: Promise<Create> | undefined;

async function loadCreate(): Promise<Create> {
  loaded ??= import("webgpu").then((m) => m.create as Create);
  try {
    return await loaded;
  } catch (e) {
    loaded = undefined;
    throw new GpuUnavailableError(`the \`webgpu\` package (Dawn for Node) does not load here: ${e instanceof Error ? e.message.split("\n")[0] : String(e)}`);
  }
}

function instance(create: Create, backend: "default" | "vulkan" | "gles"): GPU {
  let gpu = instances.get(backend);
  if (!gpu) {
    // Mesa's EGL needs a platform without a display server. A worker thread's process.env is its own copy, which
    // the C library never sees, so there the variable must come from the environment the process started with.
    if (backend === "gles" && process.env["EGL_PLATFORM"] === undefined) {
      if (!isMainThread) throw new GpuUnavailableError("EGL_PLATFORM=surfaceless must be set when the process starts (a worker thread cannot set it)");
      process.env["EGL_PLATFORM"] = "surfaceless";
    }
    gpu = create(backend === "gles" ? ["backend=opengles"] : backend === "vulkan" ? ["backend=vulkan"] : []);
    instances.set(backend, gpu);
  }
  return gpu;
}

/*
 * Dawn (and the drivers and libraries under it) write warnings with fprintf(stderr), straight to fd 2, while an
 * instance enumerates its adapters: once per instance, inside the synchronous part of its first requestAdapter().
 * Dawn has no switch for this (no toggle, no `create()` flag, no log callback below the device; its log level is fixed
 * when it is built), and the text does not depend on what dlg asks for: the dynamic-buffer warning is Dawn clamping
 * the limits the driver reports, before requestDevice() and whatever its requiredLimits.
 *
 * Node cannot dup2(), so fd 2 is borrowed instead: closed, so that reopening a temporary file takes that number, then
 * closed again and the real stderr reopened through /proc/self/fd in its place. Reopening yields a new open file
 * description, which behaves as the old one only for a terminal, a pipe, a character device or a file opened for
 * appending; a socket cannot be reopened at all (and is what Node gives a child's piped stderr), and a file written at
 * an offset would be overwritten by whoever shares the old description (as `>log 2>&1` does). There the noise passes
 * through unchanged. Between close and reopen another thread could take fd 2, so this happens only on the main thread,
 * with no file-system or DNS request in flight, before any device of ours exists (whose driver threads write shader
 * caches), and with nothing queued on process.stderr (libuv's epoll registration of fd 2 dies with the old description,
 * and libuv aborts when it next changes it for a queued write). A crash inside the borrowed moment loses what was printed in it: DLG_DEBUG=1 leaves fd 2 alone.
 */

/** Flags that reopen the real stderr as it is now, or undefined when fd 2 must not be borrowed. */
function borrowableStderr(): number | undefined {
  if (process.platform !== "linux" || !isMainThread || process.env["DLG_DEBUG"]) return undefined;
  // Also sets up process.stderr, whose pipe libuv makes non-blocking, before the flags are read below.
  if (process.stderr.writableLength > 0) return undefined;
  if (process.getActiveResourcesInfo().some((r) => /^(FSReq|GetAddrInfoReqWrap|GetNameInfoReqWrap)/.test(r))) return undefined;
  try {
    // With fd 0 or 1 closed, the lowest free number would not be 2.
    fstatSync(0);
    fstatSync(1);
    const stat = fstatSync(2);
    const flags = Number.parseInt(/^flags:\s*([0-7]+)$/m.exec(readFileSync("/proc/self/fdinfo/2", "utf8"))?.[1] ?? "", 8);
    if (Number.isNaN(flags)) return undefined;
    const { O_WRONLY, O_NOCTTY, O_APPEND, O_NONBLOCK } = constants;
    if (!stat.isCharacterDevice() && !stat.isFIFO() && !(stat.isFile() && (flags & O_APPEND) !== 0)) return undefined;
    // A pipe non-blocking (as libuv leaves it anyway), so that one without a reader fails to open instead of hanging.
    return O_WRONLY | O_NOCTTY | (flags & (O_APPEND | O_NONBLOCK)) | (stat.isFIFO() ? O_NONBLOCK : 0);
  } catch {
    return undefined;
  }
}

/** Runs `f` with fd 2 on a temporary file; `text` is what was written there, undefined when fd 2 was not borrowed. */
function capturingStderr<T>(f: () => T): { value: T; text: string | undefined } {
  const flags = borrowableStderr();
  if (flags === undefined) return { value: f(), text: undefined };
  let real = -1;
  let file = -1;
  try {
    // Both opened before fd 2 is touched, so that nothing can fail while it is away.
    real = openSync("/proc/self/fd/2", flags);
    const path = join(tmpdir(), `dlg-webgpu-${process.pid}-${randomUUID()}.log`);
    file = openSync(path, constants.O_RDWR | constants.O_CREAT | constants.O_EXCL, 0o600);
    unlinkSync(path);
  } catch {
    for (const fd of [real, file]) if (fd >= 0) closeSync(fd);
    return { value: f(), text: undefined };
  }
  let borrowed = -1;
  let value: T;
  closeSync(2);
  try {
    borrowed = openSync(`/proc/self/fd/${file}`, constants.O_WRONLY);
    value = f();
  } finally {
    // When it is not 2, another thread took the number first, and nothing in Node can give it back.
    if (borrowed >= 0) closeSync(borrowed);
    let back: number;
    try {
      back = openSync(`/proc/self/fd/${real}`, flags);
    } catch {
      // The pipe's reader is gone: keep the number taken, or the next file opened would receive stderr.
      back = openSync("/dev/null", constants.O_WRONLY);
    }
    if (back !== 2) closeSync(back);
    closeSync(real);
  }
  const text = borrowed === 2 ? readAll(file) : undefined;
  closeSync(file);
  return { value, text };
}

function readAll(fd: number): string {
  const buffer = Buffer.alloc(fstatSync(fd).size);
  let length = 0;
  while (length < buffer.length) {
    const n = readSync(fd, buffer, length, buffer.length - length, length);
    if (n === 0) break;
    length += n;
  }
  return buffer.subarray(0, length).toString("utf8");
}

/** Native output that tells a dlg user nothing. */
const NOISE = [
  // Dawn clamps the dynamic-offset limits the driver reports (lavapipe 1000000, llvmpipe's GLES 90 and 80, RADV
  // 500000) to the 16 it can allocate, whatever the device asks for; dlg binds no buffer at a dynamic offset.
  /^Warning: maxDynamic(Uniform|Storage)BuffersPerPipelineLayout artificially reduced from \d+ to \d+ to fit dynamic offset allocation limit\.$/,
  // libwayland, when Mesa's device-select Vulkan layer tries the compositor WAYLAND_DISPLAY names without
  // XDG_RUNTIME_DIR: dlg shows nothing on a display, and the layer then orders the devices without the hint.
  /^error: XDG_RUNTIME_DIR is invalid or not set in the environment\.$/,
];

/** The first line of one of Dawn's own messages; its context (` - While ...`) and `    at` lines are indented. */
const DAWN_MESSAGE = /^(Warning|Error): /;

interface NativeMessage {
  lines: string[];
  dawn: boolean;
}

function nativeMessages(text: string): NativeMessage[] {
  const messages: NativeMessage[] = [];
  if (text === "") return messages;
  for (const line of text.replace(/\n$/, "").split("\n")) {
    const last = messages.at(-1);
    if (last?.dawn && (line === "" || /^\s/.test(line))) last.lines.push(line);
    else messages.push({ lines: [line], dawn: DAWN_MESSAGE.test(line) });
  }
  return messages.filter((m) => !NOISE.some((noise) => noise.test(m.lines[0]!)));
}

function forward(messages: readonly NativeMessage[]): void {
  if (messages.length > 0) process.stderr.write(messages.map((m) => `${m.lines.join("\n")}\n`).join(""));
}

/** Instances whose adapters Dawn has enumerated: it does so once, and prints only then. */
const enumerated = new Set<GPU>();
/** Why an instance has no adapter, in Dawn's words, for every later request too. */
const noAdapterReasons = new Map<GPU, string>();
/** Once a device exists, its driver's threads may open files (shader caches) at any moment: fd 2 stays put. */
let deviceOpened = false;

/**
 * `gpu` with the output of its adapter enumeration sorted: noise dropped, Dawn's reason for having no adapter turned
 * into a rejection (so it is part of dlg's message when no backend works, and silent when a later one does), the rest
 * forwarded to stderr.
 */
function quietly(gpu: GPU): GPU {
  const requestAdapter = async (options?: GPURequestAdapterOptions): Promise<GPUAdapter | null> => {
    const call = (): Promise<GPUAdapter | null> => {
      try {
        return gpu.requestAdapter(options);
      } catch (e) {
        return Promise.reject(e);
      }
    };
    const enumerates = !enumerated.has(gpu);
    enumerated.add(gpu);
    const { value, text } = enumerates && !deviceOpened ? capturingStderr(call) : { value: call(), text: undefined };
    const messages = nativeMessages(text ?? "");
    let adapter: GPUAdapter | null;
    try {
      adapter = await value;
    } catch (e) {
      forward(messages);
      throw e;
    }
    if (adapter) {
      forward(messages);
      return adapter;
    }
    const reasons = messages.filter((m) => m.dawn).map((m) => m.lines[0]!.replace(DAWN_MESSAGE, ""));
    if (reasons.length > 0) noAdapterReasons.set(gpu, reasons.join("; "));
    forward(messages.filter((m) => !m.dawn));
    const reason = noAdapterReasons.get(gpu);
    if (reason !== undefined) throw new Error(reason);
    return null;
  };
  return { requestAdapter } as unknown as GPU;
}

/** A device for `choice`; "auto" tries Dawn's default backend (Vulkan on Linux), then OpenGL ES. */
export async function nodeDevice(choice: AdapterChoice = "auto"): Promise<GpuContext> {
  // A switch like CUDA_VISIBLE_DEVICES="": run on the CPU (with --backend auto) whatever the machine has.
  if (process.env["DLG_WEBGPU"] === "off") throw new GpuUnavailableError("WebGPU is turned off (DLG_WEBGPU=off)");
  const create = await loadCreate();
  const requests: AdapterRequest[] = [];
  const request = (backend: string, kind: "default" | "vulkan" | "gles", options?: GPURequestAdapterOptions) => {
    let gpu: GPU;
    try {
      gpu = quietly(instance(create, kind));
    } catch (e) {
      // Reported in probe order, like an adapter request that failed.
      gpu = { requestAdapter: () => Promise.reject(e) } as unknown as GPU;
    }
    requests.push({ backend, gpu, ...(options ? { options } : {}) });
  };
  if (choice === "auto") request("vulkan", "default");
  if (choice === "vulkan") request("vulkan", "vulkan");
  if (choice === "auto" || choice === "gles") request("gles", "gles", { featureLevel: "compatibility" });
  const ctx = await openDevice(requests, INSTALL_HINT);
  deviceOpened = true;
  return ctx;
}

export function parseAdapterChoice(text: string | undefined): AdapterChoice | undefined {
  if (text === undefined) return "auto";
  return text === "auto" || text === "vulkan" || text === "gles" ? text : undefined;
}
