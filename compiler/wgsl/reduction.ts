// One reduction schedule for every op that folds many values into one per output (reductions, the kernel gradient of
// a convolution): a loop per invocation when the fold is short, a cooperative workgroup with a tree in workgroup
// memory when it is long. The fold order differs from the CPU's sequential one only by float rounding. Results leave
// through the store hook, so an elementwise consumer of the same size (a loss's scale, an optimizer's update of a bias
// from its gradient) runs as the reduction's epilogue.
import type { KernelContext } from "./contract.js";
import type { WgslBuilder } from "./wgsl-builder.js";
import { u32, type WgslScalar } from "./wgsl-values.js";

export interface ReductionSpec {
  /** Number of results. */
  outputs: number;
  /** Values folded into each result. */
  length: number;
  type: WgslScalar;
  /** The identity of `combine`. */
  init: string;
  combine(acc: string, value: string): string;
  /** Emits lets before the fold of result `o` (a u32 expression) and returns what `load` gets as `base`. */
  prepare?(w: WgslBuilder, o: string): string;
  /** Emits lets and returns the value at fold position `r` of the result whose `prepare` returned `base`. */
  load(w: WgslBuilder, base: string, r: string): string;
  /** The stored result from the folded accumulator (a mean divides). */
  finish?(acc: string): string;
}

/** Folds at least this long get a cooperative workgroup per result. */
export const COOPERATIVE_LENGTH = 128;

export function emitReduction(k: KernelContext, spec: ReductionSpec): void {
  const finish = spec.finish ?? ((acc: string) => acc);
  if (spec.length < COOPERATIVE_LENGTH) {
    k.perElement(spec.outputs, (w, o) => {
      const base = spec.prepare ? spec.prepare(w, o) : o;
      w.line(`var acc: ${spec.type} = ${spec.init};`);
      w.block(`for (var r = 0u; r < ${k.loopBound(spec.length)}; r++)`, () => {
        const v = spec.load(w, base, "r");
        w.line(`acc = ${spec.combine("acc", v)};`);
      });
      k.store(w, o, finish("acc"));
    });
    return;
  }
  k.perWorkgroup(spec.outputs, 64, (w, o, lane, lanes) => {
    const partial = k.shared("partial", spec.type, lanes);
    const base = spec.prepare ? spec.prepare(w, o) : o;
    w.line(`var acc: ${spec.type} = ${spec.init};`);
    w.block(`for (var r = ${lane}; r < ${k.loopBound(spec.length)}; r += ${u32(lanes)})`, () => {
      const v = spec.load(w, base, "r");
      w.line(`acc = ${spec.combine("acc", v)};`);
    });
    w.line(`${partial}[${lane}] = acc;`);
    w.line("workgroupBarrier();");
    // The tree is unrolled: every barrier sits in uniform control flow.
    for (let s = lanes / 2; s >= 1; s /= 2) {
      w.block(`if (${lane} < ${u32(s)})`, () => {
        w.line(`${partial}[${lane}] = ${spec.combine(`${partial}[${lane}]`, `${partial}[${lane} + ${u32(s)}]`)};`);
      });
      w.line("workgroupBarrier();");
    }
    w.block(`if (${lane} == 0u)`, () => k.store(w, o, finish(`${partial}[0]`)));
  });
}
