// Errors the runtime raises about a program's data rather than about the device or the compiler. A leaf module, so
// a page that ships only the runtime and compiled artifacts does not pull in the compiler for an error class.

/** A run-time check failed (a label out of range, an input of the wrong shape): the program was fine, its data was not. */
export class ExecutionError extends Error {}
