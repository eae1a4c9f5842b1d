import { afterEach, describe, expect, it } from 'vitest';
import { BEARER, fixtureLines, ndjson, startTestServer, type TestServer } from './helpers.js';

/** A key-protect line whose Host header is gone: by host, no pipeline claims it. */
function hostless(line: string): string {
  const record = JSON.parse(line) as { req: { headers: Record<string, unknown> } };
  delete record.req.headers.host;
  return JSON.stringify(record);
}

let server: TestServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function post(path: string, body: string, headers: Record<string, string> = {}) {
  const res = await fetch(`${server!.url}${path}`, { method: 'POST', headers: { ...BEARER, 'content-type': 'application/x-ndjson', ...headers }, body });
  return { status: res.status, body: (await res.json()) as { linesRead: number; eventsIndexed: number; deadLetteredBy: Record<string, number> } };
}

describe('/v1/ingest for one named pipeline', () => {
  it('reads every line with the pipeline the sender names (query or header), by host without one, and dead-letters an unknown name', async () => {
    server = await startTestServer();
    const lines = fixtureLines('key-protect.ndjson').slice(0, 6).map(hostless);
    const byHost = await post('/v1/ingest', ndjson(lines));
    expect(byHost.status).toBe(200);
    expect(byHost.body.deadLetteredBy.no_pipeline).toBe(6);

    const named = await post('/v1/ingest?pipeline=key-protect', ndjson(lines));
    expect(named.body.linesRead).toBe(6);
    expect(named.body.eventsIndexed).toBeGreaterThan(0);
    expect(named.body.deadLetteredBy.no_pipeline).toBeUndefined();

    const byHeader = await post('/v1/ingest', ndjson(lines), { 'x-auditline-pipeline': 'key-protect' });
    expect(byHeader.body.eventsIndexed).toBe(0); // the same lines: all duplicates now
    expect(byHeader.body.deadLetteredBy.no_pipeline).toBeUndefined();

    const unknown = await post('/v1/ingest?pipeline=nope', ndjson(lines));
    expect(unknown.body.deadLetteredBy.no_pipeline).toBe(6);
  });
});
