import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runIngest } from '../../src/run/ingest.js';
import { runDetection } from '../../src/searches/detect.js';
import type { Finding } from '../../src/searches/findings.js';
import { BUNDLED_SEARCHES_DIR } from '../../src/searches/load.js';
import { openSearchStore } from '../../src/searches/run.js';
import { parseServeConfig, resolveServeOptions } from '../../src/server/config.js';
import { TEST_ENV, tempDir } from '../helpers/env.js';
import { BEARER, startTestServer, type TestServer } from './helpers.js';

/**
 * `serve`'s scheduled detection, end to end over real HTTP: a store holding the rules' firing
 * fixtures, a local HTTP server as the webhook, one cycle run at once through the scheduler the
 * server returns (the clock fixed on the fixtures' day). Nothing here depends on how long anything takes.
 */
const FIXTURES = join(import.meta.dirname, '../searches/fixtures');
const FIRES = readdirSync(FIXTURES)
  .filter((f) => f.endsWith('.fires.ndjson'))
  .map((f) => join(FIXTURES, f));
const DAY_END = Date.parse('2025-11-22T00:00:00Z');
const FILE = '/etc/auditline/serve.yaml';

interface Webhook {
  url: string;
  received: Finding[];
  /** Resolves once `n` findings have arrived. */
  receivedCount(n: number): Promise<void>;
  close(): Promise<void>;
}

