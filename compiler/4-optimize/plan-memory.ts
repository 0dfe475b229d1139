// Buffer sharing from liveness over the dispatch order: values whose lifetimes do not overlap take turns in one
// physical buffer, so a program allocates for what is live at once rather than for every value it ever computes.
// This plans whole buffers (a WebGPU binding is a whole buffer here), not offsets in one arena; in-place reuse (an
// elementwise kernel writing over its last-read input) is not done in this version, see `live`.

export interface MemoryValue {
  /** A value (an IR node id). */
  id: number;
  /** Its size: a multiple of 4, 0 taken as 4 (WebGPU has no empty buffers). */
  bytes: number;
  /** Pinned values get a buffer of their own for the program's life: inputs the runtime uploads, values read back, folded constants. */
  pinned?: boolean;
}

/** One kernel dispatch, in dispatch order. */
export interface MemoryStep {
  reads: readonly number[];
  writes: readonly number[];
}

export interface MemoryPlan {
  /** The buffer holding each value. */
  bufferOf: Map<number, number>;
  /** Physical buffers: index = buffer id. */
  buffers: { bytes: number; pinned: boolean; values: number[] }[];
  /** Sum of all buffer sizes: what the runtime allocates for this program's values. */
  peakBytes: number;
  /** What one buffer per value would allocate, for the report. */
  unplannedBytes: number;
  /** Each value's live interval in dispatch steps, inclusive (-1: before the first; pinned values span the program). */
  live: Map<number, { start: number; end: number }>;
}

/** Before step 0: where values no step writes (inputs, folded constants) start. */
const BEFORE = -1;

interface Liveness {
  bytes: number[];
  /** First and last step each value is live at, inclusive; pinned values span the whole program. */
  start: number[];
  end: number[];
}

const sizeOf = (bytes: number) => Math.max(4, bytes);

/**
 * Live intervals, inclusive at both ends: from the writing step through the last reading step. Inclusive ends carry
 * the same-dispatch rule by themselves: a value last read at step s overlaps one written at s, so they never share a
 * buffer. That rule is needed because WebGPU refuses one buffer bound both read-only and writable in a dispatch, and a
 * kernel may still read its inputs after it has written some of its outputs. The same rule is what rules out in-place
 * reuse; allowing it would need kernels known to read each element before writing it, bound read_write once.
 */
function live(values: readonly MemoryValue[], steps: readonly MemoryStep[]): Liveness {
  const index = new Map<number, number>();
  const bytes: number[] = [];
  values.forEach((v, i) => {
    if (index.has(v.id)) throw new Error(`internal: memory planning got value %${v.id} twice`);
    if (!Number.isInteger(v.bytes) || v.bytes < 0 || v.bytes % 4 !== 0) throw new Error(`internal: value %${v.id} has ${v.bytes} bytes, not a multiple of 4`);
    index.set(v.id, i);
    bytes.push(sizeOf(v.bytes));
  });
  const at = (id: number, s: number, how: string) => {
    const i = index.get(id);
    if (i === undefined) throw new Error(`internal: step ${s} ${how} %${id}, which is not a planned value`);
    return i;
  };
  const written: number[] = new Array<number>(values.length).fill(BEFORE);
  const firstRead: number[] = new Array<number>(values.length).fill(Infinity);
  const lastRead: number[] = new Array<number>(values.length).fill(BEFORE);
  steps.forEach((step, s) => {
    for (const id of step.writes) {
      const i = at(id, s, "writes");
      if (written[i] !== BEFORE) throw new Error(`internal: value %${id} is written by step ${written[i]} and step ${s}`);
      written[i] = s;
    }
    for (const id of step.reads) {
      const i = at(id, s, "reads");
      if (firstRead[i] === Infinity) firstRead[i] = s;
      lastRead[i] = s;
    }
  });
  const start: number[] = [];
  const end: number[] = [];
  values.forEach((v, i) => {
    const w = written[i]!;
    // A step reading what it writes would be in place, which is not planned (see above).
    if (w !== BEFORE && firstRead[i]! <= w) throw new Error(`internal: value %${v.id} is read by step ${firstRead[i]} but written by step ${w}`);
    if (v.pinned) {
      start.push(BEFORE);
      end.push(steps.length);
    } else {
      start.push(w);
      end.push(Math.max(w, lastRead[i]!));
    }
  });
  return { bytes, start, end };
}

