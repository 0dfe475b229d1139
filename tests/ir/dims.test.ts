import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { Dim } from "../../compiler/ir/dims.js";

const N = Dim.sym("N");
const D = Dim.sym("D");
const c = Dim.const;

describe("symbolic dims", () => {
  it("normalizes sums and products so equal expressions compare equal", () => {
    expect(N.add(c(1)).mul(c(4)).equals(c(4).add(N.mul(c(4))))).toBe(true);
    expect(N.mul(D).equals(D.mul(N))).toBe(true);
    expect(N.add(D).sub(N).equals(D)).toBe(true);
    expect(c(4).mul(D).toString()).toBe("4*D");
    expect(N.mul(N).add(N).toString()).toBe("N*N + N");
  });

  it("divides exactly when every term is divisible", () => {
    expect(c(784).mul(N).divExact(N)!.toString()).toBe("784");
    expect(c(8).mul(D).divExact(c(4))!.toString()).toBe("2*D");
    expect(c(6).divExact(c(4))).toBeUndefined();
    expect(D.divExact(c(4))).toBeUndefined();
    expect(N.add(c(1)).divExact(N.add(c(1)))!.toString()).toBe("1");
  });

  it("keeps a floor division it cannot resolve as an atom that substitution resolves later", () => {
    const q = N.sub(c(3)).floorDiv(c(2)).add(c(1));
    expect(q.isConst()).toBe(false);
    expect(q.evaluate(new Map([["N", 28]]))).toBe(Math.floor((28 - 3) / 2) + 1);
  });

  it("solves a linear signature dim for its unknown", () => {
    const lin = c(4).mul(D).add(c(1)).linearIn("D")!;
    expect(lin.coef).toBe(4);
    expect(lin.rest.toString()).toBe("1");
    expect(N.mul(D).linearIn("D")).toBeUndefined();
  });

  it("agrees with integer arithmetic after substitution (property)", () => {
    const leaf = fc.oneof(fc.integer({ min: -20, max: 20 }).map((n) => ({ dim: c(n), f: (_: number, __: number) => n })),
      fc.constant({ dim: N, f: (n: number, _: number) => n }), fc.constant({ dim: D, f: (_: number, d: number) => d }));
    type T = { dim: Dim; f: (n: number, d: number) => number };
    const expr: fc.Arbitrary<T> = fc.letrec<{ e: T }>((tie) => ({
      e: fc.oneof({ depthSize: "small", withCrossShrink: true },
        leaf,
        fc.tuple(tie("e"), tie("e")).map(([a, b]) => ({ dim: a.dim.add(b.dim), f: (n: number, d: number) => a.f(n, d) + b.f(n, d) })),
        fc.tuple(tie("e"), tie("e")).map(([a, b]) => ({ dim: a.dim.sub(b.dim), f: (n: number, d: number) => a.f(n, d) - b.f(n, d) })),
        fc.tuple(tie("e"), tie("e")).map(([a, b]) => ({ dim: a.dim.mul(b.dim), f: (n: number, d: number) => a.f(n, d) * b.f(n, d) })),
        fc.tuple(tie("e"), fc.integer({ min: 1, max: 9 })).map(([a, k]) => ({ dim: a.dim.floorDiv(c(k)), f: (n: number, d: number) => Math.floor(a.f(n, d) / k) })),
      ),
    })).e;
    fc.assert(
      fc.property(expr, fc.integer({ min: 1, max: 50 }), fc.integer({ min: 1, max: 50 }), (e, n, d) => {
        expect(e.dim.evaluate(new Map([["N", n], ["D", d]]))).toBe(e.f(n, d) + 0);
      }),
      { seed: 20261125, numRuns: 2000 },
    );
  });
});

describe("Dim.affine", () => {
  const N = Dim.sym("N");
  it("splits a dim of one symbol into coefficient and constant", () => {
    expect(N.affine()).toEqual({ symbol: "N", coef: 1, rest: 0 });
    expect(N.scale(28).add(Dim.const(3)).affine()).toEqual({ symbol: "N", coef: 28, rest: 3 });
  });
  it("has none for constants, several symbols, products and quotients", () => {
    expect(Dim.const(4).affine()).toBeUndefined();
    expect(N.add(Dim.sym("T")).affine()).toBeUndefined();
    expect(N.mul(N).affine()).toBeUndefined();
    expect(N.floorDiv(Dim.const(2)).affine()).toBeUndefined();
  });
});
