// Symbolic dims: integer polynomials over named dims, with floor-division atoms for what cannot be divided exactly.
// Every Dim is kept in one normal form (terms sorted, like terms merged, zero terms dropped), so equality is structural.

export type Atom = { kind: "sym"; name: string } | { kind: "floordiv"; num: Dim; den: Dim };

interface Term {
  coef: number;
  /** Sorted by key, repeated for powers. */
  atoms: Atom[];
}

function atomKey(a: Atom): string {
  return a.kind === "sym" ? a.name : `(${a.num.toString()})//(${a.den.toString()})`;
}

function monoKey(atoms: Atom[]): string {
  return atoms.map(atomKey).join("*");
}

export class Dim {
  private constructor(private readonly terms: readonly Term[]) {}

  static const(n: number): Dim {
    if (!Number.isSafeInteger(n)) throw new RangeError(`dim ${n} is not an integer`);
    return new Dim(n === 0 ? [] : [{ coef: n, atoms: [] }]);
  }

  static sym(name: string): Dim {
    return new Dim([{ coef: 1, atoms: [{ kind: "sym", name }] }]);
  }

  private static normalize(terms: Term[]): Dim {
    const merged = new Map<string, Term>();
    for (const t of terms) {
      const atoms = [...t.atoms].sort((a, b) => (atomKey(a) < atomKey(b) ? -1 : atomKey(a) > atomKey(b) ? 1 : 0));
      const key = monoKey(atoms);
      const prev = merged.get(key);
      if (prev) prev.coef += t.coef;
      else merged.set(key, { coef: t.coef, atoms });
    }
    const out = [...merged.values()].filter((t) => t.coef !== 0);
    // Higher-degree terms first, constants last: reads as `4*D + 1`.
    out.sort((a, b) => b.atoms.length - a.atoms.length || (monoKey(a.atoms) < monoKey(b.atoms) ? -1 : 1));
    return new Dim(out);
  }

  add(other: Dim): Dim {
    return Dim.normalize([...this.terms.map(copy), ...other.terms.map(copy)]);
  }

  sub(other: Dim): Dim {
    return this.add(other.scale(-1));
  }

  scale(k: number): Dim {
    return Dim.normalize(this.terms.map((t) => ({ coef: t.coef * k, atoms: t.atoms })));
  }

  neg(): Dim {
    return this.scale(-1);
  }

  mul(other: Dim): Dim {
    const out: Term[] = [];
    for (const a of this.terms) for (const b of other.terms) out.push({ coef: a.coef * b.coef, atoms: [...a.atoms, ...b.atoms] });
    return Dim.normalize(out);
  }

  /** Exact division, or undefined when the quotient is not provably a whole polynomial. */
  divExact(other: Dim): Dim | undefined {
    if (other.isZero()) return undefined;
    if (this.isZero()) return this;
    if (other.terms.length === 1) {
      const [d] = other.terms as [Term];
      const out: Term[] = [];
      for (const t of this.terms) {
        if (t.coef % d.coef !== 0) return undefined;
        const remaining = [...t.atoms];
        for (const a of d.atoms) {
          const at = remaining.findIndex((r) => atomKey(r) === atomKey(a));
          if (at < 0) return undefined;
          remaining.splice(at, 1);
        }
        out.push({ coef: t.coef / d.coef, atoms: remaining });
      }
      return Dim.normalize(out);
    }
    if (this.equals(other)) return Dim.const(1);
    return undefined;
  }

  /** Floor division: exact where possible, otherwise a constant result or an opaque atom. */
  floorDiv(other: Dim): Dim {
    const exact = this.divExact(other);
    if (exact) return exact;
    const a = this.constValue();
    const b = other.constValue();
    if (a !== undefined && b !== undefined && b !== 0) return Dim.const(Math.floor(a / b));
    return new Dim([{ coef: 1, atoms: [{ kind: "floordiv", num: this, den: other }] }]);
  }

  isZero(): boolean {
    return this.terms.length === 0;
  }

  constValue(): number | undefined {
    if (this.terms.length === 0) return 0;
    if (this.terms.length === 1 && this.terms[0]!.atoms.length === 0) return this.terms[0]!.coef;
    return undefined;
  }

