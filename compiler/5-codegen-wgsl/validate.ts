// Every emitted module is parsed with wgsl_reflect before it reaches a device, and its bind group layout is derived
// from the reflection, not restated: a binding the emitter declared but the module lacks (or the reverse) is caught
// here, at compile time, with the WGSL in the message.
import { WgslReflect } from "wgsl_reflect/wgsl_reflect.module.js";
import type { KernelPlan } from "./emit-kernel.js";

export interface LayoutEntry {
  binding: number;
  /** "read" is a read-only storage buffer, "read_write" a storage buffer. */
  access: "read" | "read_write";
}

export interface Reflection {
  entries: LayoutEntry[];
  workgroupSize: [number, number, number];
}

function numbered(wgsl: string): string {
  return wgsl.split("\n").map((l, i) => `${String(i + 1).padStart(4)} | ${l}`).join("\n");
}

/** Parses the kernel's WGSL and returns its bind group 0 layout; throws (internal error) on any disagreement. */
export function reflectKernel(kernel: KernelPlan): Reflection {
  const fail = (why: string): never => {
    throw new Error(`internal: the WGSL emitted for ${kernel.what} ${why}\n${numbered(kernel.wgsl)}`);
  };
  let reflect: WgslReflect;
  try {
    reflect = new WgslReflect(kernel.wgsl);
  } catch (e) {
    return fail(`does not parse: ${e instanceof Error ? e.message : String(e)}`);
  }
  const entry = reflect.entry.compute.find((f) => f.name === kernel.entryPoint);
  if (!entry) return fail(`has no compute entry point \`${kernel.entryPoint}\``);
  const size = entry.workgroupSize ?? [1, 1, 1];
  if (size[0] !== kernel.workgroupSize || size[1] !== 1 || size[2] !== 1) fail(`declares @workgroup_size(${size.join(", ")}), the plan says ${kernel.workgroupSize}`);
  const resources = [...reflect.storage, ...reflect.uniforms, ...reflect.textures, ...reflect.samplers];
  const entries: LayoutEntry[] = [];
  for (const v of resources.sort((a, b) => a.group - b.group || a.binding - b.binding)) {
    if (v.group !== 0) fail(`uses bind group ${v.group}`);
    if (!reflect.storage.includes(v)) fail(`declares \`${v.name}\`, which is not a storage buffer`);
    const access = v.access === "read" ? "read" : v.access === "read_write" ? "read_write" : fail(`declares \`${v.name}\` with access \`${v.access}\``);
    const planned = kernel.bindings[v.binding];
    if (!planned || planned.name !== v.name || planned.access !== access)
      fail(`declares \`${v.name}\` (${access}) at binding ${v.binding}, the plan has ${planned ? `\`${planned.name}\` (${planned.access})` : "nothing"}`);
    entries.push({ binding: v.binding, access });
  }
  if (entries.length !== kernel.bindings.length) fail(`declares ${entries.length} bindings, the plan has ${kernel.bindings.length}`);
  return { entries, workgroupSize: [size[0], size[1], size[2]] };
}
