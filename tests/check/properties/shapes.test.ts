// Properties of shape inference on random well-typed programs (generator.ts):
// - the checker infers exactly the types the generator's independent reference (reference.ts) computed for every
//   input, param and binding, reports nothing at all, and lowers to an IR graph that verifies;
// - a concrete batch size substituted into the symbolic types equals checking with that size written into the
//   program in place of `N` (and equals the reference evaluated at that size);
// - overriding a hyperparameter (`--set`) equals writing the value as its default.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { runs } from "./settings.js";
import { compile, type CompileResult } from "../../../compiler/index.js";
import { Dim } from "../../../compiler/ir/dims.js";
import { formatType } from "../../../compiler/ir/types.js";
import { verifyGraph } from "../../../compiler/ir/verify.js";
import { bindingType } from "../../helpers.js";
import { clone, num, programArb, refCheck, render, typeText, type Generated, type GStmt, type Rendered, type TType } from "./generator.js";

/** The checker's type text for the statement that declares a name at this range, by position. */
function checkedAt(result: CompileResult, r: Rendered, s: GStmt): string | undefined {
  const at = r.nameRange.get(s)!.start;
  const b = result.check?.bindings.find((x) => x.span.start === at);
  return b?.type ? formatType(b.type) : b?.description;
}

/**
 * Diagnostics other than the training warnings: the generator does not route every parameter into its loss, so
 * W104/W105 (parameters the loss never reaches) are expected of some valid programs.
 */
const notTrainingWarnings = (r: CompileResult) => r.diagnostics.filter((d) => d.code !== "W104" && d.code !== "W105");

function expectShapes(result: CompileResult, r: Rendered, expected: Map<GStmt, TType>): void {
  expect(notTrainingWarnings(result)).toEqual([]);
  expect(result.ok).toBe(true);
  for (const [s, t] of expected) {
    const range = r.range.get(s)!;
    expect(checkedAt(result, r, s), r.text.slice(range.start, range.end)).toBe(typeText(t));
  }
  // Every tensor the checker lists is one the generator expected (nothing extra).
  expect(result.check!.bindings.filter((b) => b.type).length).toBe(expected.size);
  // bindingType (the last binding of a name) agrees too.
  const lastByName = new Map<string, [number, TType]>();
  for (const [s, t] of expected) {
    const at = r.nameRange.get(s)!.start;
    const n = (s as { name: string }).name;
    if ((lastByName.get(n)?.[0] ?? -1) < at) lastByName.set(n, [at, t]);
  }
  for (const [n, [, t]] of lastByName) expect(bindingType(result, n)).toBe(typeText(t));
  expect(verifyGraph(result.check!.graph)).toEqual([]);
}

describe("shape inference on generated programs", () => {
  it("infers exactly the expected type of every binding, with no diagnostics and a valid graph", () => {
    fc.assert(
      fc.property(programArb, ({ program, expected }: Generated) => {
        const r = render(program);
        expectShapes(compile(r.text, "gen.dlg"), r, expected);
      }),
      runs(0x5eed01, 1500),
    );
  });

  it("overriding a hyperparameter (--set) equals writing the value as its default", () => {
    fc.assert(
      fc.property(programArb, fc.nat(), fc.integer({ min: 1, max: 20 }), ({ program }: Generated, which, value) => {
        const hparams = program.model.hparams;
        fc.pre(hparams.length > 0);
        const h = hparams[which % hparams.length]!;
        const text = h.type === "float" ? `${value / 10}` : `${value}`;
        const edited = clone(program);
        edited.model.hparams[which % hparams.length]!.def = num(h.type === "float" ? value / 10 : value);
        const viaOption = compile(render(program).text, "gen.dlg", { overrides: { [h.name]: text } });
        const viaDefault = compile(render(edited).text, "gen.dlg");
        const summary = (r: CompileResult) => ({
          bindings: (r.check?.bindings ?? []).map((b) => `${b.name}: ${b.type ? formatType(b.type) : b.description}`),
          diagnostics: r.diagnostics.map((d) => `${d.code} ${d.message}`),
          hyperparameters: r.check?.hyperparameters,
        });
        expect(summary(viaOption)).toEqual(summary(viaDefault));
        // The reference agrees on the edited program, valid or not.
        const ref = refCheck(edited);
        if (ref.kind === "ok") expectShapes(viaDefault, render(edited), ref.bindings);
        if (ref.kind === "error") expect(viaDefault.ok).toBe(false);
      }),
      runs(0x5eed0b, 800),
    );
  });

  it("substituting a concrete N into the inferred types equals checking with that N written in", () => {
    fc.assert(
      fc.property(programArb, fc.integer({ min: 1, max: 9 }), ({ program }: Generated, n) => {
        const symbolic = render(program);
        const concrete = render(program, { batch: n });
        const a = compile(symbolic.text, "gen.dlg");
        const b = compile(concrete.text, "gen.dlg");
        expect(notTrainingWarnings(b)).toEqual([]);
        const env = new Map([["N", Dim.const(n)]]);
        const substituted = a.check!.bindings.map((x) => ({ name: x.name, type: x.type ? formatType({ dtype: x.type.dtype, shape: x.type.shape.map((d) => d.substitute(env)) }) : x.description }));
        const direct = b.check!.bindings.map((x) => ({ name: x.name, type: x.type ? formatType(x.type) : x.description }));
        expect(direct).toEqual(substituted);
        // And both agree with the reference evaluated at that N.
        const ref = refCheck(program, { batch: n });
        expect(ref.kind).toBe("ok");
        if (ref.kind === "ok") expectShapes(b, concrete, ref.bindings);
      }),
      runs(0x5eed02, 600),
    );
  });
});
