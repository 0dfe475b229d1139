// An op's whole declaration: its meaning (compiler/ir/define-op.ts) plus its WGSL emitter, so that one file keeps
// describing one op from shape rule to kernel.
import type { Attrs, OpSemantics } from "../ir/define-op.js";
import type { WgslEmitter } from "../wgsl/contract.js";

export interface OpDef<A extends Attrs = Attrs> extends OpSemantics<A> {
  /**
   * WGSL code generation (required: an op without a kernel cannot be compiled for the GPU): a scalar expression for
   * elementwise ops, a kernel body for the others, "bound" for sources whose buffers the runtime binds.
   */
  wgsl: WgslEmitter<A>;
}

export function defineOp<A extends Attrs>(def: OpDef<A>): OpDef<A> {
  return def;
}
