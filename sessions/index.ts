/// <reference types="@webgpu/types" preserve="true" />
// The `dlg` package for Node: check and compile `.dlg` sources, inspect their graphs, and train or run them on the
// CPU reference or a WebGPU device. The browser-safe runtime alone is `dlg/runtime`; Node's device and file loaders
// are `dlg/node`. The reference above makes the WebGPU types these declarations use (GPUDevice, ...) part of any
// program that imports them, so a consumer's type-check needs no `types` entry of its own.

// ---- the compiler pipeline --------------------------------------------------------------------------------------
export {
  checkSource,
  compile,
  lowerProgram,
  compileModel,
  programGraph,
  batchShapes,
  namedReads,
  CodegenError,
  DEFAULT_LIMITS,
  type CompileResult,
  type CheckOptions,
  type CheckResult,
  type LowerOptions,
  type CompileModelOptions,
  type KernelLimits,
  type ReadRequest,
  type ProgramKind,
} from "../compiler/index.js";
export type { BindingInfo } from "../compiler/2-check/check.js";
export type { ModelManifest, ProgramManifest } from "../runtime/manifest.js";

// ---- diagnostics ------------------------------------------------------------------------------------------------
export {
  renderAll,
  renderDiagnostic,
  diagnosticToJson,
  type Diagnostic,
  type JsonDiagnostic,
  type Note,
  type RenderOptions,
} from "../compiler/diagnostics/diagnostic.js";
export type { Severity } from "../compiler/diagnostics/messages.js";
export { LineIndex, type LineCol, type SourceFile, type Span } from "../compiler/diagnostics/span.js";

// ---- the IR -----------------------------------------------------------------------------------------------------
export { Dim, formatType, type DType, type TensorType } from "../compiler/ir/types.js";
export type { Graph, GraphParam, IRNode, NodeId, Optimizer } from "../compiler/ir/graph.js";
export { printGraph } from "../compiler/ir/print.js";

// ---- sessions and training --------------------------------------------------------------------------------------
export { CpuSession, initialParams, type SessionOptions } from "./cpu-session.js";
export { GpuSession, type GpuSessionOptions } from "./gpu-session.js";
export { bindDataset, modelInputs, type BoundDataset } from "./bind-data.js";
export type { HostValue } from "../compiler/ir/interpret.js";
export {
  train,
  evaluate,
  TrainingError,
  type ClassifierTarget,
  type EpochReport,
  type Evaluation,
  type Split,
  type TrainableSession,
  type TrainOptions,
} from "../runtime/train.js";
export type { Batch, DeviceTensors } from "../runtime/gpu-model.js";
export type { ReadValue } from "../runtime/gpu-program.js";
export type { GpuContext } from "../runtime/device.js";
export { ExecutionError } from "../runtime/errors.js";
/** Bad data met by the CPU reference (a label outside the classes); a GPU session reports it as an ExecutionError. */
export { ExecutionError as ReferenceExecutionError } from "../compiler/ir/define-op.js";
export { hostTensor, type HostDType, type HostTensor } from "../runtime/tensor.js";
export type { Dataset } from "../runtime/data/dataset.js";
