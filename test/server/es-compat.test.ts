import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bulkAnswer, parseBulk, rawRecordOf } from '../../src/server/bulk.js';
import { BEARER, fixtureLines, startTestServer, type TestServer } from './helpers.js';

// One server for the suite; its folder outlives each test (tempDir's are removed after every test).
let server: TestServer;
const dir = mkdtempSync(join(tmpdir(), 'auditline-es-compat-'));
beforeAll(async () => {
  server = await startTestServer({ dir });
});
afterAll(async () => {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

const call = (method: string, path: string, body?: string, headers: Record<string, string> = {}) =>
  fetch(`${server.url}${path}`, { method, headers: { ...BEARER, ...headers }, body });

describe('the Elasticsearch-compatible receiver as shippers probe it', () => {
  it('answers the start-up calls of Logstash, Filebeat, Vector and rsyslog with the product header', async () => {
    for (const [method, path] of [
      ['GET', '/'],
      ['HEAD', '/'],
      ['GET', '/_license?human=false'],
      ['GET', '/_xpack'],
      ['GET', '/_cluster/health'],
      ['GET', '/_cat/health'],
      ['HEAD', '/_index_template/logs'],
      ['PUT', '/_index_template/logs'],
      ['GET', '/_ilm/policy/logs'],
      ['PUT', '/_ilm/policy/logs'],
      ['GET', '/_data_stream/logs-generic-default'],
      ['PUT', '/_data_stream/logs-generic-default'],
      ['HEAD', '/_component_template/x'],
      ['HEAD', '/logstash'],
      ['PUT', '/logstash-000001'],
      ['POST', '/logs/_refresh'],
    ] as const) {
      const r = await call(method, path);
      expect(r.status, `${method} ${path}`).toBe(200);
      expect(r.headers.get('x-elastic-product'), `${method} ${path}`).toBe('Elasticsearch');
      expect(r.headers.get('content-type'), `${method} ${path}`).toBe('application/json');
    }
    const info = (await (await call('GET', '/')).json()) as { version: { number: string; build_flavor: string }; tagline: string; cluster_uuid: string };
    expect(info.version).toMatchObject({ number: '8.19.0', build_flavor: 'default' });
    expect(info.tagline).toBe('You Know, for Search');
    expect(info.cluster_uuid).toMatch(/^[\w-]{22}$/);
    expect(((await (await call('GET', '/_license')).json()) as { license: { status: string } }).license.status).toBe('active');
  });

  it('accepts no POST it does not process', async () => {
    for (const path of ['/logs', '/_index_template/logs', '/logs/_search', '/_anything']) {
      const r = await call('POST', path, '{}');
      expect(r.status, path).toBe(404);
      expect(r.headers.get('x-elastic-product')).toBe('Elasticsearch');
    }
  });

  it('answers a bulk compactly, errors right before items, one item per action keyed by its action', async () => {
    const [line] = fixtureLines('key-protect.ndjson');
    const body = `{"index":{"_index":"a","_type":"_doc","pipeline":"p"}}\n${line}\n{"create":{"_id":"x1"}}\nnot json\n{"update":{"_id":"u"}}\n{"doc":{}}\n{"delete":{"_id":"d"}}\n`;
    const r = await call('PUT', '/logs/_bulk?filter_path=errors,items.*.error,items.*.status&timeout=60s&refresh=true', body, {
      'content-type': 'application/vnd.elasticsearch+x-ndjson; compatible-with=9',
    });
    expect(r.status).toBe(200);
    const text = await r.text();
    expect(text).toMatch(/^\{"took":\d+,"errors":true,"items":\[/);
    expect(JSON.stringify(JSON.parse(text))).toBe(text);
    const items = (JSON.parse(text) as { items: Record<string, { status: number; _index: string; _id?: string; error?: { type: string } }>[] }).items;
    expect(items.map((i) => Object.keys(i)[0])).toEqual(['index', 'create', 'update', 'delete']);
    expect(items[0]!.index).toMatchObject({ _index: 'a', status: 201 });
    expect(items[1]!.create).toMatchObject({ _index: 'logs', _id: 'x1', status: 400, error: { type: 'malformed_json' } });
    expect(items[2]!.update!.status).toBe(400);
    expect(items[3]!.delete!.status).toBe(400);
    // Sent again: the stored line is 200 (already stored), never 409.
    const again = (await (await call('POST', '/logs/_bulk', body)).json()) as { items: Record<string, { status: number }>[] };
    expect(again.items[0]!.index!.status).toBe(200);
  });

  it('takes one document at a time as rsyslog does without bulk mode', async () => {
    const line = fixtureLines('secrets-manager.ndjson')[5]!;
    const first = await call('POST', '/syslog/_doc', line, { 'content-type': 'application/json; charset=utf-8' });
    expect(first.status).toBe(201);
    expect(await first.json()).not.toHaveProperty('status');
    expect((await call('POST', '/syslog/_doc', line)).status).toBe(200);
    const bad = await call('POST', '/syslog/_doc', '{"hello":"world"}');
    expect(bad.status).toBe(400);
  });

  it('refuses a malformed action line for the whole request, as Elasticsearch does', async () => {
    expect((await call('POST', '/_bulk', '{"index":{"_index":"a"}}\n{}\nnot an action\n{}\n')).status).toBe(400);
    expect((await call('POST', '/_bulk', '{"index":{}}\n{}\n')).status).toBe(400);
  });
});

describe('bulk bodies, purely', () => {
  it('numbers documents in order, skipping refused actions', () => {
    const parsed = parseBulk('{"create":{}}\n{"a":1}\r\n\n{"delete":{}}\n{"index":{"_index":"b"}}\n\n', 'logs');
    expect(parsed.docs).toEqual(['{"a":1}', '']);
    expect(parsed.actions).toEqual([
      { op: 'create', index: 'logs', line: 1 },
      { op: 'delete', index: 'logs' },
      { op: 'index', index: 'b', line: 2 },
    ]);
    expect(bulkAnswer(parsed.actions, [{ status: 'indexed', eventId: 'e-1' }, { status: 'filtered' }], 3)).toBe(
      '{"took":3,"errors":true,"items":[{"create":{"_index":"logs","_id":"e-1","status":201,"result":"created"}},{"delete":{"_index":"logs","status":400,"error":{"type":"action_request_validation_exception","reason":"audit events are immutable: delete is not supported"}}},{"index":{"_index":"b","status":200,"result":"noop"}}]}',
    );
  });

  it('takes the raw record out of a shipper envelope, so it gets the id a file line gets', () => {
    const raw = '{"req":{"method":"GET"},"time":1}';
    expect(rawRecordOf(JSON.stringify({ '@timestamp': 'x', message: raw, host: { name: 'h' } }))).toBe(raw);
    expect(rawRecordOf(JSON.stringify({ log: `${raw}\n`, stream: 'stdout' }))).toBe(raw);
    expect(rawRecordOf(JSON.stringify({ message: 'plain text' }))).toBe(JSON.stringify({ message: 'plain text' }));
    expect(rawRecordOf(raw)).toBe(raw);
  });
});
