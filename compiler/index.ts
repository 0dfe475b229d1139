// The compiler as the phases in a row. Later phases (autodiff, optimize, codegen) append here.
import type { Program } from "./1-parse/ast.js";
import { parse } from "./1-parse/parse.js";
import { checkProgram, type CheckOptions, type CheckResult } from "./2-check/check.js";
import { DiagnosticBag, sortDiagnostics, type Diagnostic } from "./diagnostics/diagnostic.js";

export interface CompileResult {
  program: Program;
  /** Absent when syntax errors stopped compilation before checking. */
  check?: CheckResult;
  diagnostics: Diagnostic[];
  ok: boolean;
}

export function compile(text: string, file: string, options: CheckOptions = {}): CompileResult {
  const parsed = parse(text, file);
  const bag = parsed.diagnostics;
  let check: CheckResult | undefined;
  if (bag.errorCount === 0) {
    try {
      check = checkProgram(parsed.program, bag, options);
    } catch (e) {
      // A pathological program (an expression chain tens of thousands of terms long) can still exhaust the stack.
      if (!(e instanceof RangeError)) throw e;
      bag.report("tooDeep", { start: 0, end: 0 }, { limit: 10_000 });
    }
  }
  const diagnostics = sortDiagnostics([...bag.items]);
  return { program: parsed.program, ...(check ? { check } : {}), diagnostics, ok: !diagnostics.some((d) => d.severity === "error") };
}

export { parse, DiagnosticBag };
export type { CheckOptions, CheckResult };
