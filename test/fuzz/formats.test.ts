import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseCombinedLine, parseEnvoyLine, parseTimeLocal } from '../../src/formats/access-log/parse.js';
import { parseLine } from '../../src/formats/parse-line.js';
import { detectJsonFormat, JSON_FORMATS, TEXT_FORMATS } from '../../src/formats/registry.js';
import { REJECT_CODES } from '../../src/model/records.js';
import { idsOfLine } from '../../src/transforms/build/ids.js';
import { loadPipelines } from '../../src/transforms/classify/compile-pipeline.js';
import { REAL } from '../hostile/cases.js';
import { fuzzParams } from './runs.js';

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const pad = (n: number, w = 2) => String(n).padStart(w, '0');

/** An instant with a whole second, as access logs write them, from 1970 to 2099. */
const instant = fc.integer({ min: 0, max: 4_102_444_799 }).map((s) => s * 1000);
const offsetMinutes = fc.integer({ min: -12 * 60, max: 14 * 60 }).map((m) => m - (m % 15));

function timeLocal(ms: number, offset: number): string {
  const d = new Date(ms + offset * 60_000);
  const sign = offset < 0 ? '-' : '+';
  const abs = Math.abs(offset);
  return `${pad(d.getUTCDate())}/${MONTHS[d.getUTCMonth()]}/${d.getUTCFullYear()}:${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())} ${sign}${pad(Math.floor(abs / 60))}${pad(abs % 60)}`;
}

const token = fc.string({ unit: fc.constantFrom(...'abcdefghijklmnopqrstuvwxyz0123456789-._~%'), minLength: 1, maxLength: 12 });
const method = fc.constantFrom('GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS');
const path = fc.array(token, { minLength: 0, maxLength: 6 }).map((parts) => `/${parts.join('/')}`);
const query = fc.option(
  fc.array(fc.tuple(token, token), { maxLength: 3 }).map((kv) => `?${kv.map(([k, v]) => `${k}=${v}`).join('&')}`),
  { nil: '' },
);
const status = fc.integer({ min: 100, max: 599 });
/** Text a quoted field may hold, `\"` escapes included; no newline (a line is a line). */
const quotedText = fc
  .array(fc.oneof(fc.string({ unit: fc.constantFrom(...'abc XYZ/;:()=,.-_019'), maxLength: 10 }), fc.constant('\\"'), fc.constant('\\\\')), { maxLength: 6 })
  .map((parts) => parts.join(''));
const ipv4 = fc.ipV4();

/** Anything a line may be: printable text, control characters, quotes, brackets, lone surrogates. */
const anyLine = fc.oneof(
  fc.string({ maxLength: 300 }),
  fc.string({ unit: 'binary', maxLength: 300 }),
  fc.string({ unit: fc.constantFrom('"', '[', ']', '\\', ' ', '-', '{', '}', ':', ',', '\t', '\r', '\ufeff', '\u0000', '\ud800', 'a', '1'), maxLength: 200 }),
);

/** A line cut, spliced or with characters changed: near misses of a valid line. */
const mutated = (valid: fc.Arbitrary<string>) =>
  fc.tuple(valid, fc.nat(), fc.nat(), fc.string({ maxLength: 5 })).map(([l, a, b, ins]) => {
    const i = a % (l.length + 1);
    const j = i + (b % (l.length - i + 1));
    return l.slice(0, i) + ins + l.slice(j);
  });

const combined = fc
  .record({
    ip: ipv4,
    user: fc.option(token, { nil: '-' }),
    ms: instant,
    off: offsetMinutes,
    method,
    path,
    query,
    status,
    referer: quotedText,
    agent: quotedText,
  })
  .map((r) => ({
    ...r,
    line: `${r.ip} - ${r.user} [${timeLocal(r.ms, r.off)}] "${r.method} ${r.path}${r.query} HTTP/1.1" ${r.status} 123 "${r.referer}" "${r.agent}"`,
  }));

const envoy = fc.record({ ms: instant, method, path, query, status, xff: ipv4, agent: quotedText, rid: fc.uuid(), authority: token }).map((r) => ({
  ...r,
  line: `[${new Date(r.ms).toISOString()}] "${r.method} ${r.path}${r.query} HTTP/1.1" ${r.status} - 0 42 3 2 "${r.xff}" "${r.agent}" "${r.rid}" "${r.authority}" "10.0.0.1:443"`,
}));

