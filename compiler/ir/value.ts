// A handle on a typed IR node: what lowering, gradient rules and optimizers pass around while they build a graph.
import type { NodeId } from "./graph.js";
import type { TensorType } from "./types.js";

export interface TensorValue {
  kind: "tensor";
  type: TensorType;
  node: NodeId;
}