/** A binary min-heap of [key, item] pairs. */
class MinHeap {
  private readonly keys: number[] = [];
  private readonly items: number[] = [];
  get size(): number {
    return this.keys.length;
  }
  peekKey(): number {
    return this.keys[0]!;
  }
  push(key: number, item: number): void {
    const k = this.keys;
    const it = this.items;
    let i = k.length;
    k.push(key);
    it.push(item);
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (k[p]! <= key) break;
      k[i] = k[p]!;
      it[i] = it[p]!;
      i = p;
    }
    k[i] = key;
    it[i] = item;
  }
  pop(): number {
    const k = this.keys;
    const it = this.items;
    const top = it[0]!;
    const lastKey = k.pop()!;
    const lastItem = it.pop()!;
    const n = k.length;
    if (n > 0) {
      let i = 0;
      for (;;) {
        let c = 2 * i + 1;
        if (c >= n) break;
        if (c + 1 < n && k[c + 1]! < k[c]!) c++;
        if (k[c]! >= lastKey) break;
        k[i] = k[c]!;
        it[i] = it[c]!;
        i = c;
      }
      k[i] = lastKey;
      it[i] = lastItem;
    }
    return top;
  }
}

/** Buffer of each value (by index; -1 for pinned ones) and the size of each shared buffer. */
interface Assignment {
  bufferOfIndex: number[];
  sizes: number[];
}

/**
 * Chronological best fit: values in order of first write (larger first within a step, so they get the large free
 * buffers); each takes the smallest free buffer that holds it, else grows the largest free buffer (the least growth),
 * else a new buffer. Buffers come free when their last value's interval ends; a heap orders them by that end.
 * O(n log n) but for the free list's splices (below). Good when few values live long (a forward pass); with many
 * long-lived values it grows buffers that later, larger values could have used whole.
 */
function chronological(l: Liveness, shared: readonly number[]): Assignment {
  const order = [...shared].sort((a, b) => l.start[a]! - l.start[b]! || l.bytes[b]! - l.bytes[a]! || a - b);
  const bufferOfIndex: number[] = new Array<number>(l.bytes.length).fill(-1);
  const sizes: number[] = [];
  const busy = new MinHeap();
  // Free buffers sorted by (size, id). A sorted array: splicing is linear but a memmove, and the free list stays short
  // next to the value count, so this runs well within a compile's budget for 20,000 values.
  const free: number[] = [];
  const before = (a: number, b: number) => sizes[a]! < sizes[b]! || (sizes[a] === sizes[b] && a < b);
  const lowerBound = (bytes: number) => {
    let lo = 0;
    let hi = free.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (sizes[free[mid]!]! < bytes) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
  const release = (b: number) => {
    let lo = 0;
    let hi = free.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (before(free[mid]!, b)) lo = mid + 1;
      else hi = mid;
    }
    free.splice(lo, 0, b);
  };
  for (const i of order) {
    const start = l.start[i]!;
    while (busy.size > 0 && busy.peekKey() < start) release(busy.pop());
    const bytes = l.bytes[i]!;
    let b: number;
    const fit = lowerBound(bytes);
    if (fit < free.length) {
      b = free.splice(fit, 1)[0]!;
    } else if (free.length > 0) {
      b = free.pop()!;
      sizes[b] = bytes;
    } else {
      b = sizes.length;
      sizes.push(bytes);
    }
    bufferOfIndex[i] = b;
    busy.push(l.end[i]!, b);
  }
  return { bufferOfIndex, sizes };
}

/**
 * Greedy by size: values largest first, each into the first (so the largest) buffer free over its whole interval,
 * else a new buffer of its size. Buffers are created largest first and never grow. Near the live-bytes bound on
 * training steps, where activations kept for the backward pass overlap heavily (a 48-layer GPT step: 0.2% above it,
 * against 8% for chronological best fit), but it scans buffers per value, which is quadratic when thousands of values
 * are all live at once: it gives up past `budget` interval checks (each a binary search), leaving the chronological plan.
 */
function bySize(l: Liveness, shared: readonly number[], budget: number): Assignment | undefined {
  const order = [...shared].sort((a, b) => l.bytes[b]! - l.bytes[a]! || l.start[a]! - l.start[b]! || a - b);
  const bufferOfIndex: number[] = new Array<number>(l.bytes.length).fill(-1);
  const sizes: number[] = [];
  // Each buffer's intervals, disjoint and sorted by start (so by end too).
  const starts: number[][] = [];
  const ends: number[][] = [];
  let checks = 0;
  for (const i of order) {
    const start = l.start[i]!;
    const end = l.end[i]!;
    let b = 0;
    let at = 0;
    for (; b < sizes.length; b++) {
      if (++checks > budget) return undefined;
      const s = starts[b]!;
      // The intervals starting by `end`: the last of them ends last, so it alone can reach `start`.
      let lo = 0;
      let hi = s.length;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (s[mid]! <= end) lo = mid + 1;
        else hi = mid;
      }
      if (lo === 0 || ends[b]![lo - 1]! < start) {
        at = lo;
        break;
      }
    }
    if (b === sizes.length) {
      sizes.push(l.bytes[i]!);
      starts.push([]);
      ends.push([]);
    }
    starts[b]!.splice(at, 0, start);
    ends[b]!.splice(at, 0, end);
    bufferOfIndex[i] = b;
  }
  return { bufferOfIndex, sizes };
}

