// Records keyed by user-chosen names (model inputs, dataset fields, tensors): without a prototype, so a name such as
// `__proto__`, `constructor` or `toString` is an ordinary key, never an inherited value or a prototype assignment.

/** An empty record with no prototype. */
export function nameRecord<T>(): Record<string, T> {
  return Object.create(null) as Record<string, T>;
}

/** A prototype-free record of entries (Object.fromEntries makes a plain object, where `__proto__` is special). */
export function recordOf<T>(entries: Iterable<readonly [string, T]>): Record<string, T> {
  const out = nameRecord<T>();
  for (const [k, v] of entries) out[k] = v;
  return out;
}
