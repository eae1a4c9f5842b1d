import { request as httpRequest } from 'node:http';
import { connect } from 'node:net';
import { gzipSync } from 'node:zlib';
import { Client } from '@elastic/elasticsearch';
import { afterEach, describe, expect, it } from 'vitest';
import {
  allFixtureLines,
  BEARER,
  bulkBody,
  deal,
  fixtureLines,
  ndjson,
  startTestServer,
  storedIds,
  TOKEN,
  type TestServer,
  idsIngestStores,
} from './helpers.js';

let server: TestServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

/** A request whose body is sent in part before the sender goes away. */
function sendHalfAndDisconnect(url: string, path: string, body: string): Promise<void> {
  const { port } = new URL(url);
  return new Promise((resolve) => {
    const socket = connect(Number(port), '127.0.0.1', () => {
      socket.write(
        `POST ${path} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${TOKEN}\r\nContent-Type: application/x-ndjson\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n`,
      );
      socket.write(body.slice(0, Math.floor(body.length / 2)), () => {
        socket.destroy();
        resolve();
      });
    });
  });
}

/** A whole request sent, then the connection closed before the answer is read. */
function sendAllAndDisconnect(url: string, path: string, body: string): Promise<void> {
  return new Promise((resolve) => {
    const req = httpRequest(`${url}${path}`, { method: 'POST', headers: { ...BEARER, 'content-type': 'application/x-ndjson' } });
    req.on('error', () => resolve());
    req.end(body, () => {
      req.destroy();
      resolve();
    });
  });
}

function isJson(line: string): boolean {
  try {
    JSON.parse(line);
    return true;
  } catch {
    return false;
  }
}

describe('serve as the official client and plain HTTP senders see it', () => {
  it('stores exactly the events sent, once each, from concurrent bulk helpers, ingest posts and senders that disconnect and retry', async () => {
    server = await startTestServer();
    const lines = allFixtureLines();
    // The helper parses a dropped document to hand it to onDrop, so lines that are not JSON at all go by plain HTTP.
    const json = lines.filter(isJson);
    const notJson = lines.filter((l) => !isJson(l));
    const client = new Client({ node: server.url, auth: { bearer: TOKEN } });
    const dropped: unknown[] = [];
    // Four concurrent bulk helpers, each sending its share of the lines in several small requests.
    const helpers = deal(json, 4).map((share) =>
      client.helpers.bulk<string>({
        datasource: share,
        onDocument: () => ({ create: { _index: 'logs' } }),
        flushBytes: 16 * 1024,
        concurrency: 2,
        onDrop: (d) => dropped.push(d.document),
      }),
    );
    // Meanwhile plain senders post the key-protect file to /v1/ingest, plain and gzip: every line a duplicate of a bulk one or stored by it.
    const kp = ndjson(fixtureLines('key-protect.ndjson'));
    const posts = [
      fetch(`${server.url}/v1/ingest`, { method: 'POST', headers: { ...BEARER, 'content-type': 'application/x-ndjson' }, body: kp }),
      fetch(`${server.url}/v1/ingest`, {
        method: 'POST',
        headers: { ...BEARER, 'content-type': 'application/x-ndjson', 'content-encoding': 'gzip' },
        body: gzipSync(kp),
      }),
    ];
    const raw = await fetch(`${server.url}/_bulk`, {
      method: 'POST',
      headers: { ...BEARER, 'content-type': 'application/x-ndjson' },
      body: bulkBody(notJson, 'index'),
    });
    const rawAnswer = (await raw.json()) as { errors: boolean; items: { index: { status: number; error?: { type: string } } }[] };
    expect(rawAnswer.items).toHaveLength(notJson.length);
    // Senders that go away: one mid-body (nothing of it enters), one after the body (all of it may be stored), then both resend.
    const sm = fixtureLines('secrets-manager.ndjson');
    await sendHalfAndDisconnect(server.url, '/_bulk', bulkBody(sm));
    await sendAllAndDisconnect(server.url, '/logs/_bulk', bulkBody(sm));
    const stats = await Promise.all(helpers);
    const answers = await Promise.all(posts);
    const resend = await fetch(`${server.url}/logs/_bulk`, {
      method: 'POST',
      headers: { ...BEARER, 'content-type': 'application/x-ndjson' },
      body: bulkBody(sm),
    });
    expect(resend.status).toBe(200);
    const resent = (await resend.json()) as { errors: boolean; items: { create: { status: number } }[] };
    expect(resent.items).toHaveLength(sm.length);
    expect(resent.items.every((i) => i.create.status === 200 || i.create.status === 201)).toBe(true);

    for (const a of answers) {
      expect(a.status).toBe(200);
      const counts = (await a.json()) as { linesRead: number; eventsIndexed: number; deadLettered: number; duplicatesSkipped: number; filtered: number };
      expect(counts.linesRead).toBe(fixtureLines('key-protect.ndjson').length);
      expect(counts.linesRead).toBe(counts.eventsIndexed + counts.deadLettered + counts.duplicatesSkipped + counts.filtered);
    }
    const total = stats.reduce((n, s) => n + s.total, 0);
    expect(total).toBe(json.length);
    // What the helpers dropped is exactly what the server dead-lettered: the malformed file's bad lines.
    expect(stats.reduce((n, s) => n + s.failed, 0)).toBe(dropped.length);
    await server.close();
    const stored = (await storedIds(server.store)).sort();
    expect(stored).toEqual(await idsIngestStores(lines));
    expect(new Set(stored).size).toBe(stored.length);
    // Accounting across every request acknowledged: every line has exactly one counted fate.
    const acked = server.engine.stats().acknowledged;
    expect(acked.linesRead).toBe(acked.eventsIndexed + acked.deadLettered + acked.duplicatesSkipped + acked.filtered);
    expect(acked.eventsIndexed).toBe(stored.length);
    expect(acked.deadLettered).toBeGreaterThan(0);
    expect(dropped.length).toBe(stats.reduce((n, s) => n + s.failed, 0));
    expect(acked.deadLettered).toBe(dropped.length + rawAnswer.items.filter((i) => i.index.status === 400).length);
  });
});
