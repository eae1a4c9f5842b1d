import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { classifyRequest, withoutPort } from '../../../src/transforms/classify/classify.js';
import { loadPipelines } from '../../../src/transforms/classify/compile-pipeline.js';

const pipelines = loadPipelines();

function record(host: string): Record<string, unknown> {
  return {
    time: 1763683200000,
    req: { method: 'GET', url: '/api/v2/keys', headers: { host } },
    res: { statusCode: 200 },
  };
}

/** A classification without its query parser (a closure per call, never equal to another). */
function withoutQuery(c: ReturnType<typeof classifyRequest>): unknown {
  return c.kind === 'classified' ? { ...c, facts: { ...c.facts, query: undefined } } : c;
}

describe('classifyRequest host matching', () => {
  it('drops a port and the case of the Host header before matching', () => {
    for (const host of ['eu-de.kms.cloud.ibm.com', 'EU-DE.kms.cloud.ibm.com:443', 'eu-de.kms.cloud.ibm.com:8443']) {
      const c = classifyRequest(record(host), pipelines, false);
      expect(c.kind, host).toBe('classified');
      if (c.kind === 'classified') expect(c.facts.location).toBe('eu-de');
    }
  });

  it('classifies a host seen before as it did the first time, past the number of hosts it remembers too', () => {
    const hosts = fc.sample(
      fc.oneof(
        fc.constantFrom('eu-de', 'us-south', 'jp-tok', 'EU-DE', 'nowhere').map((l) => `${l}.kms.cloud.ibm.com`),
        fc.tuple(fc.uuid(), fc.constantFrom('eu-de', 'us-south')).map(([id, l]) => `${id}.${l}.secrets-manager.appdomain.cloud`),
        fc.tuple(fc.string(), fc.constantFrom('', ':443', ':x')).map(([h, port]) => `${h}${port}`),
      ),
      { numRuns: 1500, seed: 18 },
    );
    for (const round of [1, 2]) {
      for (const host of hosts) {
        // A copy of the list made here has nothing remembered yet: the reference.
        expect(withoutQuery(classifyRequest(record(host), pipelines, false)), `${host} (round ${round})`).toEqual(
          withoutQuery(classifyRequest(record(host), [...pipelines], false)),
        );
      }
    }
  });

  it('keeps a colon without digits (not a port)', () => {
    expect(classifyRequest(record('eu-de.kms.cloud.ibm.com:'), pipelines, false)).toMatchObject({ kind: 'reject', code: 'no_pipeline' });
  });

  it('strips exactly what /:\\d+$/ strips', () => {
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom(...'ab.:0129[]\n') }), (host) => {
        expect(withoutPort(host)).toBe(host.replace(/:\d+$/, ''));
      }),
      { numRuns: 5000 },
    );
  });
});
