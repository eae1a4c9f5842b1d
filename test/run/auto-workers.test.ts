import { describe, expect, it } from 'vitest';
import { autoWorkers } from '../../src/run/ingest.js';

describe('default number of transform workers', () => {
  it('uses every core for large or unknown-size input and none for small input or one core', () => {
    expect(autoWorkers(64 * 1024 * 1024, 2)).toBe(2);
    expect(autoWorkers(undefined, 4)).toBe(4);
    expect(autoWorkers(1024 * 1024, 2)).toBe(0);
    expect(autoWorkers(undefined, 1)).toBe(0);
  });
});
