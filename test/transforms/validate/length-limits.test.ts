import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import { describe, expect, it, vi } from 'vitest';
import { describeErrors } from '../../../src/transforms/validate/describe.js';
import { eventValidatorFromSource } from '../../../src/transforms/validate/standalone.js';
import { ajvOptions, createEventValidator, EVENT_SCHEMA_PATH, eventValidatorSource } from '../../../src/transforms/validate/validate.js';

const EXPECTED = join(import.meta.dirname, '../../../fixtures/expected');
const EVENT = readdirSync(EXPECTED)
  .flatMap((f) => readFileSync(join(EXPECTED, f), 'utf8').trim().split('\n'))
  .map((l) => JSON.parse(l) as { event?: Record<string, unknown> })
  .find((o) => o.event !== undefined)!.event!;
const SCHEMA = JSON.parse(readFileSync(EVENT_SCHEMA_PATH, 'utf8')) as object;

/** The schema's `minLength` fields, as paths into an event. */
const MIN_LENGTH_PATHS = [['id'], ['message'], ['correlationId'], ['target', 'id'], ['reason', 'reasonType'], ['service']];
/** Empty, one astral character (two UTF-16 units, one code point), a lone surrogate, plain text. */
const VALUES = ['', '\u{1F600}', '\uD800', 'x', '\u{1F600}\u{1F600}'];

function withValue(path: string[], value: string): Record<string, unknown> {
  const copy = structuredClone(EVENT);
  let at = copy;
  for (const key of path.slice(0, -1)) at = at[key] as Record<string, unknown>;
  at[path.at(-1)!] = value;
  return copy;
}

function schemaFile(schema: object): string {
  const path = join(mkdtempSync(join(tmpdir(), 'auditline-schema-')), 'schema.json');
  writeFileSync(path, JSON.stringify(schema));
  return path;
}

describe('string lengths in the event validator', () => {
  it('reads .length for the event schema, whose only length limits are minLength 1', () => {
    expect(ajvOptions(SCHEMA)).toMatchObject({ unicode: false });
    expect(MIN_LENGTH_PATHS).toHaveLength((JSON.stringify(SCHEMA).match(/"minLength":1/g) ?? []).length);
  });

  it('gives the verdicts and error texts of code-point counting at every minLength field', () => {
    const counting = new Ajv({ allErrors: true, strict: false }).compile(SCHEMA);
    const reference = (e: unknown) => (counting(e) ? undefined : describeErrors(counting.errors ?? []));
    const compiled = createEventValidator();
    const standalone = eventValidatorFromSource(eventValidatorSource());
    let invalid = 0;
    for (const path of MIN_LENGTH_PATHS) {
      for (const value of VALUES) {
        const e = withValue(path, value);
        const expected = reference(e);
        if (expected !== undefined) invalid++;
        expect(compiled(e)).toBe(expected);
        expect(standalone(e)).toBe(expected);
      }
    }
    expect(invalid).toBe(MIN_LENGTH_PATHS.length);
  });

  it('keeps counting code points when a schema limits lengths otherwise', () => {
    expect(ajvOptions({ type: 'string', minLength: 2 })).not.toHaveProperty('unicode');
    expect(ajvOptions({ properties: { a: { type: 'string', maxLength: 1 } } })).not.toHaveProperty('unicode');
    const atLeastTwo = createEventValidator(schemaFile({ type: 'string', minLength: 2 }));
    expect(atLeastTwo('\u{1F600}')).toMatch(/fewer than 2 characters/);
    const atMostOne = createEventValidator(schemaFile({ type: 'string', maxLength: 1 }));
    expect(atMostOne('\u{1F600}')).toBeUndefined();
  });

  it('prints no warning about the option it sets', () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    try {
      createEventValidator();
      eventValidatorSource();
      expect(warn).not.toHaveBeenCalled();
    } finally {
      warn.mockRestore();
    }
  });
});
