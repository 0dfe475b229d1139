// Constant folding: every node that depends on nothing but constants (no input, parameter, state, dim value or
// random draw among its ancestors) has one value for a program's life, so it is computed once on the host with its
// CPU reference. The code generator uploads folded values once and writes folded scalars into fused kernels as
// literals.
import type { ConcreteType, ExecContext, HostData } from "../ir/define-op.js";
import type { Dim } from "../ir/dims.js";
import type { Graph, NodeId } from "../ir/graph.js";
import { getOp } from "../ir/registry.js";
import { isFloat } from "../ir/types.js";

/** A graph at concrete sizes: each node's concrete type by id, and symbolic dim attrs resolved. */
export interface GraphInstance {
  types: readonly ConcreteType[];
  env: ReadonlyMap<string, number>;
  dim(d: Dim): number;
}

export function foldConstants(graph: Graph, instance: GraphInstance, training: boolean): Map<NodeId, Float32Array | Int32Array> {
  const folded = new Map<NodeId, Float32Array | Int32Array>();
  for (const node of graph.nodes) {
    const def = getOp(node.op);
    // Sources (bound by name, or computed from the run's sizes and draws) are never constants.
    if (def.fusion === "source" || !node.inputs.every((i) => folded.has(i))) continue;
    const type = instance.types[node.id]!;
    const ctx: ExecContext = {
      inputs: node.inputs.map((i) => instance.types[i]!),
      output: type,
      dim: (d) => instance.dim(d),
      // Folded values are stored as the GPU stores them: f32 for every float dtype, i32 for integers.
      alloc: (n) => (isFloat(type.dtype) ? new Float32Array(n) : new Int32Array(n)),
      training,
      random: () => {
        throw new Error(`internal: ${node.op} folded as a constant draws random numbers`);
      },
    };
    const value: HostData = def.reference(node.inputs.map((i) => folded.get(i)!), node.attrs, ctx);
    folded.set(node.id, value as Float32Array | Int32Array);
  }
  return folded;
}
