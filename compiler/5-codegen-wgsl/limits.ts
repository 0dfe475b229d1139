// The adapter limits code generation must respect, checked when a program is emitted, not discovered at dispatch.
// A subset of GPUSupportedLimits, so a real adapter's limits object can be passed as is.

export interface KernelLimits {
  maxStorageBuffersPerShaderStage: number;
  maxComputeWorkgroupSizeX: number;
  maxComputeInvocationsPerWorkgroup: number;
  maxComputeWorkgroupsPerDimension: number;
  maxComputeWorkgroupStorageSize: number;
  maxStorageBufferBindingSize: number;
  maxBufferSize: number;
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
  };
}

/** A program that cannot be compiled for this adapter (a limit exceeded, an op without a kernel); one line. */
export class CodegenError extends Error {}
