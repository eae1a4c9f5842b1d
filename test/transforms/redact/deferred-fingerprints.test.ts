import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compileValueSource } from '../../../src/config/value-source.js';
import type { TransformedBatch } from '../../../src/model/records.js';
import { createTransformer } from '../../../src/run/line-chain.js';
import { prepareTransform } from '../../../src/run/setup.js';
import type { HmacKey } from '../../../src/secrets/hmac-key.js';
import type { CompiledPipeline } from '../../../src/transforms/classify/compile-pipeline.js';
import { createDeferredFingerprints } from '../../../src/transforms/redact/deferred.js';
import { createRedactor, isFingerprint } from '../../../src/transforms/redact/index.js';
import { createEventValidator } from '../../../src/transforms/validate/validate.js';
import { hmacOf, testKey } from './test-key.js';

/**
 * A parsed record's fingerprints are computed only where they reach an output. Whatever the
 * line, the events, rejects (dead-letter text and reasons included) and counts must be those of
 * the redactor that computes every fingerprint at once, and no raw secret may reach any of them.
 */
const FIXTURES = join(import.meta.dirname, '../../../fixtures');
const fixtureLines = (dir: string) =>
  readdirSync(join(FIXTURES, dir)).flatMap((f) =>
    readFileSync(join(FIXTURES, dir, f), 'utf8')
      .split('\n')
      .filter((l) => l !== ''),
  );
const RAW_LINES = fixtureLines('raw');
const FORMAT_LINES = fixtureLines('formats/input');
const CASES = (JSON.parse(readFileSync(join(FIXTURES, 'redaction/cases.json'), 'utf8')) as { cases: { input: unknown }[] }).cases.map((c) =>
  typeof c.input === 'string' ? c.input : JSON.stringify(c.input),
);
const SERVICE_LOGS = RAW_LINES.flatMap((l) => {
  try {
    const r = JSON.parse(l) as ServiceLog;
    return typeof r.req?.url === 'string' ? [r] : [];
  } catch {
    return [];
  }
});
const AT_EVENTS = readFileSync(join(FIXTURES, 'formats/input/at-irregular.ndjson'), 'utf8')
  .split('\n')
  .filter((l) => l.startsWith('{"eventTime"'))
  .flatMap((l) => {
    try {
      return [JSON.parse(l) as Record<string, unknown>];
    } catch {
      return [];
    }
  });

type ServiceLog = Record<string, unknown> & { req: Record<string, unknown> & { url: string; headers?: Record<string, unknown> } };

const { pipelines } = prepareTransform({ key: testKey });
const PIPELINE_FIELDS = [...new Set(pipelines.flatMap((p) => p.config.redaction?.fields ?? []))];
/** The bundled pipelines, also copying secret-named values into requestData. */
const COPYING: CompiledPipeline[] = pipelines.map((p) => ({
  ...p,
  requestData: [
    ...p.requestData,
    ['token', compileValueSource('req.headers.authorization')],
    ['password', compileValueSource('body.password')],
    ['method', compileValueSource('$method')],
    ['account', compileValueSource('$account')],
  ],
}));
/** Secret names for fields the builder reads: keys of no event (the pass over the built event)... */
const READ_FIELDS = ['method', 'url', 'remoteAddress', 'user-agent', 'correlation-id', 'iamId', 'account', 'bluemix-instance', 'grantType', 'statusCode'];
/** ...and keys of the event too (the event is then walked whole). */
const EVENT_KEY_FIELDS = ['host', 'name', 'message', 'address', 'id'];
const FIELD_SETS = [PIPELINE_FIELDS, [...PIPELINE_FIELDS, ...READ_FIELDS], [...PIPELINE_FIELDS, ...EVENT_KEY_FIELDS]];

function transformerOf(key: HmacKey, extraFields: string[], defer: boolean) {
  return createTransformer({
    pipelines: COPYING,
    forcedPipeline: false,
    format: undefined,
    redactor: createRedactor({ key, extraFields, deferFingerprints: defer }),
    validate: createEventValidator(),
    keyId: key.id,
  });
}

/** Both redactors over the same batches: outcomes and counts equal, nothing of `secrets` anywhere in them. */
function expectSameOutputs(lines: string[], secrets: string[] = [], batchLines = 7): void {
  for (const fields of FIELD_SETS) {
    const deferring = transformerOf(testKey, fields, true);
    const computing = transformerOf(testKey, fields, false);
    for (let at = 0; at < lines.length; at += batchLines) {
      const batch = () => ({ source: 'deferred', firstLine: at + 1, lines: lines.slice(at, at + batchLines), oversized: [] });
      const out: TransformedBatch = deferring(batch());
      expect(out).toEqual(computing(batch()));
      const text = JSON.stringify(out);
      for (const s of secrets) expect(text).not.toContain(s);
    }
  }
}

