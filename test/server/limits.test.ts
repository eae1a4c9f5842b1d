import { gzipSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import type { StoredEvent } from '../../src/model/records.js';
import { SinkError, type EventSink } from '../../src/sinks/sink.js';
import { BEARER, bulkBody, fixtureLines, ndjson, startTestServer, storedIds, TOKEN, type TestServer } from './helpers.js';

let server: TestServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

const NDJSON = { ...BEARER, 'content-type': 'application/x-ndjson' };

/** Waits for a condition the test cannot await directly (a request reaching the engine); never a fixed sleep. */
async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((r) => setImmediate(r));
}

/** A store that holds every write until the test opens the gate. */
function gatedSink(inner: EventSink) {
  let open!: () => void;
  const gate = new Promise<void>((r) => (open = r));
  let writes = 0;
  const sink: EventSink = {
    name: inner.name,
    async write(events: readonly StoredEvent[]) {
      writes++;
      await gate;
      return inner.write(events);
    },
    close: () => inner.close(),
  };
  return { sink, open: () => open(), writes: () => writes };
}

/** A store that fails every write as a whole while `failing` is set. */
function failingSink(inner: EventSink) {
  const state = { failing: true };
  const sink: EventSink = {
    name: inner.name,
    async write(events: readonly StoredEvent[]) {
      if (state.failing) throw new SinkError('disk full (test)', { retriable: false });
      return inner.write(events);
    },
    close: () => inner.close(),
  };
  return { sink, state };
}

describe('serve refuses what it cannot take, for the whole request', () => {
  it('answers 401 without credentials or with a wrong token, accepts basic auth with any user, and counts the refusals', async () => {
    server = await startTestServer();
    const body = ndjson(fixtureLines('key-protect.ndjson').slice(0, 2));
    expect((await fetch(`${server.url}/v1/ingest`, { method: 'POST', body })).status).toBe(401);
    expect((await fetch(`${server.url}/_bulk`, { method: 'POST', headers: { authorization: 'Bearer nope' }, body })).status).toBe(401);
    const basic = `Basic ${Buffer.from(`anyone:${TOKEN}`).toString('base64')}`;
    expect((await fetch(`${server.url}/v1/ingest`, { method: 'POST', headers: { authorization: basic }, body })).status).toBe(200);
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    expect(metrics).toMatch(/^auditline_http_unauthorized_total 2$/m);
    expect(metrics).toContain('auditline_http_requests_total{route="/v1/ingest",method="POST",status="401"} 1');
    expect(metrics).not.toContain(TOKEN);
  });

  it('answers 413 for a body over the limit, as sent and once inflated, and stores nothing of it', async () => {
    server = await startTestServer({ limits: { maxBodyBytes: 16 * 1024 } });
    const lines = fixtureLines('key-protect.ndjson');
    // One line many times: over the limit as text, far under it gzipped.
    const big = ndjson(Array.from({ length: 20 }, () => lines[0]!));
    expect(Buffer.byteLength(big)).toBeGreaterThan(16 * 1024);
    const gz = gzipSync(big);
    expect(gz.length).toBeLessThan(16 * 1024);
    const plain = await fetch(`${server.url}/v1/ingest`, { method: 'POST', headers: NDJSON, body: big });
    expect(plain.status).toBe(413);
    expect(plain.headers.get('x-elastic-product')).toBe('Elasticsearch');
    const inflated = await fetch(`${server.url}/_bulk`, {
      method: 'POST',
      headers: { ...NDJSON, 'content-encoding': 'gzip' },
      body: gzipSync(bulkBody(Array.from({ length: 20 }, () => lines[1]!))),
    });
    expect(inflated.status).toBe(413);
    const gzIngest = await fetch(`${server.url}/v1/ingest`, { method: 'POST', headers: { ...NDJSON, 'content-encoding': 'gzip' }, body: gz });
    expect(gzIngest.status).toBe(413);
    // A body sent in chunks without a declared length is cut at the limit too.
    const stream = new ReadableStream<Uint8Array>({
      start(c) {
        for (let i = 0; i < 4; i++) c.enqueue(Buffer.from(big));
        c.close();
      },
    });
    const chunked = await fetch(`${server.url}/v1/ingest`, { method: 'POST', headers: NDJSON, body: stream, duplex: 'half' } as RequestInit);
    expect(chunked.status).toBe(413);
    // The connection stays usable: a small request after the refusals is stored.
    expect((await fetch(`${server.url}/v1/ingest`, { method: 'POST', headers: NDJSON, body: ndjson(lines.slice(0, 1)) })).status).toBe(200);
    await server.close();
    expect(await storedIds(server.store)).toHaveLength(1);
  });

  it('answers 429 with Retry-After when the in-flight bound is reached, and takes the request when it is sent again', async () => {
    let gate!: ReturnType<typeof gatedSink>;
    server = await startTestServer({
      limits: { maxInFlightBytes: 4 * 1024 },
      start: { wrapSink: (s) => (gate = gatedSink(s)).sink },
    });
    const lines = fixtureLines('key-protect.ndjson');
    const first = fetch(`${server.url}/_bulk`, { method: 'POST', headers: NDJSON, body: bulkBody(lines.slice(0, 10)) });
    await until(() => gate.writes() > 0);
    const refused = await fetch(`${server.url}/_bulk`, { method: 'POST', headers: NDJSON, body: bulkBody(lines.slice(10, 20)) });
    expect(refused.status).toBe(429);
    expect(refused.headers.get('retry-after')).toBe('1');
    expect(((await refused.json()) as { error: { type: string } }).error.type).toBe('es_rejected_execution_exception');
    gate.open();
    expect((await first).status).toBe(200);
    const again = await fetch(`${server.url}/_bulk`, { method: 'POST', headers: NDJSON, body: bulkBody(lines.slice(10, 20)) });
    expect(again.status).toBe(200);
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    expect(metrics).toContain('auditline_requests_refused_total{route="/_bulk",reason="backpressure"} 1');
    await server.close();
    expect(new Set(await storedIds(server.store)).size).toBe(20);
  });

  it('answers 503 while the store fails, is not ready meanwhile, and loses nothing once it recovers', async () => {
    let store!: ReturnType<typeof failingSink>;
    server = await startTestServer({ start: { wrapSink: (s) => (store = failingSink(s)).sink } });
    const lines = fixtureLines('secrets-manager.ndjson');
    const body = bulkBody(lines);
    const failed = await fetch(`${server.url}/_bulk`, { method: 'POST', headers: NDJSON, body });
    expect(failed.status).toBe(503);
    expect(failed.headers.get('retry-after')).toBe('1');
    const failedIngest = await fetch(`${server.url}/v1/ingest`, { method: 'POST', headers: NDJSON, body: ndjson(lines) });
    expect(failedIngest.status).toBe(503);
    expect((await fetch(`${server.url}/readyz`)).status).toBe(503);
    store.state.failing = false;
    const ok = await fetch(`${server.url}/_bulk`, { method: 'POST', headers: NDJSON, body });
    expect(ok.status).toBe(200);
    const answer = (await ok.json()) as { errors: boolean; items: { create: { status: number } }[] };
    expect(answer.errors).toBe(false);
    expect(answer.items.map((i) => i.create.status).filter((s) => s === 201)).toHaveLength(96);
    expect((await fetch(`${server.url}/readyz`)).status).toBe(200);
    await server.close();
    expect(new Set(await storedIds(server.store)).size).toBe(96);
  });
});
