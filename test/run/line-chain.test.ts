import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { prepareTransform } from '../../src/run/setup.js';
import { hmacKeyFromBytes } from '../../src/secrets/hmac-key.js';
import { TEST_HMAC_KEY } from '../helpers/env.js';

const transform = prepareTransform({ key: hmacKeyFromBytes(Buffer.from(TEST_HMAC_KEY, 'hex')) }).makeTransform();
const realLines = readFileSync(join(import.meta.dirname, '../../fixtures/raw/key-protect.ndjson'), 'utf8')
  .trim()
  .split('\n');

describe('transform', () => {
  it('accounts for every line, whatever the lines are: one event, reject or filtered count each', () => {
    const line = fc.oneof(fc.constantFrom(...realLines), fc.string(), fc.json(), fc.constantFrom('', '   ', '{', '[]', 'null'));
    fc.assert(
      fc.property(fc.array(line, { maxLength: 40 }), (lines) => {
        const out = transform({ source: 'prop', firstLine: 1, lines, oversized: [] });
        expect(out.events.length + out.rejects.length + out.counts.filtered).toBe(lines.length);
        const seen = new Set([...out.events.map((e) => e.line), ...out.rejects.map((r) => r.line)]);
        expect(seen.size).toBe(out.events.length + out.rejects.length);
      }),
      { numRuns: 200 },
    );
  });

  it('dead-letters a line whose time no Date can hold, and the batch goes on', () => {
    const [a, b] = realLines as [string, string];
    const huge = JSON.stringify({ ...(JSON.parse(a) as object), time: 1e17 });
    const out = transform({ source: 'x', firstLine: 1, lines: [huge, b], oversized: [] });
    expect(out.rejects.map((r) => [r.line, r.code])).toEqual([[1, 'missing_field']]);
    expect(out.events.map((e) => e.line)).toEqual([2]);
  });

  it('gives the same event id for the same line, and different ids for different lines', () => {
    const [a, b] = realLines as [string, string];
    const first = transform({ source: 'x', firstLine: 1, lines: [a, b], oversized: [] });
    const again = transform({ source: 'elsewhere', firstLine: 7, lines: [a], oversized: [] });
    expect(first.events[0]!.id).toBe(again.events[0]!.id);
    expect(first.events[0]!.id).not.toBe(first.events[1]!.id);
  });

  it('classifies both Key Protect action styles, catch-alls and health checks', () => {
    const base = JSON.parse(realLines.find((l) => l.includes('/actions/unwrap'))!) as { req: { url: string; method: string } };
    const variant = (method: string, url: string) => JSON.stringify({ ...base, req: { ...base.req, method, url } });
    const key = '5e7a8c1e-0f6b-4c3d-9a2e-1b2c3d4e5f60';
    const out = transform({
      source: 'styles',
      firstLine: 1,
      lines: [
        variant('POST', `/api/v2/keys/${key}/actions/unwrap`),
        variant('POST', `/api/v2/keys/${key}?action=unwrap`),
        variant('POST', `/api/v2/keys/${key}/actions/frobnicate`),
        variant('POST', `/api/v2/keys/${key}?action=frobnicate`),
        variant('GET', '/health'),
      ],
      oversized: [],
    });
    expect(out.events.map((e) => e.action)).toEqual(['kms.secrets.unwrap', 'kms.secrets.unwrap', 'kms.secrets.default', 'kms.secrets.default']);
    expect(out.counts.filtered).toBe(1);
    expect(out.events[0]!.targetId).toMatch(new RegExp(`:key:${key}$`));
  });
});
