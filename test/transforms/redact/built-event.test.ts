import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { prepareTransform } from '../../../src/run/setup.js';
import { buildRequestEvent } from '../../../src/transforms/build/event.js';
import { idsOfLine } from '../../../src/transforms/build/ids.js';
import { classifyRequest } from '../../../src/transforms/classify/classify.js';
import type { Redactor } from '../../../src/transforms/redact/types.js';
import { testKey, testRedactor } from './test-key.js';

/**
 * The pass over a built event looks only at what the build composed; for every record it must give
 * the event, the counts and the number the walk over the whole event gives.
 */
const RAW = join(import.meta.dirname, '../../../fixtures/raw');
const REAL = ['key-protect.ndjson', 'secrets-manager.ndjson']
  .flatMap((f) => readFileSync(join(RAW, f), 'utf8').trim().split('\n'))
  .flatMap((l) => {
    try {
      const r = JSON.parse(l) as { req?: { url?: unknown } };
      return typeof r.req?.url === 'string' ? [r as Record<string, unknown> & { req: { url: string } }] : [];
    } catch {
      return [];
    }
  });
const CASES = (
  JSON.parse(readFileSync(join(import.meta.dirname, '../../../fixtures/redaction/cases.json'), 'utf8')) as { cases: { input: unknown }[] }
).cases.map((c) => (typeof c.input === 'string' ? c.input : JSON.stringify(c.input)));
const { pipelines } = prepareTransform({ key: testKey });
const UUID = /[0-9a-f]{8}-[0-9a-f-]{27}/;

/** Puts `text` where the builder copies or composes from: URL parameters (also encoded), query, headers, initiator, error. */
function plant(record: Record<string, unknown> & { req: { url: string } }, text: string, where: number): Record<string, unknown> {
  const r = structuredClone(record) as Record<string, unknown> & { req: Record<string, unknown> & { url: string; headers?: Record<string, unknown> } };
  let encoded: string;
  try {
    encoded = encodeURIComponent(text);
  } catch {
    encoded = escape(text);
  }
  const headers = { ...(r.req.headers ?? {}) };
  switch (where) {
    case 0:
      r.req.url = r.req.url.replace(UUID, encoded);
      break;
    case 1:
      r.req.url = `${r.req.url}${r.req.url.includes('?') ? '&' : '?'}action=${encoded}&x=${encoded}`;
      break;
    case 2:
      headers['user-agent'] = text;
      headers['correlation-id'] = text;
      break;
    case 3:
      r.auth = { ...(r.auth as object), name: text, iamId: text, type: text, grantType: text };
      break;
    case 4:
      r.err = { message: text };
      r.res = { statusCode: 500 };
      break;
    default:
      r.account = text;
      headers.host = text;
      headers['bluemix-instance'] = text;
      r.req.remoteAddress = text;
  }
  r.req.headers = headers;
  return r;
}

/** Redacts the record, builds the event twice, and redacts one copy each way. */
function bothWays(record: Record<string, unknown>, redactor: Redactor) {
  const recordCounts = {};
  redactor.redactRecord(record, recordCounts);
  const c = classifyRequest(record, pipelines, false);
  if (c.kind !== 'classified') return undefined;
  const ids = idsOfLine(JSON.stringify(record));
  const ctx = { source: 'src=a:b', line: 1, format: 'service-log', keyId: testKey.id };
  const walked = buildRequestEvent(c, ids, ctx);
  const passed = buildRequestEvent(c, ids, ctx);
  const walkCounts = {};
  const passCounts = {};
  return {
    walked: { n: redactor.redactRecord(walked, walkCounts), json: JSON.stringify(walked), counts: walkCounts },
    passed: { n: redactor.redactBuiltEvent!(passed, passCounts), json: JSON.stringify(passed), counts: passCounts },
  };
}

describe('the redaction pass over a built event', () => {
  it('gives what the walk over the whole event gives, for every redaction case planted where the builder reads', () => {
    const redactor = testRedactor();
    let built = 0;
    CASES.forEach((text, i) => {
      for (let where = 0; where < 6; where++) {
        const r = bothWays(plant(REAL[(i + where) % REAL.length]!, text, where), redactor);
        if (!r) continue;
        built++;
        expect(r.passed, `${text} at ${where}`).toEqual(r.walked);
      }
    });
    expect(built).toBeGreaterThan(CASES.length * 3);
  });

  it('gives what the walk gives for random text anywhere the builder reads', () => {
    const redactor = testRedactor();
    const text = fc.oneof(
      fc.string(),
      fc.constantFrom(...CASES),
      fc.tuple(fc.constantFrom(...CASES), fc.string()).map(([a, b]) => `${b}${a}${b}`),
    );
    fc.assert(
      fc.property(fc.nat(REAL.length - 1), text, fc.nat(5), (i, t, where) => {
        const r = bothWays(plant(REAL[i]!, t, where), redactor);
        if (r) expect(r.passed).toEqual(r.walked);
      }),
      { numRuns: 300 },
    );
  });

  it('walks the whole event when a pipeline names a key of the event as secret', () => {
    const redactor = testRedactor({ extraFields: ['name'] });
    const r = bothWays(plant(REAL[0]!, 'someone', 3), redactor)!;
    expect(r.passed).toEqual(r.walked);
    expect(r.passed.counts).toEqual({ field: 2 });
  });
});
