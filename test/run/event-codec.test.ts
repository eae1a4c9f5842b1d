import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { StoredEvent } from '../../src/model/records.js';
import { packEvents, transferablesOf, unpackEvents } from '../../src/run/event-codec.js';

const str = fc.string({ unit: 'binary', maxLength: 30 });
const event: fc.Arbitrary<StoredEvent> = fc.record({
  id: fc.uuid(),
  location: str,
  service: str,
  time: fc.integer({ min: 0, max: 4102444800000 }),
  action: str,
  outcome: str,
  severity: str,
  initiatorId: str,
  initiatorName: str,
  sourceAddress: fc.option(str, { nil: null }),
  targetId: str,
  targetTypeURI: str,
  correlationId: fc.option(str, { nil: null }),
  reasonCode: fc.integer({ min: 0, max: 599 }),
  dataEvent: fc.boolean(),
  source: str,
  line: fc.nat(),
  json: fc.json(),
});

describe('event codec (worker → main thread)', () => {
  it('gives back every field of every event, nulls and empty strings apart', () => {
    fc.assert(
      fc.property(fc.array(event, { maxLength: 20 }), (events) => {
        const packed = structuredClone(packEvents(events));
        expect(unpackEvents(packed)).toEqual(events);
      }),
      { numRuns: 300 },
    );
  });

  it('gives back values repeated across events and fields, each event its own', () => {
    const few = fc.constantFrom('us-east', 'eu-de', '', 'é😀', 'us-east\u0000');
    const repeating = event.chain((e) =>
      fc
        .record({
          location: few,
          action: few,
          outcome: few,
          severity: few,
          service: few,
          initiatorId: few,
          initiatorName: few,
          targetTypeURI: few,
          source: few,
        })
        .map((r) => ({ ...e, ...r })),
    );
    fc.assert(
      fc.property(fc.array(repeating, { maxLength: 40 }), (events) => {
        const packed = structuredClone(packEvents(events));
        expect(packed.values.length).toBeLessThanOrEqual(5);
        expect(unpackEvents(packed)).toEqual(events);
      }),
      { numRuns: 200 },
    );
  });

  it('gives back documents of any characters, ASCII or not, in batches of any size', () => {
    const [e] = fc.sample(event, { numRuns: 1, seed: 2 });
    const docs = ['{"a":"plain"}', '{"a":"é€"}', '{"a":"😀"}', '', `{"a":"${'x'.repeat(5000)}"}`, `{"a":"${'ü'.repeat(3000)}"}`];
    for (const pick of [[0], [0, 4, 0], [1], [0, 0, 2], [5, 4, 1, 3], Array.from({ length: 300 }, (_, i) => (i * 7) % docs.length)]) {
      const events = pick.map((d, line) => ({ ...e!, line, json: docs[d]! }));
      const packed = packEvents(events);
      expect(packed.docsAscii).toBe(pick.every((d) => d === 0 || d === 3 || d === 4));
      expect(unpackEvents(structuredClone(packed, { transfer: transferablesOf(packed) }))).toEqual(events);
    }
  });

  it('keeps null and empty string distinct', () => {
    const [e] = fc.sample(event, { numRuns: 1, seed: 1 });
    const events = [{ ...e!, sourceAddress: null, correlationId: '' }];
    const back = unpackEvents(packEvents(events))[0]!;
    expect(back.sourceAddress).toBeNull();
    expect(back.correlationId).toBe('');
  });
});
