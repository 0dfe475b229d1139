// Every property runs with a fixed seed and run count, so the suite is deterministic. For a deeper search, set
// DLG_PROPERTY_SEED (any integer: shifts every seed) and/or DLG_PROPERTY_SCALE (multiplies every run count), e.g.
//   DLG_PROPERTY_SEED=7 DLG_PROPERTY_SCALE=20 npx vitest run tests/properties
const shift = Number(process.env["DLG_PROPERTY_SEED"] ?? 0) | 0;
const scale = Math.max(0.01, Number(process.env["DLG_PROPERTY_SCALE"] ?? 1) || 1);

/** fast-check parameters: the fixed seed (shifted by DLG_PROPERTY_SEED) and run count (scaled by DLG_PROPERTY_SCALE). */
export function runs(seed: number, numRuns: number): { seed: number; numRuns: number } {
  return { seed: (seed + shift * 0x9e3779b1) | 0, numRuns: Math.max(1, Math.round(numRuns * scale)) };
}