const SECRET = 'pa55-w0rd-Zq8rT3vX9kLm';
const TOKEN = 'opaque-t0ken-8f2kQ9xLmN3pR7tV1wZ5yB4c';

/** `text` where a request log's values are read, copied or composed. */
function plant(record: ServiceLog, text: string, where: number): ServiceLog {
  const r = structuredClone(record);
  const headers = { ...(r.req.headers ?? {}) };
  switch (where) {
    case 0:
      r.req.url = `${r.req.url.replace(/[0-9a-f]{8}-[0-9a-f-]{27}/, encodeURIComponent(text))}?token=${encodeURIComponent(text)}`;
      break;
    case 1:
      r.req.method = text;
      break;
    case 2:
      headers.authorization = `Bearer ${text}`;
      headers['user-agent'] = text;
      headers['correlation-id'] = text;
      headers.host = text;
      break;
    case 3:
      r.auth = { ...(r.auth as object), name: text, iamId: text, grantType: text };
      r.account = text;
      headers['bluemix-instance'] = text;
      break;
    case 4:
      r.err = { message: `failed: password=${text}` };
      r.res = { statusCode: 500 };
      r.req.remoteAddress = text;
      break;
    default:
      r.body = { password: text, nested: { private_key: text, list: [text, { apikey: text }] } };
  }
  r.req.headers = headers;
  return r;
}

/** `secret` where only a secret's name or shape says it is one, each place reaching an event, a reason or a dead letter. */
function plantSecret(record: ServiceLog, secret: string, where: number): ServiceLog {
  const r = structuredClone(record);
  const headers = { ...(r.req.headers ?? {}) };
  switch (where) {
    case 0:
      r.req.url = `${r.req.url}${r.req.url.includes('?') ? '&' : '?'}password=${secret}`;
      break;
    case 1:
      r.req.method = `token=${secret}`;
      break;
    case 2:
      headers.authorization = `Bearer ${secret}`;
      break;
    case 3:
      r.err = { message: `failed: password=${secret}` };
      r.res = { statusCode: 500 };
      break;
    case 4:
      r.body = { password: secret, nested: { private_key: secret, list: [{ apikey: secret }] } };
      break;
    default:
      headers.host = `https://user:${secret}@nowhere.example`;
  }
  r.req.headers = headers;
  return r;
}

describe('fingerprints computed where they reach an output', () => {
  it('gives the same events, rejects and counts for every fixture line', () => {
    expectSameOutputs([...RAW_LINES, ...FORMAT_LINES]);
  });

  it('gives the same for every redaction case planted where the builder reads, copies or composes', () => {
    const lines = CASES.flatMap((text, i) =>
      [0, 1, 2, 3, 4, 5].map((where) => JSON.stringify(plant(SERVICE_LOGS[(i + where) % SERVICE_LOGS.length]!, text, where))),
    );
    expectSameOutputs(lines);
  });

  it('gives the same for secrets in events, rejects and dead-letter text, and none of them reaches an output', () => {
    const planted = [0, 1, 2, 3, 4, 5].flatMap((where) => SERVICE_LOGS.slice(0, 6).map((r) => JSON.stringify(plantSecret(r, SECRET, where))));
    const upper = JSON.stringify(plantSecret(SERVICE_LOGS[0]!, SECRET.toLowerCase(), 1));
    const unknownHost = JSON.stringify({
      ...plantSecret(SERVICE_LOGS[1]!, SECRET, 4),
      req: { ...SERVICE_LOGS[1]!.req, headers: { host: 'nowhere.example', authorization: TOKEN } },
    });
    const ownToJson = JSON.stringify({ ...plantSecret(SERVICE_LOGS[2]!, SECRET, 4), toJSON: 'a field of the input' });
    const tooDeep = JSON.stringify({ ...plantSecret(SERVICE_LOGS[3]!, SECRET, 4), deep: JSON.parse(`${'['.repeat(300)}${']'.repeat(300)}`) as unknown });
    const atEvents = AT_EVENTS.map((e) =>
      JSON.stringify({
        ...e,
        requestData: { ...(e.requestData as object), password: SECRET, note: `apikey=${SECRET}` },
        initiator: { ...(e.initiator as object), credential: { type: 'apikey', apikey: SECRET } },
        tenant_secret: { token: TOKEN },
      }),
    );
    const unsupported = JSON.stringify({ password: SECRET, authorization: `Bearer ${TOKEN}` });
    expectSameOutputs([...planted, upper, unknownHost, ownToJson, tooDeep, ...atEvents, unsupported], [SECRET, TOKEN]);
  });

  it('gives the same for random text anywhere the builder reads', () => {
    const text = fc.oneof(
      fc.string({ minLength: 1 }),
      fc.constantFrom(...CASES),
      fc.tuple(fc.constantFrom(...CASES), fc.string()).map(([a, b]) => `${b}${a}${b}`),
    );
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat(SERVICE_LOGS.length - 1), text, fc.nat(5)), { minLength: 1, maxLength: 5 }), (planted) => {
        expectSameOutputs(planted.map(([i, t, where]) => JSON.stringify(plant(SERVICE_LOGS[i]!, t, where))));
      }),
      { numRuns: 60 },
    );
  });

  it('computes only the fingerprints that reach an output', () => {
    const counting = (calls: { n: number }): HmacKey => ({
      id: testKey.id,
      material: testKey.material,
      fingerprint: (v) => {
        calls.n++;
        return testKey.fingerprint(v);
      },
    });
    const deferred = { n: 0 };
    const computed = { n: 0 };
    const probe = transformerOf(testKey, PIPELINE_FIELDS, false);
    // Lines that become events, each with its own token, which requestData.token copies.
    const lines = SERVICE_LOGS.map((r, i) => JSON.stringify(plantSecret(r, `${TOKEN}-${i}`, 2))).filter(
      (l) => probe({ source: 's', firstLine: 1, lines: [l], oversized: [] }).events.length === 1,
    );
    const a = transformerOf(counting(deferred), PIPELINE_FIELDS, true)({ source: 's', firstLine: 1, lines, oversized: [] });
    const b = transformerOf(counting(computed), PIPELINE_FIELDS, false)({ source: 's', firstLine: 1, lines, oversized: [] });
    expect(a).toEqual(b);
    expect(a.events.length).toBeGreaterThan(10);
    // One per distinct fingerprint in the events (the memo answers repeats): each line's token, and what the fixtures copy.
    const inEvents = new Set(JSON.stringify(a.events).match(/hmac-sha256:[0-9a-f]{64}/g));
    expect(inEvents.size).toBeGreaterThanOrEqual(a.events.length);
    expect(deferred.n).toBe(inEvents.size);
    expect(computed.n).toBeGreaterThan(deferred.n);
  });
});

