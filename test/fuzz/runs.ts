/**
 * How many runs a property gets. The normal suite runs each a few hundred times at most (a few
 * seconds in all); `npm run fuzz` sets FUZZ_RUNS (e.g. 20000) and every property runs that many
 * times, divided by its cost: a property that starts a request or a run costs ~100 pure ones.
 */
import { vi } from 'vitest';

const FUZZ_RUNS = Number(process.env.FUZZ_RUNS ?? 0);

// A long run takes minutes per property: the suite's per-test timeout is for the short one.
if (FUZZ_RUNS > 0) vi.setConfig({ testTimeout: 3_600_000, hookTimeout: 120_000 });

export function runs(short: number, cost = 1): number {
  return FUZZ_RUNS > 0 ? Math.max(short, Math.ceil(FUZZ_RUNS / cost)) : short;
}

/** fast-check's seed from FUZZ_SEED, so a failure printed by a long run can be replayed. */
export const SEED = process.env.FUZZ_SEED === undefined ? undefined : Number(process.env.FUZZ_SEED);

export function fuzzParams(short: number, cost = 1): { numRuns: number; seed?: number } {
  return SEED === undefined ? { numRuns: runs(short, cost) } : { numRuns: runs(short, cost), seed: SEED };
}
