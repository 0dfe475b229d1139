// Property: one mutation of a well-typed program is reported where it happened.
//
// The mutations: a dim of an input declaration changed (inputDim), a rank dropped from or added to an input (rank),
// dense units changed (denseUnits), a concat axis changed (concatAxis), a used name renamed to an undefined one
// (renameUse), a defined name (binding, input, hyperparameter, block parameter) renamed so its uses are undefined
// (renameDef), and a wrong annotation, block return type or block signature (annotation, returnType, signature: a
// dim changed, dropped or added, or the dtype).
//
// Whether a mutation breaks the program, and where, is decided by the generator's reference checker (reference.ts),
// which evaluates the mutated program in the checker's order and names the first node whose evaluation must fail:
// the op whose shape rule now rejects its inputs, the renamed use, the call whose arguments no longer match a block
// signature, the value of a binding whose annotation no longer holds, a block's return value.
//
// The criterion, per kind:
// - every kind: compile does not throw and reports at least one error;
// - inputDim, rank, denseUnits, concatAxis: some error's primary span overlaps the mutated text or the failing node.
//   The failing node consumes the mutated value, directly or through values computed from it (a changed input dim
//   bites at the first reshape, broadcast, matmul, concat, annotation or block call that pins it), so the mistake is
//   shown either where it was made or where it bites. Any error code: a dropped rank can surface as a shape error or
//   as `N` becoming undefined;
// - renameUse: an undefined-name error (E101, or E113 in `output`) whose span is exactly the renamed name;
// - renameDef: an undefined-name error (E101/E113) exactly at the first use of the old name; where that use is a
//   named argument of a block call whose parameter was renamed, an unknown-argument error (E105) inside that call;
//   and where the renamed statement rebound a name (`x = h0`), later uses see the older value of `x`, so the error is
//   whatever the first consumer of that value reports, overlapping it (the reference tells these cases apart);
// - annotation: an annotation mismatch (E203) overlapping the binding's value or its annotation;
// - returnType: a return mismatch (E204) overlapping the block's return value or its declared type;
// - signature: an argument-shape error (E205) overlapping the call's argument or the declared parameter type.
// A mutation the reference accepts (a changed dim that only flows into elementwise ops, a renamed binding no one
// uses) is checked the other way: no error, and the types the reference computes for the mutated program.
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import { runs } from "./settings.js";
import { compile } from "../../../compiler/index.js";
import { formatType } from "../../../compiler/ir/types.js";
import type { Span } from "../../../compiler/diagnostics/span.js";
import type { Diagnostic } from "../../../compiler/diagnostics/diagnostic.js";
import { clone, generate, refCheck, render, tapeArb, typeText, type GProgram } from "./generator.js";
import { mutationSites, type MutationKind } from "./mutate.js";

function overlaps(a: Span, b: Span): boolean {
  if (a.start === a.end) return b.start <= a.start && a.start <= b.end;
  if (b.start === b.end) return a.start <= b.start && b.start <= a.end;
  return a.start < b.end && b.start < a.end;
}

const stats = { broken: new Map<string, number>(), accepted: new Map<string, number>(), unknown: 0, none: 0 };
const bump = (m: Map<string, number>, k: string) => m.set(k, (m.get(k) ?? 0) + 1);

