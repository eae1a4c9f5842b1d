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

describe('classifyRequest host matching', () => {
  it('drops a port and the case of the Host header before matching', () => {
    for (const host of ['eu-de.kms.cloud.ibm.com', 'EU-DE.kms.cloud.ibm.com:443', 'eu-de.kms.cloud.ibm.com:8443']) {
      const c = classifyRequest(record(host), pipelines, false);
      expect(c.kind, host).toBe('classified');
      if (c.kind === 'classified') expect(c.facts.location).toBe('eu-de');
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
