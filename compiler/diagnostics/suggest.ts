// "Did you mean" suggestions by edit distance (with transpositions: `imgae` is one slip from `image`).

/** Rows reused across calls (grown as needed): a file with thousands of misspelled names makes millions of calls. */
let rows = new Int32Array(3 * 64);

export function editDistance(a: string, b: string, limit = Infinity): number {
  // Optimal string alignment over three rolling rows. With a limit, gives up (returning more than limit) once two
  // rows in a row exceed it: no later cell can come back under it.
  if (Math.abs(a.length - b.length) > limit) return limit + 1;
  const cols = b.length + 1;
  if (rows.length < 3 * cols) rows = new Int32Array(3 * cols);
  const d = rows;
  let before = 0;
  let previous = cols;
  let current = 2 * cols;
  for (let j = 0; j < cols; j++) d[previous + j] = j;
  let previousMin = 0;
  for (let i = 1; i <= a.length; i++) {
    const ai = a.charCodeAt(i - 1);
    const aPrev = i > 1 ? a.charCodeAt(i - 2) : -1;
    d[current] = i;
    let rowMin = i;
    for (let j = 1; j < cols; j++) {
      const bj = b.charCodeAt(j - 1);
      let best = d[previous + j - 1]! + (ai === bj ? 0 : 1);
      const up = d[previous + j]! + 1;
      const left = d[current + j - 1]! + 1;
      if (up < best) best = up;
      if (left < best) best = left;
      if (j > 1 && ai === b.charCodeAt(j - 2) && aPrev === bj) {
        const swap = d[before + j - 2]! + 1;
        if (swap < best) best = swap;
      }
      d[current + j] = best;
      if (best < rowMin) rowMin = best;
    }
    if (rowMin > limit && previousMin > limit) return limit + 1;
    previousMin = rowMin;
    const t = before;
    before = previous;
    previous = current;
    current = t;
  }
  return d[previous + b.length]!;
}

/** The closest candidate within about a third of the name's length, or undefined. */
export function closest(name: string, candidates: Iterable<string>): string | undefined {
  let best: string | undefined;
  let bestDistance = Math.max(1, Math.ceil(name.length / 3)) + 1;
  const lower = name.toLowerCase();
  for (const c of candidates) {
    if (c === name || Math.abs(c.length - name.length) >= bestDistance) continue;
    const d = editDistance(lower, c.toLowerCase(), bestDistance - 1);
    if (d < bestDistance) {
      best = c;
      bestDistance = d;
    }
  }
  return best;
}
