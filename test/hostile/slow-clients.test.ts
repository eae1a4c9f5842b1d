import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveServeOptions } from '../../src/server/config.js';
import { DEFAULT_LIMITS } from '../../src/server/options.js';
import { CLI, distinctLines, metricValue, startServe, type ServeProcess } from '../crash/processes.js';
import { TEST_ENV, tempDir } from '../helpers/env.js';
import { BEARER, ndjson, startTestServer, TOKEN } from '../server/helpers.js';

const NDJSON = { ...BEARER, 'content-type': 'application/x-ndjson' };

const MiB = 1024 * 1024;
/** Short enough for a test, long enough that two shared cores never cut an honest client. */
const HEADERS_TIMEOUT_MS = 1500;
const RATE_WINDOW_MS = 500;
/** How often node:http itself checks its headers and request timeouts. */
const NODE_CHECK_INTERVAL_MS = 30_000;
const MIN_RATE = 200;
const MAX_CONNECTIONS = 64;
/** The most the server's RSS may grow across every attack; hundreds of sockets cost a few KiB each. */
const RSS_GROWTH_BOUND = 48 * MiB;

interface Raw {
  socket: Socket;
  /** Everything the server sent. */
  received: () => string;
  closed: Promise<number>;
}

/** A raw TCP client: it sends exactly what the test writes, when the test writes it. */
function rawClient(url: string): Promise<Raw> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname);
    let text = '';
    const started = Date.now();
    socket.on('data', (d: Buffer) => (text += d.toString()));
    socket.on('error', () => undefined);
    const closed = new Promise<number>((r) => socket.on('close', () => r(Date.now() - started)));
    socket.once('connect', () => resolve({ socket, received: () => text, closed }));
    socket.once('error', reject);
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * One request on a connection of its own, closed after the answer: a pooled keep-alive connection
 * would be one of the idle ones the server is right to close.
 */
