// An op's whole declaration: its meaning (compiler/ir/define-op.ts) plus its WGSL emitter, so that one file keeps
// describing one op from shape rule to kernel.
import type { Attrs, OpSemantics } from "../ir/define-op.js";
import type { OpAttrs, OpName } from "../ir/registry.js";
import type { ViewRule, WgslEmitter } from "../wgsl/contract.js";

export interface OpDef<A extends Attrs = Attrs, N extends string = string> extends OpSemantics<A, N> {
  /**
   * WGSL code generation (required: an op without a kernel cannot be compiled for the GPU): a scalar expression for
   * elementwise ops, a kernel body for the others, "bound" for sources whose buffers the runtime binds.
   */
  wgsl: WgslEmitter<A>;
  /** For ops that only rearrange elements: how a fused consumer reads their result in place (see ViewRule). */
  view?: ViewRule<A>;
}

/** The definition of op `N`, with the attributes its file declared for it in OpCatalog. */
export type OpDefOf<N extends OpName> = OpDef<OpAttrs<N>, N>;

/** Defines op `name`: its attributes are the ones the op's file declared in OpCatalog, so the two cannot drift apart. */
export function defineOp<N extends OpName>(def: OpDefOf<N>): OpDefOf<N> {
  return def;
}
