import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BEARER, startTestServer, type TestServer } from '../server/helpers.js';
import { cliSearch, HOSTILE_ID, ingest, PAGE_BUILT, pageLines, SECRET_IDS, TRACE_ID, TRACE_IDS } from './fixture.js';

/** The routes the analysts' page reads, and how serve hands out the page itself, checked without a browser. */

let server: TestServer;
let stored = 0;

beforeAll(async () => {
  server = await startTestServer({ dir: mkdtempSync(join(tmpdir(), 'auditline-ui-routes-')) });
  stored = await ingest(server.url, pageLines());
}, 30_000);

afterAll(async () => {
  await server?.close();
  rmSync(server.dir, { recursive: true, force: true });
});

const get = (path: string, headers: Record<string, string> = BEARER) => fetch(`${server.url}${path}`, { headers });
const post = (path: string, body: unknown) =>
  fetch(`${server.url}${path}`, { method: 'POST', headers: { ...BEARER, 'content-type': 'application/json' }, body: JSON.stringify(body) });
const allEvents = async () =>
  (await (await get('/api/events')).text())
    .trimEnd()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, unknown> & { id: string; action: string; outcome: string });

describe('the page', () => {
  it.skipIf(!PAGE_BUILT)('is served at / to a browser without credentials, with a CSP that allows only this server and no inline code', async () => {
    const res = await get('/', { accept: 'text/html,application/xhtml+xml' });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
    const csp = res.headers.get('content-security-policy')!;
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain('unsafe-inline');
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('referrer-policy')).toBe('no-referrer');
    const html = await res.text();
    const script = /<script type="module" crossorigin src="(\/assets\/[^"]+\.js)">/.exec(html)?.[1];
    expect(script).toBeDefined();
    // No inline script or style anywhere in the document.
    expect(html.replace(/<script[^>]*src="[^"]+"[^>]*><\/script>/g, '')).not.toMatch(/<script|<style|style=/);
    const js = await get(script!, {});
    expect(js.status).toBe(200);
    expect(js.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
  });

  it("leaves GET / to shippers and clients that do not ask for HTML: the cluster's info, with credentials", async () => {
    expect((await get('/', { accept: 'application/json' })).status).toBe(401);
    const info = (await (await get('/')).json()) as { tagline: string };
    expect(info.tagline).toBe('You Know, for Search');
  });

  it('keeps every new route behind the token', async () => {
    for (const path of ['/api/store', '/api/overview', `/api/events/${HOSTILE_ID}`, `/api/fingerprints/hmac-sha256:${'0'.repeat(64)}/events`]) {
      expect((await get(path, {})).status, path).toBe(401);
    }
    expect((await fetch(`${server.url}/api/searches/key-timeline/page`, { method: 'POST', body: '{}' })).status).toBe(401);
  });
});

