// The seeded generator behind splits, shuffles, initializers and dropout: reference outputs, determinism, and the
// statistics of each distribution.
import { describe, expect, it } from "vitest";
import { Random } from "../../runtime/random.js";

const take = (n: number, f: () => number): number[] => Array.from({ length: n }, f);
const firstWords = (seed: number, n = 4): number[] => {
  const r = new Random(seed);
  return take(n, () => r.nextUint32());
};

describe("Random", () => {
  it("produces the xoshiro128** reference outputs from state {1, 2, 3, 4}", () => {
    // The published test vector of the reference C implementation (also Rust rand_xoshiro's).
    const r = Random.fromState({ words: [1, 2, 3, 4], spareNormal: null });
    expect(take(10, () => r.nextUint32())).toEqual([11520, 0, 5927040, 70819200, 2031721883, 1637235492, 1287239034, 3734860849, 3729100597, 4258142804]);
  });

  it("expands seeds with splitmix32 exactly as an independent Python implementation does", () => {
    // Computed with unbounded Python integers masked to 32 bits; pins the stream every published split depends on.
    expect(firstWords(42)).toEqual([2837322924, 544945897, 479756282, 3500138142]);
    expect(firstWords(2 ** 40 + 7)).toEqual([478520240, 2127261916, 2140497564, 17669323]);
  });

  it("gives the same stream for the same seed and different streams for different seeds", () => {
    const a = new Random(7);
    const b = new Random(7);
    expect(take(100, () => a.nextUint32())).toEqual(take(100, () => b.nextUint32()));
    expect(firstWords(8)).not.toEqual(firstWords(7));
    // The high half of a large seed counts.
    expect(firstWords(2 ** 32 + 7)).not.toEqual(firstWords(7));
  });

  it("rejects seeds that are not non-negative safe integers", () => {
    for (const bad of [-1, 0.5, NaN, 2 ** 53]) expect(() => new Random(bad)).toThrow(RangeError);
  });

  it("resumes exactly from a saved state, including a pending normal deviate", () => {
    const r = new Random(3);
    r.normal(); // leaves the second Box-Muller value pending
    const saved = r.getState();
    const expected = [r.normal(), r.nextFloat(), r.nextInt(1000)];
    const resumed = Random.fromState(saved);
    expect([resumed.normal(), resumed.nextFloat(), resumed.nextInt(1000)]).toEqual(expected);
    expect(() => Random.fromState({ words: [0, 0, 0, 0], spareNormal: null })).toThrow(RangeError);
  });

  it("clones share the future; forks do not", () => {
    const r = new Random(11);
    const c = r.clone();
    expect(take(5, () => c.nextUint32())).toEqual(take(5, () => r.nextUint32()));
    const parent = new Random(11);
    const child = parent.fork();
    const xs = take(1000, () => child.nextUint32());
    const ys = take(1000, () => parent.nextUint32());
    expect(xs.filter((x, i) => x === ys[i]).length).toBeLessThan(3);
  });

  it("draws floats in [0, 1) with mean 1/2 and variance 1/12", () => {
    const r = new Random(1);
    const xs = take(200_000, () => r.nextFloat());
    expect(Math.min(...xs)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...xs)).toBeLessThan(1);
    const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
    const variance = xs.reduce((a, b) => a + (b - mean) ** 2, 0) / xs.length;
    expect(Math.abs(mean - 0.5)).toBeLessThan(0.005);
    expect(Math.abs(variance - 1 / 12)).toBeLessThan(0.002);
  });

  it("draws integers uniformly without modulo bias (chi-square over 10 and over 3 * 2^30 buckets)", () => {
    const r = new Random(2);
    const counts = new Array<number>(10).fill(0);
    for (let i = 0; i < 100_000; i++) counts[r.nextInt(10)]!++;
    const chi2 = counts.reduce((a, c) => a + (c - 10_000) ** 2 / 10_000, 0);
    expect(chi2).toBeLessThan(27.88); // p = 0.001 for 9 degrees of freedom
    // n = 3 * 2^30: plain `% n` would make the lowest third of values twice as likely as the rest.
    const n = 3 * 2 ** 30;
    const third = [0, 0, 0];
    for (let i = 0; i < 30_000; i++) third[Math.floor(r.nextInt(n) / 2 ** 30)]!++;
    for (const c of third) expect(Math.abs(c - 10_000)).toBeLessThan(500);
    expect(() => r.nextInt(0)).toThrow(RangeError);
    expect(() => r.nextInt(2.5)).toThrow(RangeError);
    expect(r.nextInt(1)).toBe(0);
  });

  it("draws normals with the requested mean and standard deviation", () => {
    const r = new Random(4);
    const xs = take(200_000, () => r.normal(2, 3));
    const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
    const std = Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / xs.length);
    expect(Math.abs(mean - 2)).toBeLessThan(0.03);
    expect(Math.abs(std - 3)).toBeLessThan(0.03);
    expect(xs.every(Number.isFinite)).toBe(true);
    // About 68.3% within one standard deviation.
    expect(Math.abs(xs.filter((x) => Math.abs(x - 2) < 3).length / xs.length - 0.6827)).toBeLessThan(0.005);
  });

  it("fills arrays and draws Bernoulli trials at the requested rate", () => {
    const r = new Random(5);
    const u = new Float32Array(10_000);
    r.fillUniform(u, -2, 2);
    expect(u.every((x) => x >= -2 && x <= 2)).toBe(true);
    const g = new Float32Array(10_000);
    r.fillNormal(g, 0, 0.02);
    expect(Math.max(...g.map(Math.abs))).toBeLessThan(0.2);
    const kept = take(100_000, () => (r.bernoulli(0.9) ? 1 : 0)).reduce((a, b) => a + b, 0);
    expect(Math.abs(kept / 100_000 - 0.9)).toBeLessThan(0.005);
  });

  it("shuffles into a permutation, every order of three about equally often", () => {
    const r = new Random(6);
    const p = r.permutation(1000);
    expect(Array.from(p).sort((a, b) => a - b)).toEqual(Array.from({ length: 1000 }, (_, i) => i));
    const seen = new Map<string, number>();
    for (let i = 0; i < 60_000; i++) {
      const key = r.shuffle(["a", "b", "c"]).join("");
      seen.set(key, (seen.get(key) ?? 0) + 1);
    }
    expect(seen.size).toBe(6);
    for (const c of seen.values()) expect(Math.abs(c - 10_000)).toBeLessThan(400);
  });
});
