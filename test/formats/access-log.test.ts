import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { BUNDLED_PIPELINES_DIR, parsePipeline } from '../../src/config/load-pipeline.js';
import { accessCombined } from '../../src/formats/access-log/index.js';
import { parseCombinedLine, parseEnvoyLine, parseTimeLocal } from '../../src/formats/access-log/parse.js';
import { isTextFormat } from '../../src/formats/format.js';
import { parseLine } from '../../src/formats/parse-line.js';
import { formatByName, JSON_FORMATS, TEXT_FORMATS } from '../../src/formats/registry.js';
import { idsOfLine } from '../../src/transforms/build/ids.js';
import { compilePipeline } from '../../src/transforms/classify/compile-pipeline.js';

describe('text access logs', () => {
  it('reads an nginx combined line, basic-auth user and offset included', () => {
    const f = parseCombinedLine(
      '203.0.113.7 - ops-bot [20/Nov/2025:17:01:20 -0700] "DELETE /api/v2/keys/k1?force=true HTTP/1.1" 403 88 "https://cloud.ibm.com/" "curl/8.7.1"',
    );
    expect(f).toEqual({
      time: Date.parse('2025-11-21T00:01:20Z'),
      method: 'DELETE',
      url: '/api/v2/keys/k1?force=true',
      status: 403,
      remoteAddress: '203.0.113.7',
      userAgent: 'curl/8.7.1',
      initiator: { id: 'ops-bot', name: 'ops-bot', type: 'user' },
    });
  });

  it('reads Apache common lines, escaped quotes and fields appended after the agent', () => {
    expect(parseCombinedLine('192.0.2.33 - - [21/Nov/2025:00:01:21 +0000] "GET /api/v2/keys HTTP/1.0" 200 4096')?.url).toBe('/api/v2/keys');
    const f = parseCombinedLine('192.0.2.33 - - [21/Nov/2025:00:01:21 +0000] "GET /a HTTP/1.1" 200 1 "-" "agent \\"quoted\\" x" "10.0.0.1" 0.004');
    expect(f?.userAgent).toBe('agent \\"quoted\\" x');
  });

  it('leaves method and URL out when the request line is "-" (a 400 before any request)', () => {
    expect(parseCombinedLine('203.0.113.9 - - [21/Nov/2025:00:01:19 +0000] "-" 400 0 "-" "-"')).toMatchObject({ method: '', url: '', status: 400 });
  });

  it('reads the Envoy default format: authority as host, first X-Forwarded-For address as client', () => {
    const f = parseEnvoyLine(
      '[2025-11-21T00:02:01.000Z] "DELETE /api/v2/secrets/s1 HTTP/2" 204 - 0 0 30 29 "198.51.100.20, 10.0.0.1" "sdk/2" "rid-1" "inst.eu-de.secrets-manager.appdomain.cloud" "10.1.2.4:8443"',
    );
    expect(f).toEqual({
      time: Date.parse('2025-11-21T00:02:01Z'),
      method: 'DELETE',
      url: '/api/v2/secrets/s1',
      status: 204,
      host: 'inst.eu-de.secrets-manager.appdomain.cloud',
      remoteAddress: '198.51.100.20',
      userAgent: 'sdk/2',
      requestId: 'rid-1',
    });
  });

  it('refuses lines of other shapes and impossible times', () => {
    expect(parseCombinedLine('this is not a log line')).toBeUndefined();
    expect(parseEnvoyLine('203.0.113.9 - - [21/Nov/2025:00:01:19 +0000] "GET / HTTP/1.1" 200 1')).toBeUndefined();
    expect(parseTimeLocal('31/Feb/2025:00:00:00 +0000')).toBeUndefined();
  });
});

describe('parseLine', () => {
  it('takes JSON objects on the fast path and offers other lines to the text formats', () => {
    expect(parseLine('{"a":1}', undefined)).toEqual({ kind: 'record', record: { a: 1 } });
    const text = parseLine('[2025-11-21T00:02:00.250Z] "GET /api/v2/keys HTTP/1.1" 200 - 0 1 2 1 "-" "-" "-" "h" "-"', undefined);
    expect(text.kind === 'record' && text.format?.name).toBe('access-envoy');
  });

  it('still refuses what is neither, with the JSON reason', () => {
    expect(parseLine('[1,2]', undefined)).toMatchObject({ kind: 'reject', code: 'not_an_object' });
    expect(parseLine('garbage', undefined)).toMatchObject({ kind: 'reject', code: 'malformed_json' });
  });

  it('with --format naming a text format, tries that format only', () => {
    const combined = formatByName('access-combined')!;
    expect(parseLine('{"a":1}', combined)).toMatchObject({ kind: 'reject', code: 'unsupported_format' });
    expect(parseLine('1.2.3.4 - - [21/Nov/2025:00:01:19 +0000] "GET / HTTP/1.1" 200 1', combined)).toMatchObject({ kind: 'record' });
  });

  it('lists the access logs as text formats, which JSON detection never picks', () => {
    expect(TEXT_FORMATS.map((f) => f.name)).toEqual(['access-combined', 'access-envoy']);
    expect(TEXT_FORMATS.every((f) => isTextFormat(f))).toBe(true);
    expect(JSON_FORMATS.some((f) => isTextFormat(f))).toBe(false);
  });

  it('with --format naming a JSON format, does not try text formats', () => {
    const line = '1.2.3.4 - - [21/Nov/2025:00:01:19 +0000] "GET / HTTP/1.1" 200 1';
    expect(parseLine(line, formatByName('activity-tracker'))).toMatchObject({ kind: 'reject', code: 'malformed_json' });
  });
});

describe('pipeline defaults for inputs without identity', () => {
  it('fill instance, account and initiator when an access log lacks them, and the schema refuses unknown keys', () => {
    const text = readFileSync(`${BUNDLED_PIPELINES_DIR}/key-protect.yaml`, 'utf8').replace(
      'input: pino-http\n',
      'input: pino-http\ndefaults: { instance: 75539f09-f989-43f0-80fd-c1e6578e3ca2, account: b2e5a2a1c0d94f1e8a7b3c6d5e4f3a21, initiatorId: iam-ServiceId-gw, initiatorName: api-gateway, principalType: serviceid }\n',
    );
    const pipeline = compilePipeline(parsePipeline(text, 'kp.yaml'));
    const record = accessCombined.parseText('203.0.113.7 - - [21/Nov/2025:00:01:16 +0000] "GET /api/v2/keys HTTP/1.1" 200 512 "-" "curl/8"')!;
    const r = accessCombined.toEvent(record, { pipelines: [pipeline], forcedPipeline: false, source: 's', line: 1, ids: idsOfLine('l'), keyId: undefined });
    expect(r.kind === 'event' && [r.event.logSourceCRN, r.event.initiator.id, r.event.initiator.name, r.event.initiator.typeURI]).toEqual([
      'crn:v1:bluemix:public:kms:us-south:a/b2e5a2a1c0d94f1e8a7b3c6d5e4f3a21:75539f09-f989-43f0-80fd-c1e6578e3ca2::',
      'iam-ServiceId-gw',
      'api-gateway',
      'service/security/account/serviceid',
    ]);
    expect(() => parsePipeline(text.replace('principalType: serviceid', 'principal: serviceid'), 'kp.yaml')).toThrow(/unknown key "principal"/);
    expect(() => parsePipeline(text.replace('input: pino-http\n', 'input: pino-http\nkind: syslog\n'), 'kp.yaml')).toThrow(/allowed: http, vault-audit/);
  });
});
