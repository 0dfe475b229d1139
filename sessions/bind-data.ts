// A dataset bound to a model's inputs, as the training loop takes it: the checker's input types meet the runtime's
// data binding here, above both.
import { nameRecord } from "../runtime/records.js";
import type { Graph } from "../compiler/ir/graph.js";
import { bindInputs, type ModelInput } from "../runtime/data/bind.js";
import type { Dataset } from "../runtime/data/dataset.js";
import type { HostTensor } from "../runtime/tensor.js";
import type { Split } from "../runtime/train.js";

/** Both splits of a dataset, one tensor per model input. */
export interface BoundDataset {
  train: Split;
  test: Split;
}

/** A graph's inputs as data binding sees them: symbolic dims by name (`"N"`). */
export function modelInputs(graph: Graph): ModelInput[] {
  return graph.inputs.map((i) => ({
    name: i.name,
    dtype: i.type.dtype === "i32" ? "i32" : "f32",
    shape: i.type.shape.map((d) => d.constValue() ?? d.toString()),
  }));
}

/** Binds every input of `graph` to a field of `dataset` (see bindInputs); a DataError says what does not fit. */
export function bindDataset(graph: Graph, dataset: Dataset): BoundDataset {
  const train = nameRecord<HostTensor>();
  const test = nameRecord<HostTensor>();
  for (const [name, bound] of Object.entries(bindInputs(modelInputs(graph), dataset))) {
    train[name] = bound.train;
    test[name] = bound.test;
  }
  return { train, test };
}
