// What a classifier's predictions amount to: the confusion matrix and, from it, accuracy and per-class precision and
// recall (scikit-learn's definitions; a class never predicted has precision 0, one never present recall 0). Browser-safe.

export interface ClassMetrics {
  classes: number;
  /** confusion[t][p]: rows whose true class is t and predicted class p. */
  confusion: number[][];
  accuracy: number;
  precision: number[];
  recall: number[];
  /** Rows of each true class. */
  support: number[];
}

/** The index of the largest of `count` scores starting at `offset` (the first on ties, as argmax does). */
export function argmax(scores: ArrayLike<number>, offset: number, count: number): number {
  let best = 0;
  for (let c = 1; c < count; c++) if (scores[offset + c]! > scores[offset + best]!) best = c;
  return best;
}

/** Metrics of predicted against true classes, both integers in [0, classes). */
export function classMetrics(predicted: ArrayLike<number>, truth: ArrayLike<number>, classes: number): ClassMetrics {
  const confusion = Array.from({ length: classes }, () => new Array<number>(classes).fill(0));
  let correct = 0;
  for (let i = 0; i < truth.length; i++) {
    confusion[truth[i]!]![predicted[i]!]!++;
    if (truth[i] === predicted[i]) correct++;
  }
  const support = confusion.map((row) => row.reduce((a, b) => a + b, 0));
  const predictedCount = confusion[0]?.map((_, p) => confusion.reduce((a, row) => a + row[p]!, 0)) ?? [];
  return {
    classes,
    confusion,
    accuracy: truth.length > 0 ? correct / truth.length : NaN,
    precision: predictedCount.map((n, c) => (n > 0 ? confusion[c]![c]! / n : 0)),
    recall: support.map((n, c) => (n > 0 ? confusion[c]![c]! / n : 0)),
    support,
  };
}

/** Softmax of each row of `classes` scores: a model's logits as probabilities, computed stably. */
export function softmaxRows(scores: ArrayLike<number>, classes: number): Float32Array {
  const out = new Float32Array(scores.length);
  for (let r = 0; r < scores.length; r += classes) {
    let max = -Infinity;
    for (let c = 0; c < classes; c++) max = Math.max(max, scores[r + c]!);
    let sum = 0;
    for (let c = 0; c < classes; c++) sum += (out[r + c] = Math.exp(scores[r + c]! - max));
    for (let c = 0; c < classes; c++) out[r + c]! /= sum;
  }
  return out;
}
