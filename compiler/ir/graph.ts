// The IR: a graph of primitive ops in topological order (a node's inputs always precede it), typed with symbolic shapes.
import type { Span } from "../diagnostics/span.js";
import type { OpName } from "./op-catalog.js";
import type { Attrs, TensorType } from "./types.js";

export type NodeId = number;

export interface IRNode {
  id: NodeId;
  op: OpName;
  inputs: readonly NodeId[];
  attrs: Attrs;
  type: TensorType;
  /** The source text this node was lowered from, for diagnostics in later phases. */
  span?: Span;
  /** The binding or parameter this node produces, when it has one (for dumps and graph rendering). */
  label?: string;
}

export interface GraphParam {
  name: string;
  node: NodeId;
  type: TensorType;
  init: string;
  initArgs: readonly number[];
}

export interface Optimizer {
  name: "sgd" | "adam";
  /** Every argument resolved to a number, defaults filled in. */
  args: Readonly<Record<string, number>>;
  /** The optimizer call in the source: the update nodes of a training step are located there (profiles, reports). */
  span?: Span;
}

export interface Graph {
  nodes: IRNode[];
  inputs: { name: string; node: NodeId; type: TensorType }[];
  params: GraphParam[];
  outputs: { name: string; node: NodeId; type: TensorType }[];
  loss?: NodeId;
  /**
   * When the loss classifies: the output holding the class scores and the input holding the labels, by name, as the
   * checker recorded them from the loss (training reports accuracy on them).
   */
  classifier?: { output: string; labels: string };
  /**
   * Inputs that a classification loss reads as class indices, each with the number of classes it must stay below
   * (the last dim of the scores it is compared with): data is checked against them before a run starts.
   */
  labelInputs?: { input: string; classes: number }[];
  optimizer?: Optimizer;
  /**
   * Which statistics mode-dependent layers use (batch_norm): "train" (the batch's, updating running statistics) or
   * "eval" (the running ones). Absent for a model with no such layer. Dropout's mask is drawn only when a training
   * step runs, whatever the graph's mode: `dlg grad` differentiates the training graph without dropout.
   */
  mode?: "train" | "eval";
  /** The same model in training mode, where `mode` is "eval": what gradients and training steps are built from. */
  training?: Graph;
  /**
   * Non-trainable model state (PyTorch's buffers: batch_norm's running statistics), read through op `state` and saved
   * in checkpoints beside the parameters. In training mode, `update` is the value a training step stores.
   */
  buffers?: { name: string; node: NodeId; type: TensorType; init: number; update?: NodeId }[];
  /** After autodiff: d loss / d parameter, by parameter name. */
  grads?: { name: string; node: NodeId }[];
  /** Optimizer state a training step reads (sources of op `state`), with how each starts. */
  state?: { name: string; node: NodeId; type: TensorType; init: number }[];
  /** After a training step: the new value of each parameter and state tensor, by name. */
  updates?: { name: string; node: NodeId }[];
}

export function emptyGraph(): Graph {
  return { nodes: [], inputs: [], params: [], outputs: [] };
}
