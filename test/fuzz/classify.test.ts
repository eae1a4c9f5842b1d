import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { REJECT_CODES } from '../../src/model/records.js';
import { classifyRequest, type ClassifyResult } from '../../src/transforms/classify/classify.js';
import { loadPipelines } from '../../src/transforms/classify/compile-pipeline.js';
import { REAL } from '../hostile/cases.js';
import { fuzzParams } from './runs.js';

const pipelines = loadPipelines();
const base = JSON.parse(REAL.find((l) => l.includes('"GET"') && l.includes('/api/v2/keys/'))!) as {
  req: Record<string, unknown> & { headers: Record<string, unknown> };
};

function record(method: unknown, url: unknown, host: unknown = base.req.headers.host, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { ...base, ...extra, req: { ...base.req, method, url, headers: { ...base.req.headers, host } } };
}

/** What a result says, without the compiled pipeline object (compared across calls). */
function summary(r: ClassifyResult): unknown {
  if (r.kind === 'classified') return { kind: r.kind, action: r.action, pipeline: r.pipeline.name, time: r.time, path: r.facts.path, status: r.facts.status };
  return r;
}

/** A path parameter as clients send it: anything but a slash, a query mark, a fragment or a percent sign. */
const param = fc.string({ unit: fc.constantFrom(..."abcdefghijklmnopqrstuvwxyz0123456789-_.~:@!$&'()*+,;="), minLength: 1, maxLength: 40 });

describe('the classifier (property)', () => {
  it('routes a key path to its action whatever the key id, and ignores the query string and the case of the method', () => {
    fc.assert(
      fc.property(param, fc.constantFrom('GET', 'get', 'Get'), fc.option(fc.string({ maxLength: 20 }), { nil: undefined }), (id, method, q) => {
        const query = q === undefined ? '' : `?x=${encodeURIComponent(q)}`;
        const read = classifyRequest(record(method, `/api/v2/keys/${id}${query}`), pipelines, false);
        const metadata = classifyRequest(record(method, `/api/v2/keys/${id}/metadata${query}`), pipelines, false);
        // `registrations` is a static route of its own, which beats the parameter.
        if (id === 'registrations') return;
        expect(read.kind === 'classified' && read.action).toBe('kms.secrets.read');
        expect(metadata.kind === 'classified' && metadata.action).toBe('kms.secrets-metadata.read');
      }),
      fuzzParams(400),
    );
  });

  it('classifies anything in method, URL, host and status to a route, a reject with a known code or a filter; the same way twice, and the host port and case change nothing', () => {
    const value = fc.oneof(fc.string({ maxLength: 60 }), fc.jsonValue(), fc.constant(undefined));
    const url = fc.oneof(
      value,
      fc
        .array(fc.oneof(param, fc.constantFrom('api', 'v2', 'keys', 'key_rings', 'actions', 'unwrap', '', '..', '%2F', '*')), { maxLength: 7 })
        .map((s) => `/${s.join('/')}`),
    );
    const host = fc.oneof(
      value,
      fc.constantFrom('us-south.kms.cloud.ibm.com', 'private.eu-de.kms.cloud.ibm.com', 'eu-gb.secrets-manager.appdomain.cloud', 'x'),
    );
    const status = fc.oneof(fc.integer({ min: -10, max: 1000 }), value);
    fc.assert(
      fc.property(fc.oneof(fc.constantFrom('GET', 'POST', 'DELETE', 'PATCH', 'PUT', 'HEAD'), value), url, host, status, (m, u, h, s) => {
        const r = record(m, u, h, { statusCode: s });
        const first = classifyRequest(r, pipelines, false);
        expect(['classified', 'reject', 'filtered']).toContain(first.kind);
        if (first.kind === 'reject') expect(Object.keys(REJECT_CODES)).toContain(first.code);
        expect(summary(classifyRequest(r, pipelines, false))).toEqual(summary(first));
        if (typeof h === 'string' && h !== '' && !/:\d+$/.test(h)) {
          expect(summary(classifyRequest(record(m, u, `${h.toUpperCase()}:443`, { statusCode: s }), pipelines, false))).toEqual(summary(first));
        }
      }),
      fuzzParams(500),
    );
  });
});