  isConst(): boolean {
    return this.constValue() !== undefined;
  }

  /** Whether every coefficient is still an exact integer (|c| < 2^53): dim arithmetic past that silently rounds. */
  isExact(): boolean {
    return this.terms.every((t) => Number.isSafeInteger(t.coef) && t.atoms.every((a) => a.kind === "sym" || (a.num.isExact() && a.den.isExact())));
  }

  equals(other: Dim): boolean {
    return this.toString() === other.toString();
  }

  /** Names of the symbols this dim depends on. */
  symbols(): Set<string> {
    const out = new Set<string>();
    const visit = (d: Dim) => {
      for (const t of d.terms)
        for (const a of t.atoms) {
          if (a.kind === "sym") out.add(a.name);
          else {
            visit(a.num);
            visit(a.den);
          }
        }
    };
    visit(this);
    return out;
  }

  /** Replaces symbols by dims (partial maps leave the rest symbolic) and renormalizes. */
  substitute(env: ReadonlyMap<string, Dim>): Dim {
    let result = Dim.const(0);
    for (const t of this.terms) {
      let term = Dim.const(t.coef);
      for (const a of t.atoms) {
        const value = a.kind === "sym" ? (env.get(a.name) ?? Dim.sym(a.name)) : a.num.substitute(env).floorDiv(a.den.substitute(env));
        term = term.mul(value);
      }
      result = result.add(term);
    }
    return result;
  }

  evaluate(env: ReadonlyMap<string, number>): number | undefined {
    const dims = new Map<string, Dim>();
    for (const [k, v] of env) dims.set(k, Dim.const(v));
    return this.substitute(dims).constValue();
  }

  /**
   * If this dim is `c*X + rest` for the symbol X (X appearing nowhere else), returns c and rest; used to solve
   * a signature dim such as `4*D` against a call-site dim.
   */
  linearIn(name: string): { coef: number; rest: Dim } | undefined {
    let coef = 0;
    const rest: Term[] = [];
    for (const t of this.terms) {
      const uses = t.atoms.filter((a) => a.kind === "sym" && a.name === name).length;
      const nested = t.atoms.some((a) => a.kind === "floordiv" && new Dim([{ coef: 1, atoms: [a] }]).symbols().has(name));
      if (nested) return undefined;
      if (uses === 0) rest.push(t);
      else if (uses === 1 && t.atoms.length === 1) coef += t.coef;
      else return undefined;
    }
    return coef === 0 ? undefined : { coef, rest: Dim.normalize(rest) };
  }

  /**
   * If this dim is `coef*X + rest` for its one symbol X and a number `rest` (`N`, `28*N`, `N + 1`): the parts, which is
   * how sizes that vary with the batch are computed at run time (exporters, programs for any batch).
   */
  affine(): { symbol: string; coef: number; rest: number } | undefined {
    const symbols = [...this.symbols()];
    if (symbols.length !== 1) return undefined;
    const linear = this.linearIn(symbols[0]!);
    const rest = linear?.rest.constValue();
    return linear && rest !== undefined ? { symbol: symbols[0]!, coef: linear.coef, rest } : undefined;
  }

  toString(): string {
    if (this.terms.length === 0) return "0";
    let out = "";
    this.terms.forEach((t, i) => {
      const neg = t.coef < 0;
      const mag = Math.abs(t.coef);
      const factors = t.atoms.map((a) => (a.kind === "sym" ? a.name : `${wrap(a.num)}/${wrap(a.den)}`));
      const body = factors.length === 0 ? String(mag) : (mag === 1 ? "" : `${mag}*`) + factors.join("*");
      if (i === 0) out += (neg ? "-" : "") + body;
      else out += (neg ? " - " : " + ") + body;
    });
    return out;
  }
}

function wrap(d: Dim): string {
  const s = d.toString();
  return /^[A-Za-z0-9_]+$/.test(s) ? s : `(${s})`;
}

function copy(t: Term): Term {
  return { coef: t.coef, atoms: t.atoms };
}

export function product(dims: readonly Dim[]): Dim {
  return dims.reduce((acc, d) => acc.mul(d), Dim.const(1));
}

export function formatShape(shape: readonly Dim[]): string {
  return `[${shape.map((d) => d.toString()).join(", ")}]`;
}
