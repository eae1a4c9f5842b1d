import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SECRET_FIELD_NAMES } from '../../../src/transforms/redact/field-rules.js';
import { testRedactor } from './test-key.js';

/**
 * Invariant 2, as a property: secrets of every kind planted at random depths, under random
 * keys and at random positions inside strings, never reach the output of any input form
 * (parsed record, dead-lettered raw line, LogDNA `_line`, pretty-printed JSON), while every
 * planted identifier comes out unchanged.
 */

const B64URL = [...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'];
const B64 = [...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'];
const ALNUM = [...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789'];
const UPPER_ALNUM = [...'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789'];
const HEX = [...'0123456789abcdef'];
/** Characters a bare value may hold in text (none of them ends a value). */
const BARE_VALUE = [...ALNUM, '!', '$', '%', '*', '+', '.', '/', '~', '^', '@', '#', '=', ':', '-', '_'];
/** Secrets shorter than this could appear in other text by chance (a fingerprint's hex, a word). */
const MIN_SECRET = 12;

const chars = (alphabet: string[], minLength: number, maxLength: number) => fc.string({ unit: fc.constantFrom(...alphabet), minLength, maxLength });
/** Random enough that it cannot occur elsewhere by accident. */
const distinct = (s: string) => new Set(s).size >= 6;

interface Planted {
  /** The text put into a string value. */
  text: string;
  /** What must not appear in any output. */
  secrets: string[];
}

const bearer = chars([...B64URL, '.', '~'], 16, 80)
  .filter(distinct)
  .map((t) => ({ text: `Bearer ${t}`, secrets: [t] }));
const basic = fc.tuple(chars(ALNUM, 4, 12), chars(BARE_VALUE, MIN_SECRET, 24).filter(distinct)).map(([u, p]) => {
  const b64 = Buffer.from(`${u}:${p}`).toString('base64');
  return { text: `Authorization: Basic ${b64}`, secrets: [b64, p] };
});
const jwt = fc
  .tuple(chars(B64URL, 8, 40), chars(B64URL, 8, 80), chars(B64URL, 0, 60))
  .map(([h, p, s]) => `eyJ${h}.${p}.${s}`)
  .map((t) => ({ text: t, secrets: [t] }));
const pem = fc
  .tuple(fc.constantFrom('', 'RSA ', 'EC ', 'ENCRYPTED ', 'OPENSSH '), fc.array(chars(B64, 24, 64).filter(distinct), { minLength: 1, maxLength: 4 }))
  .map(([type, lines]) => ({
    text: `-----BEGIN ${type}PRIVATE KEY-----\n${lines.join('\n')}\n-----END ${type}PRIVATE KEY-----`,
    secrets: lines,
  }));
const ibmApiKey = fc
  .tuple(fc.constantFrom('apikey=', 'api_key: ', '"apikey":"', '--apikey ', 'iam_apikey='), chars(B64URL, 44, 44).filter(distinct))
  .map(([ctx, k]) => ({ text: `${ctx}${k}${ctx.startsWith('"') ? '"' : ''}`, secrets: [k] }));
const awsAccessKey = fc
  .tuple(fc.constantFrom('AKIA', 'ASIA'), chars(UPPER_ALNUM, 16, 16).filter(distinct))
  .map(([p, k]) => ({ text: `${p}${k}`, secrets: [`${p}${k}`] }));
const awsSecretKey = chars(B64, 40, 40)
  .filter(distinct)
  .chain((k) => fc.constantFrom(`aws_secret_access_key=${k}`, `"secretAccessKey": "${k}"`).map((text) => ({ text, secrets: [k] })));
const TEXT_SECRET_NAMES = SECRET_FIELD_NAMES.filter((n) => n !== 'cookie' && n !== 'set-cookie');
const kvSecret = fc
  .tuple(fc.constantFrom(...TEXT_SECRET_NAMES), chars(BARE_VALUE, MIN_SECRET, 32).filter(distinct), fc.constantFrom('=', ': ', '=', ' = ', 'json', '--'))
  .map(([name, v, form]) => {
    if (form === 'json') return { text: `{"${name}":"${v} and more"}`, secrets: [v] };
    if (form === '--') return { text: `--${name} ${v}`, secrets: [v] };
    return { text: `${name}${form}${v}`, secrets: [v] };
  });
const urlCredentials = fc
  .tuple(
    fc.constantFrom('https', 'postgres', 'redis', 'amqps'),
    chars(ALNUM, 0, 10),
    chars([...ALNUM, '!', '$', '*', '~', '%'], MIN_SECRET, 30).filter(distinct),
  )
  .map(([scheme, user, pw]) => ({ text: `${scheme}://${user}:${pw}@db.internal.example.com:5432/x`, secrets: [pw] }));
const keyMaterial = fc
  .tuple(fc.constantFrom(16, 24, 32, 48, 64), fc.constantFrom('base64', 'hex', 'base64url'), fc.constantFrom('dek=', 'key: ', '"kek":"', 'seed='))
  .chain(([bytes, enc, ctx]) =>
    fc.uint8Array({ minLength: bytes, maxLength: bytes }).map((b) => {
      const v = Buffer.from(b).toString(enc as BufferEncoding);
      return { text: `${ctx}${v}${ctx.startsWith('"') ? '"' : ''}`, secrets: [v] };
    }),
  )
  .filter((p) => distinct(p.secrets[0]!));

const textSecret: fc.Arbitrary<Planted> = fc.oneof(bearer, basic, jwt, pem, ibmApiKey, awsAccessKey, awsSecretKey, kvSecret, urlCredentials, keyMaterial);

const hex32 = chars(HEX, 32, 32);
const identifier: fc.Arbitrary<string> = fc.oneof(
  fc.uuid(),
  hex32,
  fc
    .tuple(
      fc.constantFrom('kms', 'secrets-manager'),
      fc.constantFrom('us-south', 'eu-de', 'jp-tok'),
      hex32,
      fc.uuid(),
      fc.constantFrom('key', 'secret', 'secret-group', ''),
      fc.uuid(),
    )
    .map(([svc, region, acct, inst, type, id]) => `crn:v1:bluemix:public:${svc}:${region}:a/${acct}:${inst}:${type}:${type === '' ? '' : id}`),
  chars(UPPER_ALNUM, 10, 10).map((s) => `IBMid-${s}`),
  fc.uuid().map((u) => `iam-ServiceId-${u}`),
  fc.uuid().map((u) => `CertificateId-${u}`),
  fc.ipV4(),
  fc.ipV6(),
  fc.constantFrom('keyprotect-go-client/0.9', 'terraform-provider-ibm/1.71.0', 'curl/8.7.1', 'python-requests/2.32.3'),
  fc.date({ min: new Date('2018-01-01T00:00:00Z'), max: new Date('2030-01-01T00:00:00Z'), noInvalidDate: true }).map((d) => d.toISOString()),
  fc.tuple(fc.uuid(), fc.constantFrom('wrap', 'unwrap', 'rewrap', 'rotate', 'restore')).map(([u, v]) => `/api/v2/keys/${u}/actions/${v}`),
  fc.constantFrom('us-south.kms.cloud.ibm.com', '346c694d-f3a3-4c86-a58d-e96503448eaf.eu-de.secrets-manager.appdomain.cloud'),
);

/** Non-secret names, including ones that merely contain a secret word. */
const SAFE_KEYS = [
  'id',
  'name',
  'msg',
  'note',
  'host',
  'path',
  'meta',
  'items',
  'detail',
  'context',
  'req',
  'res',
  'headers',
  'body',
  'auth',
  'keyId',
  'secret_id',
  'secretType',
  'token_type',
  'tokenExpiry',
  'credential',
  'correlation-id',
];
const safeKey = fc.constantFrom(...SAFE_KEYS);
const filler = fc
  .array(fc.constantFrom('request', 'completed', 'wrap', 'for', 'key', 'ring', 'status', 'ok', 'the', 'rotate', 'policy', 'instance', 'value'), {
    maxLength: 4,
  })
  .map((w) => w.join(' '));
const path = fc.array(safeKey, { maxLength: 6 });
/** What separates a planted secret from the words around it; in JSON text `\n` and `\t` become escapes. */
const separator = fc.constantFrom(' ', ' ', '\n', '\t', ' \n');

/** A secret-named field holding a string (any characters) or an object of strings and numbers. */
const fieldSecretString = fc
  .oneof(fc.string({ unit: 'binary', minLength: MIN_SECRET, maxLength: 40 }), fc.string({ minLength: MIN_SECRET, maxLength: 40 }))
  .filter(distinct);
const secretName = fc.constantFrom(...SECRET_FIELD_NAMES).chain((n) =>
  fc.constantFrom(
    n,
    n.toUpperCase(),
    n.replace(/[-_]([a-z])/g, (_, c: string) => c.toUpperCase()),
  ),
);
const fieldSecret = fc.tuple(
  secretName,
  fc.oneof(
    fieldSecretString.map((s) => ({ value: s as unknown, secrets: [s] })),
    fc.tuple(fieldSecretString, fieldSecretString, fc.integer()).map(([a, b, n]) => ({ value: { a, list: [b, n], n } as unknown, secrets: [a, b] })),
  ),
);

type Plant =
  | { kind: 'field'; path: string[]; name: string; value: unknown; secrets: string[] }
  | { kind: 'text'; path: string[]; planted: Planted; before: string; after: string; id: string | undefined; inArray: boolean; separators: string[] }
  | { kind: 'identifier'; path: string[]; id: string; inText: boolean; before: string };

const plant: fc.Arbitrary<Plant> = fc.oneof(
  fc.tuple(path, fieldSecret).map(([p, [name, v]]) => ({ kind: 'field' as const, path: p, name, value: v.value, secrets: v.secrets })),
  fc
    .tuple(path, textSecret, filler, filler, fc.option(identifier, { nil: undefined }), fc.boolean(), fc.array(separator, { minLength: 3, maxLength: 3 }))
    .map(([p, planted, before, after, id, inArray, separators]) => ({ kind: 'text' as const, path: p, planted, before, after, id, inArray, separators })),
  fc.tuple(path, identifier, fc.boolean(), filler).map(([p, id, inText, before]) => ({ kind: 'identifier' as const, path: p, id, inText, before })),
);

const noise = fc.dictionary(safeKey, fc.oneof(filler, fc.integer(), fc.boolean(), fc.constant(null)), { maxKeys: 5 });

interface Built {
  record: Record<string, unknown>;
  secrets: string[];
  identifiers: string[];
  /** Where whole-value identifiers sit, to check they are untouched in place. */
  slots: { container: Record<string, unknown>; key: string; id: string }[];
}

function build(base: Record<string, unknown>, plants: Plant[]): Built {
  const record = structuredClone(base);
  const built: Built = { record, secrets: [], identifiers: [], slots: [] };
  plants.forEach((p, i) => {
    let at: Record<string, unknown> = record;
    for (const seg of p.path) {
      const next = at[seg];
      if (typeof next === 'object' && next !== null && !Array.isArray(next)) at = next as Record<string, unknown>;
      else {
        const fresh: Record<string, unknown> = {};
        at[`${seg}_${i}`] = fresh;
        at = fresh;
      }
    }
    if (p.kind === 'field') {
      at[p.name] = p.value;
      built.secrets.push(...p.secrets);
    } else if (p.kind === 'text') {
      const [s1, s2, s3] = p.separators;
      const text = `${p.before}${s1}${p.planted.text}${s2}${p.id ?? ''}${s3}${p.after}`;
      at[`note_${i}`] = p.inArray ? [p.before, text, i] : text;
      built.secrets.push(...p.planted.secrets);
      if (p.id !== undefined) built.identifiers.push(p.id);
    } else {
      if (p.inText) at[`ref_${i}`] = `${p.before} ${p.id} ok`;
      else {
        at[`ref_${i}`] = p.id;
        built.slots.push({ container: at, key: `ref_${i}`, id: p.id });
      }
      built.identifiers.push(p.id);
    }
  });
  return built;
}

/** A secret as it may be written in any of the outputs: raw, JSON-escaped once or twice. */
function renderings(secret: string): string[] {
  const once = JSON.stringify(secret).slice(1, -1);
  const twice = JSON.stringify(once).slice(1, -1);
  return [...new Set([secret, once, twice])];
}

function expectNoSecrets(output: string, secrets: string[], form: string): void {
  for (const s of secrets) {
    for (const r of renderings(s)) {
      if (output.includes(r)) throw new Error(`${form}: secret ${JSON.stringify(s)} survived in ${output}`);
    }
  }
}

function expectIdentifiers(output: string, identifiers: string[], form: string): void {
  for (const id of identifiers) {
    if (!output.includes(id)) throw new Error(`${form}: identifier ${id} did not survive in ${output}`);
  }
}

const NUM_RUNS = 400;

describe('no planted secret survives, every planted identifier does', () => {
  const redactor = testRedactor();
  const scenario = fc.tuple(noise, fc.array(plant, { minLength: 1, maxLength: 8 }));

  it('in parsed records (redactRecord)', () => {
    fc.assert(
      fc.property(scenario, ([base, plants]) => {
        const b = build(base, plants);
        redactor.redactRecord(b.record, {});
        const out = JSON.stringify(b.record);
        expectNoSecrets(out, b.secrets, 'record');
        expectIdentifiers(out, b.identifiers, 'record');
        for (const slot of b.slots) expect(slot.container[slot.key]).toBe(slot.id);
      }),
      { numRuns: NUM_RUNS },
    );
  });

  it('in raw lines redacted as text (dead-letter path), compact and pretty-printed', () => {
    fc.assert(
      fc.property(scenario, ([base, plants]) => {
        const b = build(base, plants);
        for (const [form, text] of [
          ['compact', JSON.stringify(b.record)],
          ['pretty', JSON.stringify(b.record, null, 2)],
        ] as const) {
          const out = redactor.redactText(text, {});
          expectNoSecrets(out, b.secrets, form);
          expectIdentifiers(out, b.identifiers, form);
          expect(redactor.redactText(out, {}), 'idempotent').toBe(out);
        }
      }),
      { numRuns: NUM_RUNS },
    );
  });

  it('in LogDNA lines (the record as _line text), parsed and as raw text', () => {
    fc.assert(
      fc.property(scenario, ([base, plants]) => {
        const b = build(base, plants);
        const line = { _line: JSON.stringify(b.record), _ts: 1763683200000, _app: 'kms' };
        const raw = JSON.stringify(line);
        redactor.redactRecord(line, {});
        const parsedOut = JSON.stringify(line);
        expectNoSecrets(parsedOut, b.secrets, 'logdna record');
        expectIdentifiers(parsedOut, b.identifiers, 'logdna record');
        const textOut = redactor.redactText(raw, {});
        expectNoSecrets(textOut, b.secrets, 'logdna raw text');
        expectIdentifiers(textOut, b.identifiers, 'logdna raw text');
      }),
      { numRuns: NUM_RUNS },
    );
  });

  it('and a record redacted twice is the record redacted once', () => {
    fc.assert(
      fc.property(scenario, ([base, plants]) => {
        const b = build(base, plants);
        redactor.redactRecord(b.record, {});
        const once = JSON.stringify(b.record);
        const counts = {};
        redactor.redactRecord(b.record, counts);
        expect(JSON.stringify(b.record)).toBe(once);
        expect(counts).toEqual({});
      }),
      { numRuns: NUM_RUNS },
    );
  });
});
