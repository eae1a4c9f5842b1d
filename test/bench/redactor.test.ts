import { describe, expect, it } from 'vitest';
import { benchRedactor } from '../../bench/redactor.js';
import { testKey } from '../transforms/redact/test-key.js';

const line = (i: number) =>
  JSON.stringify({
    time: 1763683200000 + i,
    req: {
      id: `r-${i}`,
      method: 'POST',
      url: '/api/v2/keys/5e7a1c2d-3b4a-4f5e-8d9c-0a1b2c3d4e5f/actions/wrap',
      headers: { authorization: `Bearer tok-${i}-0123456789abcdef` },
    },
    body: { plaintext: `p-${i}`, aad: ['a'] },
  });

describe('benchRedactor', () => {
  it('times JSON.parse + redactRecord over the lines and reports what it redacted', () => {
    const lines = Array.from({ length: 200 }, (_, i) => line(i));
    const r = benchRedactor(lines, { key: testKey, warmupPasses: 1 });
    expect(r.lines).toBe(200);
    expect(r.linesPerSec).toBeGreaterThan(0);
    expect(r.parseOnlyLinesPerSec).toBeGreaterThan(0);
    expect(Number.isFinite(r.redactMicrosPerLine)).toBe(true);
    expect(r.redactions).toEqual({ 'field:authorization': 200, 'field:plaintext': 200, 'field:aad': 200 });
  });

  it('handles an empty input', () => {
    expect(benchRedactor([]).lines).toBe(0);
  });
});