/** `status` answers every request alike, or by its number (1 for the first request). */
async function startWebhook(status: number | ((request: number) => number) = 204): Promise<Webhook> {
  let requests = 0;
  const received: Finding[] = [];
  const waiting: { n: number; resolve: () => void }[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      expect(req.method).toBe('POST');
      expect(req.headers['content-type']).toBe('application/json');
      requests += 1;
      const code = typeof status === 'number' ? status : status(requests);
      // Only what the webhook took (2xx) counts as received.
      if (code < 300) received.push(JSON.parse(Buffer.concat(chunks).toString('utf8')) as Finding);
      for (const w of waiting.filter((w) => received.length >= w.n)) w.resolve();
      res.statusCode = code;
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hook`,
    received,
    receivedCount: (n) => (received.length >= n ? Promise.resolve() : new Promise<void>((resolve) => waiting.push({ n, resolve }))),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** A folder whose store holds `paths`, ingested as `auditline ingest` would. */
async function ingested(paths: string[]): Promise<string> {
  const dir = tempDir('auditline-serve-detect-');
  const result = await runIngest({ paths, dataDir: dir, env: TEST_ENV, workers: 0 });
  expect(result.deadLettered).toBe(0);
  return dir;
}

async function detectOffline(dir: string, sinceMs: number, untilMs: number): Promise<Finding[]> {
  const store = await openSearchStore(join(dir, 'auditline.duckdb'));
  try {
    return await runDetection(store, { dir: BUNDLED_SEARCHES_DIR, sinceMs, untilMs });
  } finally {
    store.close();
  }
}

const sortKey = (f: Finding) => JSON.stringify([f.rule, f.location, f.group, f.windowStart]);
const sorted = (fs: readonly Finding[]) => [...fs].sort((a, b) => (sortKey(a) < sortKey(b) ? -1 : 1));

describe('scheduled detection inside serve', () => {
  let dir: string;
  let expected: Finding[];
  const opened: { close(): Promise<void> }[] = [];

  beforeAll(async () => {
    dir = await ingested(FIRES);
    expected = await detectOffline(dir, DAY_END - 86_400_000, DAY_END);
    expect(expected.length).toBeGreaterThan(0);
  });
  afterAll(async () => {
    for (const o of opened.reverse()) await o.close();
  });

  /** A server over `dataDir` whose schedule runs only when a test says (`runNow`), posting to `webhook`, closed after the suite. */
  async function scheduledServer(dataDir: string, webhook: string, logs?: string[]): Promise<TestServer> {
    const server = await startTestServer({
      dir: dataDir,
      flags: { detectEvery: '1d', detectLookBack: '1d', webhook },
      start: { now: () => DAY_END, ...(logs && { log: (m: string) => logs.push(m) }) },
    });
    opened.push(server);
    return server;
  }

  it('posts each new finding once to the webhook, records it in the ledger, and nothing on the next cycle', async () => {
    const hook = await startWebhook();
    opened.push(hook);
    const server: TestServer = await startTestServer({
      dir,
      // A day between runs: the timer never fires during the test, the cycles are run at once.
      flags: { detectEvery: '1d', detectLookBack: '24h', webhook: hook.url },
      start: { now: () => DAY_END },
    });
    opened.push(server);
    expect(server.detection).toBeDefined();

    const first = await server.detection!.runNow();
    expect(first).toMatchObject({ sinceMs: DAY_END - 86_400_000, untilMs: DAY_END, findings: expected.length, delivered: expected.length, failed: 0 });
    expect(sorted(hook.received)).toEqual(sorted(expected));
    // Each once: no two deliveries of one finding.
    expect(new Set(hook.received.map(sortKey)).size).toBe(hook.received.length);
    const ledger = readFileSync(join(dir, 'findings.ndjson'), 'utf8').trim().split('\n');
    expect(ledger).toHaveLength(expected.length);

    const second = await server.detection!.runNow();
    expect(second).toMatchObject({ findings: expected.length, newFindings: [], delivered: 0, failed: 0 });
    expect(hook.received).toHaveLength(expected.length);

    // The ledger is the one /api/findings reads: everything is known there now.
    const res = await fetch(`${server.url}/api/findings?since=2025-11-21T00:00:00Z&until=2025-11-22T00:00:00Z`, { headers: BEARER });
    expect(res.status).toBe(200);
    expect((await res.json()) as { new: number }).toMatchObject({ new: 0 });

    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    expect(metrics).toMatch(/auditline_detection_cycles_total\{outcome="ok"\} 2/);
    expect(metrics).toContain(`auditline_findings_new_total ${expected.length}`);
    expect(metrics).toContain(`auditline_webhook_deliveries_total{outcome="delivered"} ${expected.length}`);
  });

  it('runs on its timer too (awaited on the webhook receiving, not on time)', async () => {
    const one = await ingested([join(FIXTURES, 'dual-auth-bypass.fires.ndjson')]);
    const want = await detectOffline(one, DAY_END - 86_400_000, DAY_END);
    expect(want.length).toBeGreaterThan(0);
    const hook = await startWebhook();
    opened.push(hook);
    const server = await startTestServer({ dir: one, flags: { detectEvery: '1s', detectLookBack: '1d', webhook: hook.url }, start: { now: () => DAY_END } });
    opened.push(server);
    await hook.receivedCount(want.length);
    await server.close();
    expect(sorted(hook.received)).toEqual(sorted(want));
  });

  it('a failing webhook is logged and counted, the rest wait while it is down, and the server keeps serving', async () => {
    const one = await ingested([join(FIXTURES, 'mass-key-deletion.fires.ndjson'), join(FIXTURES, 'dual-auth-bypass.fires.ndjson')]);
    const hook = await startWebhook(500);
    opened.push(hook);
    const logs: string[] = [];
    const server = await scheduledServer(one, hook.url, logs);
    const cycle = await server.detection!.runNow();
    expect(cycle.newFindings.length).toBe(2);
    expect(cycle).toMatchObject({ delivered: 0, failed: 2, undelivered: 2 });
    expect(logs.some((l) => l.includes('not delivered: HTTP 500; tried again on the next run'))).toBe(true);

    // A webhook nobody listens on any more: refused connections are failures too.
    await hook.close();
    const two = await ingested([join(FIXTURES, 'mass-key-deletion.fires.ndjson')]);
    const unreachable = await scheduledServer(two, hook.url, logs);
    const refused = await unreachable.detection!.runNow();
    expect(refused).toMatchObject({ delivered: 0, failed: refused.newFindings.length, undelivered: refused.newFindings.length });
    expect(refused.failed).toBeGreaterThan(0);

    // Three tries of the first finding; the second is not tried while the webhook is down.
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    expect(metrics).toContain('auditline_webhook_deliveries_total{outcome="failed"} 1');
    expect((await fetch(`${server.url}/api/findings?since=2025-11-21T00:00:00Z&until=2025-11-22T00:00:00Z&record=false`, { headers: BEARER })).status).toBe(
      200,
    );
  });

  it('retries a failed delivery within the run, and delivers on the next run what a run could not, once', async () => {
    const one = await ingested([join(FIXTURES, 'mass-key-deletion.fires.ndjson'), join(FIXTURES, 'dual-auth-bypass.fires.ndjson')]);
    const want = await detectOffline(one, DAY_END - 86_400_000, DAY_END);
    expect(want).toHaveLength(2);
    // Requests 1-2: 503, then 3 (the first finding's third try): 204. Requests 4-6 (the second
    // finding's three tries): 502, so it waits for the next run. From request 7 on: 204.
    const hook = await startWebhook((n) => (n <= 2 ? 503 : n === 3 ? 204 : n <= 6 ? 502 : 204));
    opened.push(hook);
    const logs: string[] = [];
    const server = await scheduledServer(one, hook.url, logs);
    const first = await server.detection!.runNow();
    expect(first).toMatchObject({ delivered: 1, failed: 1, undelivered: 1 });
    expect(hook.received).toHaveLength(1);
    expect(readFileSync(join(one, 'webhook-undelivered.ndjson'), 'utf8').trim().split('\n')).toHaveLength(1);

    // The next run raises nothing new and delivers what was left.
    const second = await server.detection!.runNow();
    expect(second).toMatchObject({ newFindings: [], delivered: 1, failed: 0, undelivered: 0 });
    expect(sorted(hook.received)).toEqual(sorted(want));
    expect(existsSync(join(one, 'webhook-undelivered.ndjson'))).toBe(false);

    const third = await server.detection!.runNow();
    expect(third).toMatchObject({ newFindings: [], delivered: 0, failed: 0, undelivered: 0 });
    expect(hook.received).toHaveLength(2);
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    expect(metrics).toContain('auditline_webhook_deliveries_total{outcome="delivered"} 2');
    expect(metrics).toContain('auditline_webhook_deliveries_total{outcome="failed"} 1');
  });

  it('a finding the webhook refuses (4xx) is not retried within the run and does not hold back the others', async () => {
    const one = await ingested([join(FIXTURES, 'mass-key-deletion.fires.ndjson'), join(FIXTURES, 'dual-auth-bypass.fires.ndjson')]);
    const hook = await startWebhook((n) => (n === 1 ? 400 : 204));
    opened.push(hook);
    const server = await scheduledServer(one, hook.url);
    expect(await server.detection!.runNow()).toMatchObject({ delivered: 1, failed: 1, undelivered: 1 });
    expect(await server.detection!.runNow()).toMatchObject({ delivered: 1, failed: 0, undelivered: 0 });
    expect(hook.received).toHaveLength(2);
  });

  it('a server without detect options schedules nothing', async () => {
    const server = await startTestServer();
    opened.push(server);
    expect(server.detection).toBeUndefined();
  });
});

describe('detect options of serve', () => {
  it('come from the file, flags override them, unknown keys are refused with their line', () => {
    const loaded = parseServeConfig('detect:\n  every: 10m\n  lookBack: 2h\n  webhook: http://hooks.example/x\n', FILE);
    expect(resolveServeOptions({}, loaded, {}, 0).detect).toEqual({ everyMs: 600_000, lookBackMs: 7_200_000, webhook: new URL('http://hooks.example/x') });
    expect(resolveServeOptions({ detectEvery: '30s', webhook: 'https://other.example/' }, loaded, {}, 0).detect).toEqual({
      everyMs: 30_000,
      lookBackMs: 7_200_000,
      webhook: new URL('https://other.example/'),
    });
    expect(() => parseServeConfig('detect:\n  every: 5m\n  lookback: 1h\n', FILE)).toThrow(`${FILE}:3: unknown key "lookback"`);
    expect(() => parseServeConfig('detect:\n  every: soon\n', FILE)).toThrow(/serve\.yaml:2: \/detect\/every must match/);
    expect(() => parseServeConfig('detect:\n  webhook: ftp://x\n', FILE)).toThrow(/serve\.yaml:2: \/detect\/webhook must match/);
  });

  it('default to every 5 minutes over the last hour, and are off unless asked for', () => {
    expect(resolveServeOptions({}, undefined, {}, 0).detect).toBeUndefined();
    expect(resolveServeOptions({ webhook: 'http://127.0.0.1:1/' }, undefined, {}, 0).detect).toMatchObject({ everyMs: 300_000, lookBackMs: 3_600_000 });
    expect(resolveServeOptions({}, parseServeConfig('detect: {}\n', FILE), {}, 0).detect).toEqual({ everyMs: 300_000, lookBackMs: 3_600_000 });
    expect(() => resolveServeOptions({ detectEvery: '5 minutes' }, undefined, {}, 0)).toThrow(/--detect-every must be a duration/);
    expect(() => resolveServeOptions({ webhook: 'not a url' }, undefined, {}, 0)).toThrow(/--webhook must be an http or https URL/);
    expect(() => resolveServeOptions({ detectEvery: '5m', out: 'dir' }, undefined, {}, 0)).toThrow(/cannot run when serve writes NDJSON/);
  });
});