function checkBroken(kind: MutationKind, program: GProgram, target: object, failing: object, why: string): void {
  const r = render(program);
  const result = compile(r.text, "mut.dlg");
  const errors = result.diagnostics.filter((d) => d.severity === "error");
  const where = { mutated: r.range.get(target)!, failing: r.range.get(failing)! };
  const context = { kind, why, text: r.text, mutated: r.text.slice(where.mutated.start, where.mutated.end), failing: r.text.slice(where.failing.start, where.failing.end), errors: errors.map((d) => `${d.code} ${d.message} @${d.span.start}-${d.span.end}`) };
  expect(errors.length, JSON.stringify(context, null, 1)).toBeGreaterThan(0);
  const exactly = (d: Diagnostic, r: Span) => d.span.start === r.start && d.span.end === r.end;
  const near = (d: Diagnostic) => overlaps(d.span, where.mutated) || overlaps(d.span, where.failing);
  const undefinedName = (d: Diagnostic) => d.code === "E101" || d.code === "E113";
  const criteria: Record<MutationKind, (d: Diagnostic) => boolean> = {
    inputDim: near,
    rank: near,
    denseUnits: near,
    concatAxis: near,
    renameUse: (d) => undefinedName(d) && exactly(d, where.mutated),
    renameDef: (d) =>
      /undefined|output/.test(why) ? undefinedName(d) && exactly(d, where.failing) : /unknown arguments/.test(why) ? d.code === "E105" && overlaps(d.span, where.failing) : near(d),
    annotation: (d) => d.code === "E203" && near(d),
    returnType: (d) => d.code === "E204" && near(d),
    signature: (d) => d.code === "E205" && near(d),
  };
  const ok = errors.some(criteria[kind]);
  expect(ok, JSON.stringify(context, null, 1)).toBe(true);
}

function checkAccepted(program: GProgram): void {
  const ref = refCheck(program);
  if (ref.kind !== "ok") throw new Error("internal: not accepted");
  const r = render(program);
  const result = compile(r.text, "mut.dlg");
  expect(result.diagnostics.filter((d) => d.severity === "error"), r.text).toEqual([]);
  for (const [s, t] of ref.bindings) {
    const at = r.nameRange.get(s)!.start;
    const b = result.check!.bindings.find((x) => x.span.start === at);
    expect(b?.type ? formatType(b.type) : b?.description, r.text).toBe(typeText(t));
  }
}

const settings = runs(0x5eed03, 2000);

describe("single mutations of generated programs", () => {
  it("are reported at the mutation or at a use that depends on it", () => {
    fc.assert(
      fc.property(tapeArb, fc.nat(), fc.nat(), (tape, kindSeed, choice) => {
        const { program } = generate(tape);
        // Sites grouped by kind; kinds are tried from a random one on, so every kind gets its share of runs.
        const byKind = new Map<MutationKind, number[]>();
        mutationSites(program).forEach((s, i) => byKind.set(s.kind, [...(byKind.get(s.kind) ?? []), i]));
        const kinds = [...byKind.keys()].sort();
        let acceptedChecked = false;
        for (let k = 0; k < kinds.length; k++) {
          const indices = byKind.get(kinds[(kindSeed + k) % kinds.length]!)!;
          // Within a kind, the first site (from a random one on) whose mutation breaks the program is the one tested;
          // the first that does not is checked the other way round.
          for (let i = 0; i < Math.min(indices.length, 12); i++) {
            const index = indices[(choice + i) % indices.length]!;
            const mutant = clone(program);
            const site = mutationSites(mutant)[index]!;
            const target = site.apply(choice + i);
            const ref = refCheck(mutant);
            if (ref.kind === "unknown") {
              stats.unknown++;
              continue;
            }
            if (ref.kind === "ok") {
              if (!acceptedChecked) {
                bump(stats.accepted, site.kind);
                checkAccepted(mutant);
                acceptedChecked = true;
              }
              continue;
            }
            bump(stats.broken, site.kind);
            checkBroken(site.kind, mutant, target, ref.error.node, ref.error.why);
            return;
          }
        }
        stats.none++;
      }),
      settings,
    );
  });

  afterAll(() => {
    // The property is only worth something if most runs found a breaking mutation, of every kind.
    if (process.env["DLG_PROPERTY_VERBOSE"]) console.log(JSON.stringify({ broken: Object.fromEntries(stats.broken), accepted: Object.fromEntries(stats.accepted), unknown: stats.unknown, none: stats.none }));
    const broken = [...stats.broken.values()].reduce((a, b) => a + b, 0);
    expect(broken).toBeGreaterThan(0.8 * settings.numRuns);
    for (const kind of ["inputDim", "denseUnits", "rank", "renameUse", "renameDef", "concatAxis", "annotation", "returnType", "signature"])
      expect(stats.broken.get(kind) ?? 0, kind).toBeGreaterThan(settings.numRuns / 100);
  });
});
