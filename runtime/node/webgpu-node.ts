// WebGPU in Node: Dawn through the `webgpu` package. Vulkan first (Mesa's lavapipe on a machine without a GPU), then
// OpenGL ES in compatibility mode (Mesa's llvmpipe through EGL, headless).
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

/** A device for `choice`; "auto" tries Dawn's default backend (Vulkan on Linux), then OpenGL ES. */
export async function nodeDevice(choice: AdapterChoice = "auto"): Promise<GpuContext> {
  // A switch like CUDA_VISIBLE_DEVICES="": run on the CPU (with --backend auto) whatever the machine has.
  if (process.env["DLG_WEBGPU"] === "off") throw new GpuUnavailableError("WebGPU is turned off (DLG_WEBGPU=off)");
  const create = await loadCreate();
  const requests: AdapterRequest[] = [];
  const request = (backend: string, kind: "default" | "vulkan" | "gles", options?: GPURequestAdapterOptions) => {
    let gpu: GPU;
    try {
      gpu = instance(create, kind);
    } catch (e) {
      // Reported in probe order, like an adapter request that failed.
      gpu = { requestAdapter: () => Promise.reject(e) } as unknown as GPU;
    }
    requests.push({ backend, gpu, ...(options ? { options } : {}) });
  };
  if (choice === "auto") request("vulkan", "default");
  if (choice === "vulkan") request("vulkan", "vulkan");
  if (choice === "auto" || choice === "gles") request("gles", "gles", { featureLevel: "compatibility" });
  return openDevice(requests, INSTALL_HINT);
}

export function parseAdapterChoice(text: string | undefined): AdapterChoice | undefined {
  if (text === undefined) return "auto";
  return text === "auto" || text === "vulkan" || text === "gles" ? text : undefined;
}