describe('stand-ins of deferred fingerprints', () => {
  const fingerprint = (v: string) => hmacOf(v);

  it('have the shape of a fingerprint and resolve to it, upper-cased where the text was', () => {
    const d = createDeferredFingerprints(fingerprint);
    d.begin();
    const standIn = d.standIn(SECRET);
    expect(isFingerprint(standIn)).toBe(true);
    expect(standIn).not.toBe(hmacOf(SECRET));
    expect(d.resolveText(`x ${standIn} y`)).toBe(`x ${hmacOf(SECRET)} y`);
    expect(d.resolveText(`GET ${standIn.toUpperCase()}`)).toBe(`GET ${hmacOf(SECRET).toUpperCase()}`);
    expect(d.resolveText('nothing to resolve here, however long the text is: 0123456789abcdef0123456789abcdef')).toBe(
      'nothing to resolve here, however long the text is: 0123456789abcdef0123456789abcdef',
    );
  });

  it('resolve inside objects and arrays, in place', () => {
    const d = createDeferredFingerprints(fingerprint);
    d.begin();
    const record = { a: d.standIn('one'), b: [{ c: `[redacted:jwt ${d.standIn('two')}]` }], n: 1 };
    d.resolveDeep(record);
    expect(record).toEqual({ a: hmacOf('one'), b: [{ c: `[redacted:jwt ${hmacOf('two')}]` }], n: 1 });
  });

  it('refuse to resolve once the next record has begun, rather than write a wrong value', () => {
    const d = createDeferredFingerprints(fingerprint);
    d.begin();
    const old = d.standIn(SECRET);
    d.begin();
    d.standIn(TOKEN);
    expect(() => d.resolveText(old)).toThrow(/after its record/);
  });

  it("give a dead letter's record text its fingerprints, and refuse once the next record is redacted", () => {
    const redactor = createRedactor({ key: testKey });
    const first = { password: SECRET, n: 1 };
    redactor.redactParsedRecord(first, {});
    expect(JSON.stringify(first)).not.toContain(hmacOf(SECRET));
    expect(redactor.recordText(first)).toBe(JSON.stringify({ password: hmacOf(SECRET), n: 1 }));
    const stale = { password: SECRET };
    redactor.redactParsedRecord(stale, {});
    const next = { password: TOKEN };
    redactor.redactParsedRecord(next, {});
    expect(() => redactor.recordText(stale)).toThrow(/after its record/);
  });

  it('are drawn from a nonce of their redactor, so no input can name one', () => {
    const a = createDeferredFingerprints(fingerprint);
    const b = createDeferredFingerprints(fingerprint);
    a.begin();
    b.begin();
    const fromA = a.standIn(SECRET);
    b.standIn(SECRET);
    expect(b.resolveText(fromA)).toBe(fromA);
  });
});
