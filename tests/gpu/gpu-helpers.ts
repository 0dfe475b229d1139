// The WebGPU test harness: one device per test file (Node's `webgpu` package; DLG_ADAPTER=vulkan|gles|auto picks),
// the CI rule (no adapter fails under CI=true, is a visible skip elsewhere), and a comparison that understands NaN,
// infinities and float rounding.
import { expect, it } from "vitest";
import { GpuUnavailableError, type GpuContext } from "../../runtime/device.js";
import { nodeDevice, parseAdapterChoice } from "../../runtime/node/webgpu-node.js";

export interface TestGpu {
  ctx: GpuContext | undefined;
  reason: string;
}

export async function openTestGpu(): Promise<TestGpu> {
  const choice = parseAdapterChoice(process.env["DLG_ADAPTER"]);
  if (!choice) return { ctx: undefined, reason: `DLG_ADAPTER must be auto, vulkan or gles, got '${process.env["DLG_ADAPTER"]}'` };
  try {
    return { ctx: await nodeDevice(choice), reason: "" };
  } catch (e) {
    if (e instanceof GpuUnavailableError) return { ctx: undefined, reason: e.message };
    throw e;
  }
}

/** The first test of a WebGPU suite: prints the adapter; without one, fails under CI and warns (the suite skips) elsewhere. */
export function adapterTest(gpu: TestGpu, suite: string): void {
  it("runs on a WebGPU adapter", () => {
    if (gpu.ctx) {
      console.log(`${suite}: adapter ${gpu.ctx.adapter}`);
      return;
    }
    if (process.env["CI"] === "true") throw new Error(`${suite}: no WebGPU adapter under CI: ${gpu.reason}`);
    console.warn(`${suite}: SKIPPED, no WebGPU adapter: ${gpu.reason}`);
  });
}

export interface Tolerance {
  /** Absolute slack. */
  atol: number;
  /** Slack relative to the reference value. */
  rtol: number;
}

export const EXACT: Tolerance = { atol: 0, rtol: 0 };

/** Index and values of the first element outside `tol`, or undefined. NaN matches NaN; infinities must match exactly. */
export function firstMismatch(got: ArrayLike<number>, want: ArrayLike<number>, tol: Tolerance): { i: number; got: number; want: number } | undefined {
  for (let i = 0; i < want.length; i++) {
    const g = got[i]!;
    const w = want[i]!;
    if (Number.isNaN(w) ? Number.isNaN(g) : !Number.isFinite(w) ? g === w : Math.abs(g - w) <= tol.atol + tol.rtol * Math.abs(w)) continue;
    return { i, got: g, want: w };
  }
  return undefined;
}

export function expectClose(got: ArrayLike<number>, want: ArrayLike<number>, tol: Tolerance, what: string): void {
  expect(got.length, `${what}: element count`).toBe(want.length);
  const bad = firstMismatch(got, want, tol);
  expect(bad, bad ? `${what}: element ${bad.i} is ${bad.got} on the GPU, ${bad.want} on the CPU (atol ${tol.atol}, rtol ${tol.rtol})` : what).toBeUndefined();
}

