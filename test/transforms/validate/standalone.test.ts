import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { eventValidatorFromSource } from '../../../src/transforms/validate/standalone.js';
import { createEventValidator, eventValidatorSource } from '../../../src/transforms/validate/validate.js';

const EXPECTED = join(import.meta.dirname, '../../../fixtures/expected');
const EVENTS = readdirSync(EXPECTED).flatMap((f) =>
  readFileSync(join(EXPECTED, f), 'utf8')
    .trim()
    .split('\n')
    .flatMap((l) => {
      const o = JSON.parse(l) as { event?: Record<string, unknown> };
      return o.event ? [o.event] : [];
    }),
);

/** `value` written at a path of `event` made of the keys it has (or one it lacks), on a copy. */
function mutate(event: Record<string, unknown>, steps: number[], value: unknown, remove: boolean): Record<string, unknown> {
  const copy = structuredClone(event);
  let at: Record<string, unknown> = copy;
  for (let i = 0; i < steps.length; i++) {
    const keys = [...Object.keys(at), 'extraKey'];
    const key = keys[steps[i]! % keys.length]!;
    const next = at[key];
    if (i === steps.length - 1 || typeof next !== 'object' || next === null) {
      if (remove) delete at[key];
      else at[key] = value;
      break;
    }
    at = next as Record<string, unknown>;
  }
  return copy;
}

describe('the event validator from standalone code (worker threads)', () => {
  const compiled = createEventValidator();
  const standalone = eventValidatorFromSource(eventValidatorSource());

  it('accepts the fixtures’ events, as the compiled one does', () => {
    expect(EVENTS.length).toBeGreaterThan(100);
    for (const e of EVENTS) {
      expect(compiled(e)).toBeUndefined();
      expect(standalone(e)).toBeUndefined();
    }
  });

  it('gives the same verdict and error text as the compiled one for events changed anywhere', () => {
    let invalid = 0;
    fc.assert(
      fc.property(
        fc.nat(EVENTS.length - 1),
        fc.array(fc.nat(), { minLength: 1, maxLength: 4 }),
        fc.oneof(fc.jsonValue(), fc.constantFrom('', 'x', -1, 1e20, 'crn:v1:x', 'failure', '2026-13-01T00:00:00.000+0000')),
        fc.boolean(),
        (i, steps, value, remove) => {
          const e = mutate(EVENTS[i]!, steps, value, remove);
          const verdict = compiled(e);
          if (verdict !== undefined) invalid++;
          expect(standalone(e)).toBe(verdict);
        },
      ),
      { numRuns: 2000 },
    );
    expect(invalid).toBeGreaterThan(200);
  });
});