describe('query routes of the page', () => {
  it("count the store's events, failures and top actions as the events themselves do", async () => {
    const events = await allEvents();
    expect(events).toHaveLength(stored);
    const o = (await (await get('/api/overview')).json()) as {
      total: number;
      failures: number;
      series: { counts: number[] }[];
      topActions: { action: string; count: number }[];
      findings: number;
    };
    expect(o.total).toBe(stored);
    expect(o.failures).toBe(events.filter((e) => e.outcome === 'failure').length);
    expect(o.series.flatMap((s) => s.counts).reduce((a, b) => a + b, 0)).toBe(stored);
    const top = o.topActions[0]!;
    expect(top.count).toBe(events.filter((e) => e.action === top.action).length);
    expect(Math.max(...new Set(events.map((e) => events.filter((x) => x.action === e.action).length)))).toBe(top.count);
    expect(o.findings).toBeGreaterThan(0);
  });

  it('narrow the overview to one location and time range', async () => {
    const events = (await allEvents()).filter((e) => e.location === 'eu-de' && Date.parse(String(e['@timestamp'])) >= Date.parse('2025-11-21T01:00:00Z'));
    const o = (await (await get('/api/overview?location=eu-de&since=2025-11-21T01:00:00Z&until=2025-11-22T00:00:00Z')).json()) as {
      total: number;
      locations: string[];
    };
    expect(o.total).toBe(events.length);
    expect(o.locations.length).toBeGreaterThan(1);
  });

  it('answer one event by id, 404 for an unknown one, 400 for something that is no id', async () => {
    const one = (await (await get(`/api/events/${HOSTILE_ID}`)).json()) as { event: { id: string; message: string } };
    expect(one.event.id).toBe(HOSTILE_ID);
    expect(one.event.message).toContain('<img src=x');
    expect((await get('/api/events/0a0a0a0a-0000-4000-8000-00000000dead')).status).toBe(404);
    expect((await get(`/api/events/${encodeURIComponent("x' OR 1=1 --")}`)).status).toBe(400);
  });

  it('list every event carrying a fingerprint, and only those', async () => {
    const planted = (await (await get(`/api/events/${SECRET_IDS[0]}`)).json()) as { event: { requestData: { client_secret: string } } };
    const fingerprint = planted.event.requestData.client_secret;
    expect(fingerprint).toMatch(/^hmac-sha256:[0-9a-f]{64}$/);
    const res = (await (await get(`/api/fingerprints/${encodeURIComponent(fingerprint)}/events`)).json()) as { total: number; events: { id: string }[] };
    expect(res.total).toBe(2);
    expect(res.events.map((e) => e.id)).toEqual(SECRET_IDS);
    const page2 = (await (await get(`/api/fingerprints/${fingerprint}/events?limit=1&offset=1`)).json()) as { events: { id: string }[] };
    expect(page2.events.map((e) => e.id)).toEqual([SECRET_IDS[1]]);
    expect((await get('/api/fingerprints/hmac-sha256:XYZ/events')).status).toBe(400);
  });

  it('page and sort a search on the server, in the order the CLI prints it and by a shown field', async () => {
    const cliEvents = await cliSearch(server.url, 'correlation-trace', { correlationId: TRACE_ID });
    expect(cliEvents.map((e) => e.id)).toEqual(TRACE_IDS);
    const first = (await (await post('/api/searches/correlation-trace/page', { params: { correlationId: TRACE_ID }, limit: 2 })).json()) as {
      total: number;
      events: { id: string }[];
      fields: string[];
    };
    expect(first.total).toBe(3);
    expect(first.fields).toContain('service');
    const second = (await (await post('/api/searches/correlation-trace/page', { params: { correlationId: TRACE_ID }, limit: 2, offset: 2 })).json()) as {
      events: { id: string }[];
    };
    expect([...first.events, ...second.events].map((e) => e.id)).toEqual(TRACE_IDS);
    const byService = (await (
      await post('/api/searches/correlation-trace/page', { params: { correlationId: TRACE_ID }, sort: 'service', order: 'desc' })
    ).json()) as {
      events: { service: string; id: string }[];
    };
    const services = byService.events.map((e) => e.service);
    expect(services).toEqual([...services].sort().reverse());
    expect(new Set(services).size).toBe(2);
  });

  it('refuse a sort on a field the search does not show, or an injected one', async () => {
    for (const sort of ['initiator.id', 'event_time; DROP TABLE x', "action') --"]) {
      const res = await post('/api/searches/correlation-trace/page', { params: { correlationId: TRACE_ID }, sort });
      expect(res.status, sort).toBe(400);
    }
    expect((await post('/api/searches/correlation-trace/page', { params: { correlationId: TRACE_ID }, order: 'sideways' })).status).toBe(400);
    expect((await post('/api/searches/correlation-trace/page', { sql: 'SELECT 1' })).status).toBe(400);
  });

  it('download a search as CSV and NDJSON, as search run prints them', async () => {
    const csv = await (await post('/api/searches/correlation-trace/page', { params: { correlationId: TRACE_ID }, format: 'csv' })).text();
    expect(csv.split('\r\n')[0]).toBe('@timestamp,location,service,action,outcome,initiator.name,target.id');
    expect(csv.trimEnd().split('\r\n')).toHaveLength(4);
    const lines = (await (await post('/api/searches/correlation-trace/page', { params: { correlationId: TRACE_ID }, format: 'ndjson' })).text())
      .trimEnd()
      .split('\n');
    expect(lines.map((l) => (JSON.parse(l) as { id: string }).id)).toEqual(TRACE_IDS);
  });
});
