import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { prepareTransform } from '../../../src/run/setup.js';
import { buildRequestEvent } from '../../../src/transforms/build/event.js';
import { idsOfLine } from '../../../src/transforms/build/ids.js';
import { classifyRequest } from '../../../src/transforms/classify/classify.js';
import { createKnownValidCheck, SCHEMA_DIGEST } from '../../../src/transforms/validate/known-valid.js';
import { createEventValidator, EVENT_SCHEMA_PATH, schemaDigest } from '../../../src/transforms/validate/validate.js';
import { testKey } from '../redact/test-key.js';

const RAW = join(import.meta.dirname, '../../../fixtures/raw');
const lines = ['key-protect.ndjson', 'secrets-manager.ndjson'].flatMap((f) => readFileSync(join(RAW, f), 'utf8').trim().split('\n'));
const { pipelines } = prepareTransform({ key: testKey });
const schema = JSON.parse(readFileSync(EVENT_SCHEMA_PATH, 'utf8')) as object;
const ajvValidate = new Ajv({ allErrors: true, strict: false }).compile(schema);

type Doc = Record<string, unknown>;

function builtEvents(): Doc[] {
  const out: Doc[] = [];
  lines.forEach((line, i) => {
    const c = classifyRequest(JSON.parse(line) as Doc, pipelines, false);
    if (c.kind !== 'classified') return;
    out.push(buildRequestEvent(c, idsOfLine(line), { source: 's', line: i + 1, format: 'service-log', keyId: testKey.id }) as unknown as Doc);
  });
  return out;
}

/** Every path of the schema's properties, objects included (`initiator`, `initiator.host`, ...). */
function schemaPaths(node: { properties?: Record<string, object> }, prefix: string[] = []): string[][] {
  return Object.entries(node.properties ?? {}).flatMap(([key, child]) => [[...prefix, key], ...schemaPaths(child, [...prefix, key])]);
}
const PATHS = schemaPaths(schema as { properties: Record<string, object> });

/** Values that break one constraint or another of the schema, and some that keep it. */
const VALUES: unknown[] = [
  undefined,
  null,
  '',
  'x',
  'A',
  'kms.secrets.read',
  'kms.secrets',
  'Kms.secrets.read',
  '2025-11-21T00:00:00.123+0000',
  '2025-11-21T00:00:00.123Z',
  '2025-11-21T00:00:00Z',
  '2025-11-21T00:00:00.1234567890Z',
  '2025-11-21T00:00:00.12x+0000',
  '2025-11-21T00:00:00.123+00000',
  '２025-11-21T00:00:00.123Z',
  'crn:v1:bluemix:public:kms:us-south:a/1:2::',
  'crn:v1:bluemix:private:kms:us-south:a/1:2::',
  'service/security/account/user',
  'kms/secrets',
  '/kms/secrets/x',
  'kms',
  'us-south',
  'US-South',
  'success',
  'failure',
  'pending',
  'normal',
  'critical',
  'ActivityTracker',
  'token',
  'IPv4',
  '\ud800',
  0,
  1,
  -1,
  99,
  100,
  599,
  600,
  1.5,
  -0,
  Number.NaN,
  Number.POSITIVE_INFINITY,
  true,
  false,
  [],
  ['x'],
  {},
  { name: 'ActivityTracker' },
];

function withValueAt(event: Doc, path: string[], value: unknown): Doc {
  const copy = structuredClone(event);
  let cur: Doc = copy;
  for (const key of path.slice(0, -1)) {
    const next = cur[key];
    if (typeof next !== 'object' || next === null) return copy;
    cur = next as Doc;
  }
  const last = path[path.length - 1]!;
  if (value === undefined) delete cur[last];
  else cur[last] = value;
  return copy;
}

describe('the known-valid check before the schema validator', () => {
  it('is written for the bundled schema: a change to the schema must be made in known-valid.ts too', () => {
    expect(schemaDigest(schema)).toBe(SCHEMA_DIGEST);
  });

  it('accepts the built events of the fixtures, which the schema accepts', () => {
    const isKnownValid = createKnownValidCheck();
    const events = builtEvents();
    expect(events.length).toBeGreaterThan(50);
    for (const e of events) {
      expect(ajvValidate(e)).toBe(true);
      expect(isKnownValid(e)).toBe(true);
    }
  });

  it('accepts only events the schema accepts, and the validator words every refusal as the schema validator alone does', () => {
    const events = builtEvents();
    const isKnownValid = createKnownValidCheck();
    const validate = createEventValidator();
    // The same schema under another digest: the schema validator alone.
    const otherDigest = join(mkdtempSync(join(tmpdir(), 'auditline-schema-')), 'schema.json');
    writeFileSync(otherDigest, JSON.stringify({ ...schema, $comment: 'no known-valid check' }));
    const alone = createEventValidator(otherDigest);
    let refused = 0;
    let accepted = 0;
    fc.assert(
      fc.property(
        fc.nat(events.length - 1),
        fc.array(fc.tuple(fc.constantFrom(...PATHS), fc.constantFrom(...VALUES)), { minLength: 1, maxLength: 3 }),
        (i, changes) => {
          let event = events[i]!;
          for (const [path, value] of changes) event = withValueAt(event, path, value);
          const valid = ajvValidate(event);
          if (isKnownValid(event)) {
            expect(valid).toBe(true);
            accepted++;
          }
          if (!valid) refused++;
          const answer = validate(event);
          expect(answer === undefined).toBe(valid);
          if (!valid) expect(answer).toBe(alone(event));
        },
      ),
      { numRuns: 20_000 },
    );
    expect(refused).toBeGreaterThan(1000);
    expect(accepted).toBeGreaterThan(1000);
  });
});
