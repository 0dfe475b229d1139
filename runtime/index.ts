/// <reference types="@webgpu/types" preserve="true" />
// `dlg/runtime`: what a web page ships to train and run a model compiled ahead of time (`dlg compile`), without the
// compiler and without Node: the model, its manifest, a browser's WebGPU device, the checkpoint codec, host tensors,
// seeded random numbers, the training loop and data binding. The reference above makes the WebGPU types these
// declarations use (GPUDevice, ...) part of any program that imports them.

// ---- compiled models and their manifest -------------------------------------------------------------------------
export { CompiledModel, resolveModelManifest, type CompiledModelOptions } from "./compiled-model.js";
export {
  checkModelManifest,
  checkProgramManifest,
  ManifestError,
  type BufferKind,
  type ManifestBinding,
  type ManifestBuffer,
  type ManifestKernel,
  type ManifestParam,
  type ManifestTensor,
  type ManifestValue,
  type ModelManifest,
  type ManifestPage,
  type ProgramKind,
  type ProgramManifest,
  type StorageDType,
} from "./manifest.js";
export type { Batch, DeviceTensors } from "./gpu-model.js";
export type { ReadValue } from "./gpu-program.js";
export { ExecutionError } from "./errors.js";

// ---- the device -------------------------------------------------------------------------------------------------
export {
  browserDevice,
  openDevice,
  describeAdapter,
  GpuDeviceError,
  GpuUnavailableError,
  type AdapterChoice,
  type AdapterRequest,
  type GpuContext,
} from "./device.js";
export type { KernelLimits } from "./limits.js";

// ---- checkpoints, tensors, random numbers -----------------------------------------------------------------------
export {
  encodeSafetensors,
  decodeSafetensors,
  decodeCheckpoint,
  checkTensorsMatch,
  CheckpointError,
  type Checkpoint,
  type ExpectedTensor,
} from "./checkpoint.js";
export { hostTensor, elementCount, sliceRows, takeRows, type HostDType, type HostTensor } from "./tensor.js";
export { Random, streams, type RandomState } from "./random.js";

// ---- training and data ------------------------------------------------------------------------------------------
export {
  train,
  trainSteps,
  type StepsOptions,
  evaluate,
  TrainingError,
  type ClassifierTarget,
  type EpochReport,
  type Evaluation,
  type Split,
  type TrainableSession,
  type TrainOptions,
} from "./train.js";
export { bindInputs, type BoundInput, type ModelInput } from "./data/bind.js";
export { DataError, describeFields, splitHoldout, type Dataset } from "./data/dataset.js";
export { argmax, classMetrics, softmaxRows, type ClassMetrics } from "./metrics.js";