const total = (a: Assignment) => a.sizes.reduce((s, b) => s + b, 0);

export function planMemory(values: readonly MemoryValue[], steps: readonly MemoryStep[]): MemoryPlan {
  const l = live(values, steps);
  const shared: number[] = [];
  values.forEach((v, i) => {
    if (!v.pinned) shared.push(i);
  });
  // Neither strategy wins everywhere (by size on training steps, chronological on some forward passes); both are
  // cheap, so the plan is whichever allocates less, then has fewer buffers.
  let best = chronological(l, shared);
  const n = shared.length;
  const other = bySize(l, shared, 64 * n * Math.ceil(Math.log2(n + 2)) + 100_000);
  if (other && (total(other) < total(best) || (total(other) === total(best) && other.sizes.length < best.sizes.length))) best = other;
  const { bufferOfIndex, sizes } = best;

  const buffers: MemoryPlan["buffers"] = [];
  const bufferOf = new Map<number, number>();
  // Pinned buffers first, in value order, then the shared ones: ids are stable for a given input.
  values.forEach((v, i) => {
    if (!v.pinned) return;
    bufferOf.set(v.id, buffers.length);
    buffers.push({ bytes: l.bytes[i]!, pinned: true, values: [v.id] });
  });
  const firstShared = buffers.length;
  for (const bytes of sizes) buffers.push({ bytes, pinned: false, values: [] });
  for (const i of shared) {
    const b = firstShared + bufferOfIndex[i]!;
    bufferOf.set(values[i]!.id, b);
    buffers[b]!.values.push(values[i]!.id);
  }
  return {
    bufferOf,
    buffers,
    peakBytes: buffers.reduce((s, b) => s + b.bytes, 0),
    unplannedBytes: l.bytes.reduce((s, b) => s + b, 0),
    live: new Map(values.map((v, i) => [v.id, { start: l.start[i]!, end: l.end[i]! }])),
  };
}

const stepName = (s: number) => (s === BEFORE ? "before step 0" : `step ${s}`);

/** Throws (with a message naming both values and the step) if two values share a buffer while both are live; used by tests and as a debug assertion. */
export function verifyMemoryPlan(plan: MemoryPlan, values: readonly MemoryValue[], steps: readonly MemoryStep[]): void {
  const l = live(values, steps);
  const fail = (message: string): never => {
    throw new Error(`internal: memory plan: ${message}`);
  };
  if (plan.bufferOf.size !== values.length) fail(`${plan.bufferOf.size} values have buffers, ${values.length} were planned`);
  const members: number[][] = plan.buffers.map(() => []);
  values.forEach((v, i) => {
    const b = plan.bufferOf.get(v.id);
    if (b === undefined) return fail(`value %${v.id} has no buffer`);
    const buffer = plan.buffers[b];
    if (!buffer) return fail(`value %${v.id} is in buffer ${b}, which does not exist`);
    if (buffer.bytes < l.bytes[i]!) fail(`value %${v.id} (${l.bytes[i]} bytes) is in buffer ${b} of ${buffer.bytes} bytes`);
    if (v.pinned && !buffer.pinned) fail(`pinned value %${v.id} is in buffer ${b}, which is not pinned`);
    members[b]!.push(i);
  });
  plan.buffers.forEach((buffer, b) => {
    // Every listed value planned here, none twice, as many as are planned here: the list is exactly the members.
    const listed = new Set<number>();
    for (const id of buffer.values) {
      if (listed.has(id) || plan.bufferOf.get(id) !== b) fail(`buffer ${b} lists value %${id}, which is not planned in it once`);
      listed.add(id);
    }
    if (listed.size !== members[b]!.length) fail(`buffer ${b} lists ${listed.size} values, ${members[b]!.length} are planned in it`);
    if (buffer.pinned && buffer.values.length !== 1) fail(`pinned buffer ${b} holds ${buffer.values.length} values`);
    // Sorted by start, each value must begin after every earlier one has ended; the one ending last is the witness.
    const m = members[b]!.sort((x, y) => l.start[x]! - l.start[y]!);
    let last = -1;
    for (const i of m) {
      if (last >= 0 && l.start[i]! <= l.end[last]!)
        fail(`values %${values[last]!.id} and %${values[i]!.id} share buffer ${b} while both are live at ${stepName(l.start[i]!)}`);
      if (last < 0 || l.end[i]! > l.end[last]!) last = i;
    }
  });
  const peak = plan.buffers.reduce((s, b) => s + b.bytes, 0);
  if (plan.peakBytes !== peak) fail(`peakBytes is ${plan.peakBytes}, the buffers add up to ${peak}`);
  const unplanned = l.bytes.reduce((s, b) => s + b, 0);
  if (plan.unplannedBytes !== unplanned) fail(`unplannedBytes is ${plan.unplannedBytes}, the values add up to ${unplanned}`);
}