function request(url: string, method: string, headers: Record<string, string> = {}, body?: string): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method, headers: { ...headers, connection: 'close' }, agent: false }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (text += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

async function metrics(server: ServeProcess): Promise<string> {
  return (await request(`${server.url}/metrics`, 'GET')).text;
}

async function cuts(server: ServeProcess, reason: string): Promise<number> {
  return metricValue(await metrics(server), `auditline_connections_cut_total{reason="${reason}"}`);
}

/** A normal request is still taken and stored: the process answers after the attack. */
async function answersNormally(server: ServeProcess, tag: string): Promise<void> {
  const r = await request(`${server.url}/v1/ingest`, 'POST', NDJSON, ndjson(distinctLines(5, tag)));
  expect(r.status).toBe(200);
  expect((JSON.parse(r.text) as { eventsIndexed: number }).eventsIndexed).toBe(5);
}

let dir: string;
let server: ServeProcess;
let rssBefore: number;
const ownDirs: string[] = [];

describe.skipIf(!existsSync(CLI))('slow and idle HTTP clients against auditline serve (needs npm run build)', () => {
  beforeAll(async () => {
    // Not tempDir(): that one is emptied after each test, and this server lives for the whole file.
    dir = mkdtempSync(join(tmpdir(), 'auditline-slow-'));
    ownDirs.push(dir);
    const config = join(dir, 'serve.yaml');
    writeFileSync(
      config,
      [
        'limits:',
        `  headersTimeoutMs: ${HEADERS_TIMEOUT_MS}`,
        '  requestTimeoutMs: 30000',
        `  minBodyBytesPerSecond: ${MIN_RATE}`,
        `  bodyRateWindowMs: ${RATE_WINDOW_MS}`,
        `  maxConnections: ${MAX_CONNECTIONS}`,
        '',
      ].join('\n'),
    );
    server = await startServe(['--config', config, '--port', '0', '--data-dir', dir]);
    await answersNormally(server, 'warm-up');
    rssBefore = server.rss();
  }, 30_000);

  afterAll(async () => {
    server?.child.kill('SIGTERM');
    await server?.exited;
    for (const d of ownDirs) rmSync(d, { recursive: true, force: true });
  });

  it('cuts slowloris senders that never finish their headers with 408 after the headers timeout, and counts them', async () => {
    const before = await cuts(server, 'header_timeout');
    const senders = await Promise.all(Array.from({ length: 40 }, () => rawClient(server.url)));
    let sending = true;
    // One more header line every 200 ms: each write would reset an idle-socket timeout, never this one.
    const trickle = (async () => {
      await Promise.all(senders.map((s) => new Promise((r) => s.socket.write(`POST /v1/ingest HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${TOKEN}\r\n`, r))));
      for (let i = 0; sending; i++) {
        for (const s of senders) if (!s.socket.destroyed) s.socket.write(`X-Slow-${i}: ${'a'.repeat(8)}\r\n`);
        await sleep(200);
      }
    })();
    const times = await Promise.all(senders.map((s) => s.closed));
    sending = false;
    await trickle;
    for (const s of senders) expect(s.received()).toMatch(/^HTTP\/1\.1 408 /);
    // Cut after the timeout, and long before node's own check (every 30 s) would have: the bound is ten times
    // what the guard needs (the timeout plus a quarter of it), so a loaded machine does not fail it.
    expect(Math.max(...times)).toBeLessThan(NODE_CHECK_INTERVAL_MS / 2);
    expect(Math.min(...times)).toBeGreaterThanOrEqual(HEADERS_TIMEOUT_MS - 50);
    expect((await cuts(server, 'header_timeout')) - before).toBe(40);
    await answersNormally(server, 'after-slowloris');
  });

  it('cuts a body trickling below the minimum rate with 408, stores none of it, and lets a slow but honest body through', async () => {
    const body = ndjson(distinctLines(20, 'trickle'));
    const trickler = await rawClient(server.url);
    trickler.socket.write(
      `POST /v1/ingest HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${TOKEN}\r\nContent-Type: application/x-ndjson\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n`,
    );
    // 10 bytes a second, far under the minimum.
    const trickle = (async () => {
      for (let i = 0; i < body.length && !trickler.socket.destroyed; i++) {
        trickler.socket.write(body[i]!);
        await sleep(100);
      }
    })();
    const cutAfter = await trickler.closed;
    await trickle;
    expect(trickler.received()).toMatch(/^HTTP\/1\.1 408 /);
    // Unguarded, this body (20 lines at 10 bytes a second) would run for half an hour.
    expect(cutAfter).toBeLessThan(NODE_CHECK_INTERVAL_MS / 2);
    expect(await cuts(server, 'slow_body')).toBe(1);

    // 1,000 bytes every 200 ms is 5,000 bytes a second: slow for a shipper, 25 times the minimum.
    const honest = await rawClient(server.url);
    const honestBody = ndjson(distinctLines(5, 'honest'));
    honest.socket.write(
      `POST /v1/ingest HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${TOKEN}\r\nContent-Type: application/x-ndjson\r\nConnection: close\r\nContent-Length: ${Buffer.byteLength(honestBody)}\r\n\r\n`,
    );
    for (let i = 0; i < honestBody.length; i += 1000) {
      honest.socket.write(honestBody.slice(i, i + 1000));
      await sleep(200);
    }
    await honest.closed;
    expect(honest.received()).toMatch(/^HTTP\/1\.1 200 /);
    expect(honest.received()).toContain('"eventsIndexed":5');
    expect(await cuts(server, 'slow_body')).toBe(1);
    // None of the trickled lines reached the store: a request cut mid-body enters nothing.
    const trickled = await request(`${server.url}/v1/ingest`, 'POST', NDJSON, body);
    expect((JSON.parse(trickled.text) as { eventsIndexed: number }).eventsIndexed).toBe(20);
  });

  it('takes hundreds of idle connections by closing the idle ones at the cap, refuses new ones with 503 only when every one is busy, and keeps answering', async () => {
    const shedBefore = await cuts(server, 'idle_shed');
    // 300 connections that never send a byte, against a cap of 64.
    const idle: Raw[] = [];
    for (let i = 0; i < 300; i++) idle.push(await rawClient(server.url));
    // A keep-alive connection idle after a request is closed the same way.
    const keepAlive = await rawClient(server.url);
    keepAlive.socket.write('GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n');
    while (!keepAlive.received().includes('\r\n\r\n')) await sleep(10);
    await answersNormally(server, 'among-idle');
    const open = metricValue(await metrics(server), 'auditline_http_connections');
    expect(open).toBeLessThanOrEqual(MAX_CONNECTIONS);
    expect((await cuts(server, 'idle_shed')) - shedBefore).toBeGreaterThanOrEqual(300 - MAX_CONNECTIONS);
    for (const c of [...idle, keepAlive]) c.socket.destroy();
    // Until the server has seen them go (its own metrics request is the one connection left), so that
    // none of the busy connections below is taken for an idle one before its first bytes are read.
    while (metricValue(await metrics(server), 'auditline_http_connections') > 1) await sleep(20);

    // Connections in the middle of their headers are not idle: at the cap, a new one gets 503.
    await sleep(100);
    const refusedBefore = await cuts(server, 'too_many_connections');
    const busy: Raw[] = [];
    for (let i = 0; i < MAX_CONNECTIONS; i++) {
      const c = await rawClient(server.url);
      c.socket.write('POST /v1/ingest HTTP/1.1\r\nHost: x\r\n');
      busy.push(c);
    }
    // Every busy connection's first bytes are read before the extra one arrives.
    await sleep(100);
    const extra = await rawClient(server.url);
    await extra.closed;
    expect(extra.received()).toMatch(/^HTTP\/1\.1 503 /);
    expect(extra.received()).toMatch(/Retry-After: 1/);
    // The headers timeout frees them; then the server answers again, and shows the refusal.
    await Promise.all(busy.map((c) => c.closed));
    await answersNormally(server, 'after-cap');
    expect((await cuts(server, 'too_many_connections')) - refusedBefore).toBe(1);
  });

  it('grew its resident memory by a bounded amount across every attack', () => {
    const growth = server.rss() - rssBefore;
    if (process.env.AUDITLINE_REPORT) process.stderr.write(`serve RSS ${(rssBefore / MiB).toFixed(1)} MiB before, grew ${(growth / MiB).toFixed(1)} MiB\n`);
    expect(growth).toBeLessThan(RSS_GROWTH_BOUND);
  });
});

describe('limits of slow and idle clients in the flags and the configuration', () => {
  it('have defaults, are set by flags, and a flag below 1 is refused', () => {
    const dir = tempDir();
    const base = { store: join(dir, 's.duckdb'), token: [TOKEN] };
    const defaults = resolveServeOptions(base, undefined, TEST_ENV, 0).limits;
    expect(defaults).toMatchObject({ maxConnections: 512, minBodyBytesPerSecond: 1, bodyRateWindowMs: 10_000, headersTimeoutMs: 30_000 });
    expect(defaults).toEqual(DEFAULT_LIMITS);
    const set = resolveServeOptions(
      { ...base, maxConnections: 10, headersTimeoutMs: 2000, requestTimeoutMs: 9000, minBodyBytesPerSecond: 50 },
      undefined,
      TEST_ENV,
      0,
    );
    expect(set.limits).toMatchObject({ maxConnections: 10, headersTimeoutMs: 2000, requestTimeoutMs: 9000, minBodyBytesPerSecond: 50 });
    expect(() => resolveServeOptions({ ...base, maxConnections: 0 }, undefined, TEST_ENV, 0)).toThrow(/--max-connections must be a positive integer/);
  });
});

describe.skipIf(spawnSync('openssl', ['version']).status !== 0)('slow and idle clients over TLS', () => {
  it('are cut by the headers timeout and shed at the connection cap after their handshake, and counted the same way', async () => {
    const dir = tempDir();
    const cert = join(dir, 'cert.pem');
    const key = join(dir, 'key.pem');
    const made = spawnSync('openssl', [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:P-256',
      '-nodes',
      '-days',
      '1',
      '-subj',
      '/CN=127.0.0.1',
      '-addext',
      'subjectAltName=IP:127.0.0.1',
      '-keyout',
      key,
      '-out',
      cert,
    ]);
    expect(made.status, made.stderr.toString()).toBe(0);
    const server = await startTestServer({ dir, flags: { tlsCert: cert, tlsKey: key }, limits: { headersTimeoutMs: 1000, maxConnections: 4 } });
    try {
      const { port } = new URL(server.url);
      const ca = readFileSync(cert);
      const open = () =>
        new Promise<TLSSocket>((resolve, reject) => {
          const s = tlsConnect({ host: '127.0.0.1', port: Number(port), ca }, () => resolve(s));
          s.on('error', reject);
        });
      const slow = await open();
      let received = '';
      slow.on('data', (d: Buffer) => (received += d.toString()));
      slow.write('POST /v1/ingest HTTP/1.1\r\nHost: x\r\n');
      await new Promise((r) => slow.on('close', r));
      expect(received).toMatch(/^HTTP\/1\.1 408 /);

      const idle = [];
      for (let i = 0; i < 6; i++) idle.push(await open());
      await sleep(100);
      const metricsText = await new Promise<string>((resolve, reject) => {
        const req = httpsRequest(`${server.url}/metrics`, { ca, agent: false }, (res) => {
          let text = '';
          res.on('data', (d: Buffer) => (text += d.toString()));
          res.on('end', () => resolve(text));
        });
        req.on('error', reject);
        req.end();
      });
      expect(metricValue(metricsText, 'auditline_connections_cut_total{reason="header_timeout"}')).toBe(1);
      expect(metricValue(metricsText, 'auditline_connections_cut_total{reason="idle_shed"}')).toBeGreaterThanOrEqual(3);
      expect(metricValue(metricsText, 'auditline_http_connections')).toBeLessThanOrEqual(4);
      for (const s of idle) s.destroy();
    } finally {
      await server.close();
    }
  });
});
