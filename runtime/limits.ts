// The adapter limits generated code must respect: a subset of GPUSupportedLimits, so a real adapter's limits object
// can be passed as is. The runtime records them with a device; the compiler checks every kernel against them.

export interface KernelLimits {
  maxStorageBuffersPerShaderStage: number;
  maxComputeWorkgroupSizeX: number;
  maxComputeInvocationsPerWorkgroup: number;
  maxComputeWorkgroupsPerDimension: number;
  maxComputeWorkgroupStorageSize: number;
  maxStorageBufferBindingSize: number;
  maxBufferSize: number;
  /**
   * Not a limit but a trait of the target: false on software adapters (lavapipe, SwiftShader), where a workgroup
   * barrier costs more than the reuse that workgroup memory buys, so matrix kernels use register blocking alone
   * (measured in bench/gpu-matmul-bench.ts). Absent means a hardware GPU.
   */
  workgroupTiling?: boolean;
}

/** The WebGPU core defaults: what every adapter supports, so code emitted for these runs anywhere. */
export const DEFAULT_LIMITS: KernelLimits = {
  maxStorageBuffersPerShaderStage: 8,
  maxComputeWorkgroupSizeX: 256,
  maxComputeInvocationsPerWorkgroup: 256,
  maxComputeWorkgroupsPerDimension: 65535,
  maxComputeWorkgroupStorageSize: 16384,
  maxStorageBufferBindingSize: 134217728,
  maxBufferSize: 268435456,
};

export function limitsOf(source: KernelLimits): KernelLimits {
  return {
    maxStorageBuffersPerShaderStage: source.maxStorageBuffersPerShaderStage,
    maxComputeWorkgroupSizeX: source.maxComputeWorkgroupSizeX,
    maxComputeInvocationsPerWorkgroup: source.maxComputeInvocationsPerWorkgroup,
    maxComputeWorkgroupsPerDimension: source.maxComputeWorkgroupsPerDimension,
    maxComputeWorkgroupStorageSize: source.maxComputeWorkgroupStorageSize,
    maxStorageBufferBindingSize: source.maxStorageBufferBindingSize,
    maxBufferSize: source.maxBufferSize,
    ...(source.workgroupTiling === undefined ? {} : { workgroupTiling: source.workgroupTiling }),
  };
}
