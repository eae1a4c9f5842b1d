import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isoBody } from '../../../src/transforms/build/iso-time.js';

/** What isoBody replaces: toISOString without its `Z` (or the RangeError it throws). */
function viaDate(ms: number): string {
  return new Date(ms).toISOString().slice(0, -1);
}

const MAX_TIME = 8.64e15;

describe('isoBody', () => {
  it('writes exactly what toISOString writes, for every instant Date can hold', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.integer({ min: 0, max: 253_402_300_799_999 }),
          fc.integer({ min: -MAX_TIME, max: MAX_TIME }),
          fc.double({ min: -MAX_TIME, max: MAX_TIME, noNaN: true }),
        ),
        (ms) => {
          expect(isoBody(ms)).toBe(viaDate(ms));
        },
      ),
      { numRuns: 20_000 },
    );
  });

  it('agrees on day, month, year and leap-day boundaries, and on consecutive instants of one day', () => {
    const days = ['1970-01-01', '1999-12-31', '2000-02-28', '2000-02-29', '2000-03-01', '2024-02-29', '2100-02-28', '2100-03-01', '9999-12-31'];
    for (const day of days) {
      const start = Date.parse(`${day}T00:00:00.000Z`);
      for (const ms of [start, start + 1, start + 999, start + 59_999, start + 3_599_999, start + 86_399_999, start + 86_400_000, start - 1]) {
        expect(isoBody(ms), `${ms}`).toBe(viaDate(ms));
      }
    }
  });

  it('falls back to Date outside four-digit years, and throws as it does for invalid times', () => {
    for (const ms of [-1, -0.5, 0.5, -62_167_219_200_000, 253_402_300_800_000, MAX_TIME, -MAX_TIME]) expect(isoBody(ms)).toBe(viaDate(ms));
    for (const ms of [NaN, Infinity, -Infinity, MAX_TIME + 1]) expect(() => isoBody(ms)).toThrow(RangeError);
  });
});