describe('access-log parsers (property)', () => {
  it('read back every field of a generated combined line, in any time zone', () => {
    fc.assert(
      fc.property(combined, (r) => {
        const facts = parseCombinedLine(r.line);
        expect(facts).toBeDefined();
        expect(facts).toMatchObject({ time: r.ms, method: r.method, url: `${r.path}${r.query}`, status: r.status, remoteAddress: r.ip });
        expect(facts!.userAgent).toBe(r.agent === '' || r.agent === '-' ? undefined : r.agent);
        expect(facts!.initiator?.id).toBe(r.user === '-' ? undefined : r.user);
      }),
      fuzzParams(300),
    );
  });

  it('read back every field of a generated Envoy line', () => {
    fc.assert(
      fc.property(envoy, (r) => {
        const facts = parseEnvoyLine(r.line);
        // `-` is "absent" in every field.
        const host = r.authority === '-' ? undefined : r.authority;
        expect(facts).toMatchObject({
          time: r.ms,
          method: r.method,
          url: `${r.path}${r.query}`,
          status: r.status,
          host,
          requestId: r.rid,
          remoteAddress: r.xff,
        });
      }),
      fuzzParams(300),
    );
  });

  it('never throw on anything, near misses included, and give either nothing or facts of the right types', () => {
    const check = (facts: ReturnType<typeof parseCombinedLine>) => {
      if (facts === undefined) return;
      expect(Number.isFinite(facts.time)).toBe(true);
      expect(Number.isInteger(facts.status)).toBe(true);
      expect(typeof facts.method).toBe('string');
      expect(typeof facts.url).toBe('string');
      // The request line is taken only when it is one: an upper-case method and a path.
      if (facts.method !== '') expect(facts.url.startsWith('/')).toBe(true);
    };
    fc.assert(
      fc.property(fc.oneof(anyLine, mutated(combined.map((r) => r.line)), mutated(envoy.map((r) => r.line))), (line) => {
        check(parseCombinedLine(line));
        check(parseEnvoyLine(line));
        for (const f of TEXT_FORMATS) expect(() => f.parseText(line)).not.toThrow();
      }),
      fuzzParams(500),
    );
  });

  it('read $time_local as the instant it names, and nothing that is not one', () => {
    fc.assert(
      fc.property(instant, offsetMinutes, (ms, off) => {
        expect(parseTimeLocal(timeLocal(ms, off))).toBe(ms);
      }),
      fuzzParams(300),
    );
    fc.assert(
      fc.property(fc.string({ maxLength: 40 }), (text) => {
        const t = parseTimeLocal(text);
        if (t !== undefined) expect(Number.isFinite(t)).toBe(true);
      }),
      fuzzParams(300),
    );
  });
});

describe('parseLine and the JSON formats (property)', () => {
  const pipelines = loadPipelines();

  it('turn any line into a record or a reject with a known code, never an exception', () => {
    fc.assert(
      fc.property(fc.oneof(anyLine, fc.json(), mutated(fc.constantFrom(...REAL))), (line) => {
        const parsed = parseLine(line, undefined);
        if (parsed.kind === 'reject') {
          expect(Object.keys(REJECT_CODES)).toContain(parsed.code);
          expect(parsed.reason).not.toBe('');
        } else {
          expect(typeof parsed.record).toBe('object');
          expect(Array.isArray(parsed.record)).toBe(false);
        }
      }),
      fuzzParams(500),
    );
  });

  it('map any JSON object, real records with fields changed included, to an event, a reject or a filter, never an exception', () => {
    const realRecord = fc.constantFrom(...REAL).map((l) => JSON.parse(l) as Record<string, unknown>);
    // A real record with one top-level or req field replaced by any JSON value.
    const changed = fc
      .tuple(realRecord, fc.constantFrom('time', 'req', 'res', 'level', 'msg', 'host', 'hostname', 'statusCode', 'responseTime'), fc.jsonValue())
      .map(([r, k, v]) => ({ ...r, [k]: v }));
    const changedReq = fc
      .tuple(realRecord, fc.constantFrom('url', 'method', 'headers', 'id', 'remoteAddress'), fc.jsonValue())
      .map(([r, k, v]) => ({ ...r, req: { ...(r.req as object), [k]: v } }));
    const anyObject = fc.dictionary(fc.string({ maxLength: 12 }), fc.jsonValue(), { maxKeys: 8 });
    fc.assert(
      fc.property(fc.oneof(changed, changedReq, anyObject), (record) => {
        const format = detectJsonFormat(record);
        if (!format) return;
        expect(JSON_FORMATS).toContain(format);
        const unwrapped = format.unwrap ? format.unwrap(record) : { ok: true as const, record };
        if (!unwrapped.ok) {
          expect(Object.keys(REJECT_CODES)).toContain(unwrapped.code);
          return;
        }
        const result = format.toEvent(unwrapped.record, {
          pipelines,
          forcedPipeline: false,
          source: 'fuzz',
          line: 1,
          ids: idsOfLine(JSON.stringify(record)),
          keyId: 'k',
        });
        expect(['event', 'reject', 'filtered']).toContain(result.kind);
        if (result.kind === 'reject') expect(Object.keys(REJECT_CODES)).toContain(result.code);
      }),
      fuzzParams(400),
    );
  });
});
