/// <reference types="@webgpu/types" preserve="true" />
// `dlg/node`: the runtime's Node side: a WebGPU device through Dawn (the `webgpu` package), `dlg compile`
// directories and checkpoints on disk, and the data loaders behind `--data` (mnist, iris, .safetensors, .csv).

export { nodeDevice } from "./webgpu-node.js";
export { GpuDeviceError, GpuUnavailableError, type AdapterChoice, type GpuContext } from "../device.js";
export { readCompiledModel, MANIFEST_FILE } from "./compiled-dir.js";
export { readCheckpoint, writeCheckpoint } from "./checkpoint-file.js";
export type { Checkpoint } from "../checkpoint.js";
export { loadDataset, bindInputs, DataError, describeFields, type BoundInput, type Dataset, type LoadOptions, type ModelInput } from "./data/index.js";
