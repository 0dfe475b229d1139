// A seeded pseudo-random generator for everything in dlg that must be reproducible: data splits and shuffles,
// parameter initializers, dropout masks. Browser-safe, no dependencies.
//
// The core is xoshiro128** 1.1 (Blackman and Vigna): 128 bits of state, period 2^128 - 1, passes BigCrush, and
// needs only 32-bit integer operations, which JavaScript does exactly with Math.imul and `>>> 0` (a 64-bit generator
// such as PCG64 would need BigInt and run far slower). Seeds are expanded into the state with splitmix32 (a Weyl
// sequence through the MurmurHash3 finalizer) so that nearby seeds give unrelated streams and the state is never
// all zero.

/** The generator's full state, for saving with a checkpoint and resuming the exact stream. */
export interface RandomState {
  words: [number, number, number, number];
  /** The second Box-Muller value not yet handed out, or null. */
  spareNormal: number | null;
}

const TWO_32 = 4294967296;
const GOLDEN = 0x9e3779b9;

function fmix32(z: number): number {
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return (z ^ (z >>> 16)) >>> 0;
}

/** splitmix32: the i-th output (from 1) of the stream started at `seed`. */
function splitmix32(seed: number, i: number): number {
  return fmix32((seed + Math.imul(GOLDEN, i)) | 0);
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

export class Random {
  // The four state words, kept as separate fields (not an array) because this is the hot path of initializers.
  private s0: number;
  private s1: number;
  private s2: number;
  private s3: number;
  private spare: number | null = null;

  /**
   * A generator for `seed`, a non-negative safe integer (both 32-bit halves of it count). The same seed always
   * gives the same stream, on every platform.
   */
  constructor(seed: number) {
    if (!Number.isSafeInteger(seed) || seed < 0) throw new RangeError(`seed must be a non-negative integer, got ${seed}`);
    const lo = seed >>> 0;
    const hi = Math.floor(seed / TWO_32);
    const w = [1, 2, 3, 4].map((i) => {
      // The high half goes through its own splitmix stream so that seeds below 2^32 keep the plain expansion.
      const x = splitmix32(lo, i);
      return (hi === 0 ? x : x ^ splitmix32(hi ^ 0x6a09e667, i)) >>> 0;
    });
    [this.s0, this.s1, this.s2, this.s3] = w as [number, number, number, number];
    if ((this.s0 | this.s1 | this.s2 | this.s3) === 0) this.s0 = 1; // the one state xoshiro cannot leave
  }

  /** A generator that continues exactly from `state` (see `getState`). */
  static fromState(state: RandomState): Random {
    const r = new Random(0);
    r.setState(state);
    return r;
  }

  getState(): RandomState {
    // The fields hold signed int32 after the xor-shifts; hand out the unsigned words.
    return { words: [this.s0 >>> 0, this.s1 >>> 0, this.s2 >>> 0, this.s3 >>> 0], spareNormal: this.spare };
  }

  setState(state: RandomState): void {
    const w = state.words;
    if (w.length !== 4 || w.some((x) => !Number.isInteger(x) || x < 0 || x >= TWO_32) || w.every((x) => x === 0)) {
      throw new RangeError("invalid Random state: need four 32-bit unsigned words, not all zero");
    }
    if (state.spareNormal !== null && !Number.isFinite(state.spareNormal)) throw new RangeError("invalid Random state: spareNormal must be a finite number or null");
    [this.s0, this.s1, this.s2, this.s3] = w;
    this.spare = state.spareNormal;
  }

  /** An independent copy that produces the same stream from here on. */
  clone(): Random {
    return Random.fromState(this.getState());
  }

  /**
   * A new generator whose stream is unrelated to this one's (seeded from this one's next outputs), e.g. one stream
   * for initializers and another for dropout from a single user seed. Advances this generator.
   */
  fork(): Random {
    const r = new Random(0);
    const words = [0, 1, 2, 3].map((i) => fmix32((this.nextUint32() ^ Math.imul(GOLDEN, i + 1)) | 0)) as RandomState["words"];
    if (words.every((x) => x === 0)) words[0] = 1;
    r.setState({ words, spareNormal: null });
    return r;
  }

  /** The next 32 random bits as an unsigned integer in [0, 2^32). */
  nextUint32(): number {
    const result = Math.imul(rotl(Math.imul(this.s1, 5), 7), 9) >>> 0;
    const t = this.s1 << 9;
    this.s2 ^= this.s0;
    this.s3 ^= this.s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = rotl(this.s3, 11);
    return result;
  }

  /** A uniform float in [0, 1) with 53 random bits (two draws), so every double on the grid k/2^53 can occur. */
  nextFloat(): number {
    const a = this.nextUint32() >>> 5; // 27 bits
    const b = this.nextUint32() >>> 6; // 26 bits
    return (a * 67108864 + b) / 9007199254740992;
  }

  /** A uniform float in [low, high). */
  uniform(low: number, high: number): number {
    return low + (high - low) * this.nextFloat();
  }

  /** A uniform integer in [0, n), without modulo bias; n an integer in [1, 2^32]. */
  nextInt(n: number): number {
    if (!Number.isInteger(n) || n < 1 || n > TWO_32) throw new RangeError(`nextInt: n must be an integer in [1, 2^32], got ${n}`);
    // Reject the top partial block of 2^32 so every residue is equally likely (at most half the draws are rejected,
    // and only when n is just above 2^31).
    const limit = TWO_32 - (TWO_32 % n);
    for (;;) {
      const r = this.nextUint32();
      if (r < limit) return r % n;
    }
  }

  /** True with probability p (dropout keeps a unit with `bernoulli(1 - rate)`). */
  bernoulli(p: number): boolean {
    return this.nextFloat() < p;
  }

  /**
   * A normal deviate N(mean, std²) by the Box-Muller transform. Values come in pairs; the second is kept for the
   * next call (and is part of the saved state).
   */
  normal(mean = 0, std = 1): number {
    if (this.spare !== null) {
      const z = this.spare;
      this.spare = null;
      return mean + std * z;
    }
    // 1 - u lies in (0, 1], so the log is finite.
    const u1 = 1 - this.nextFloat();
    const u2 = this.nextFloat();
    const r = Math.sqrt(-2 * Math.log(u1));
    const theta = 2 * Math.PI * u2;
    this.spare = r * Math.sin(theta);
    return mean + std * r * Math.cos(theta);
  }

  /** Fills `out` with U(low, high) values. */
  fillUniform(out: Float32Array | number[], low: number, high: number): void {
    for (let i = 0; i < out.length; i++) out[i] = this.uniform(low, high);
  }

  /** Fills `out` with N(mean, std²) values. */
  fillNormal(out: Float32Array | number[], mean = 0, std = 1): void {
    for (let i = 0; i < out.length; i++) out[i] = this.normal(mean, std);
  }

  /** Shuffles `array` in place (Fisher-Yates: every permutation equally likely) and returns it. */
  shuffle<A extends { length: number; [i: number]: unknown }>(array: A): A {
    for (let i = array.length - 1; i > 0; i--) {
      const j = this.nextInt(i + 1);
      const t = array[i];
      array[i] = array[j];
      array[j] = t;
    }
    return array;
  }

  /** A random permutation of 0..n-1. */
  permutation(n: number): Int32Array {
    const p = new Int32Array(n);
    for (let i = 0; i < n; i++) p[i] = i;
    return this.shuffle(p);
  }
}

/** One user seed splits into independent streams: initial weights, dropout masks, batch order. */
export function streams(seed: number): { init: Random; dropout: Random; shuffle: Random } {
  const root = new Random(seed);
  return { init: root.fork(), dropout: root.fork(), shuffle: root.fork() };
}
