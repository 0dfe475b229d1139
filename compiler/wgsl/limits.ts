// The adapter limits code generation must respect, checked when a program is emitted, not discovered at dispatch.
// A subset of GPUSupportedLimits, so a real adapter's limits object can be passed as is.

export { DEFAULT_LIMITS, limitsOf, type KernelLimits } from "../../runtime/limits.js";

/** A program that cannot be compiled for this adapter (a limit exceeded, an op without a kernel); one line. */
export class CodegenError extends Error {}
