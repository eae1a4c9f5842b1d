import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStoreReader } from '../../src/sinks/duckdb/read.js';
import { TEST_ENV } from '../helpers/env.js';
import { BEARER, fixtureLines, ndjson, startTestServer, TOKEN, type TestServer } from './helpers.js';

const CLI = join(import.meta.dirname, '../../dist/cli/main.js');
/** The fixtures' day, so relative times play no part in what is compared. */
const RANGE = ['--since', '2025-11-20T00:00:00Z', '--until', '2025-11-23T00:00:00Z'];

interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

function cli(args: readonly string[], env: NodeJS.ProcessEnv = {}): Promise<CliRun> {
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], { env: { ...process.env, ...TEST_ENV, ...env }, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

async function get(path: string, headers: Record<string, string> = BEARER): Promise<Response> {
  return fetch(`${server.url}${path}`, { headers });
}

let server: TestServer;
/** What the routes and `--server` commands printed while the server held the store, to compare with local runs once it is closed. */
const whileServing: Record<string, CliRun> = {};
const lines = [...fixtureLines('key-protect.ndjson'), ...fixtureLines('secrets-manager.ndjson')];
/** Events stored from `lines` (the fixtures repeat a few lines on purpose). */
let indexed = 0;

beforeAll(async () => {
  // One store for the whole file (tempDir's folders go after each test).
  server = await startTestServer({ dir: mkdtempSync(join(tmpdir(), 'auditline-query-')) });
  const res = await fetch(`${server.url}/v1/ingest`, { method: 'POST', headers: { ...BEARER, 'content-type': 'application/x-ndjson' }, body: ndjson(lines) });
  expect(res.status).toBe(200);
  indexed = ((await res.json()) as { eventsIndexed: number }).eventsIndexed;
  expect(indexed).toBeGreaterThan(100);
}, 30_000);

afterAll(async () => {
  await server?.close();
  rmSync(server.dir, { recursive: true, force: true });
});

describe('query routes while serve holds the store', () => {
  it('refuse every query route without credentials', async () => {
    for (const [method, path] of [
      ['GET', '/api/events'],
      ['GET', '/api/searches'],
      ['POST', '/api/searches/failed-requests/run'],
      ['GET', '/api/findings'],
    ] as const) {
      expect((await fetch(`${server.url}${path}`, { method })).status, path).toBe(401);
    }
  });

  it('stream every stored event as NDJSON, and the same events page by page through the cursor', async () => {
    const all = await (await get('/api/events')).text();
    const events = all.trimEnd().split('\n');
    expect(events).toHaveLength(indexed);
    const paged: string[] = [];
    let after: string | null = null;
    let pages = 0;
    do {
      const res = await get(`/api/events?limit=7${after ? `&after=${after}` : ''}`);
      expect(res.status).toBe(200);
      paged.push(
        ...(await res.text())
          .trimEnd()
          .split('\n')
          .filter((l) => l !== ''),
      );
      after = res.headers.get('x-auditline-next-page');
      pages++;
    } while (after);
    expect(pages).toBe(Math.ceil(indexed / 7));
    expect(paged).toEqual(events);
  });

  it('filter by location and time, and print the CADF profile, as export does', async () => {
    const all = (await (await get('/api/events')).text())
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l) as { '@timestamp': string; location?: string; logSourceCRN?: string });
    const res = await get('/api/events?location=us-south&since=2025-11-21T00:30:00Z&profile=cadf');
    const cadf = (await res.text())
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l) as { typeURI: string; eventTime: string });
    expect(cadf.length).toBeGreaterThan(0);
    expect(cadf.length).toBeLessThan(all.length);
    for (const e of cadf) {
      expect(e.typeURI).toBe('http://schemas.dmtf.org/cloud/audit/1.0/event');
      expect(Date.parse(e.eventTime)).toBeGreaterThanOrEqual(Date.parse('2025-11-21T00:30:00Z'));
    }
  });

  it('refuse unknown parameters and bad values with 400 naming them', async () => {
    const unknown = await get('/api/events?locaton=us-south');
    expect(unknown.status).toBe(400);
    expect(await unknown.text()).toContain('locaton');
    expect((await get('/api/events?limit=0')).status).toBe(400);
    expect((await get('/api/events?since=yesterday')).status).toBe(400);
    expect((await get('/api/events?after=bm90LWEtY3Vyc29y')).status).toBe(400);
    expect((await get('/api/findings?record=maybe')).status).toBe(400);
  });

  it('list the saved searches with their parameters', async () => {
    const { searches } = (await (await get('/api/searches')).json()) as { searches: { name: string; type: string; parameters: Record<string, unknown> }[] };
    const timeline = searches.find((s) => s.name === 'key-timeline');
    expect(timeline?.type).toBe('search');
    expect(Object.keys(timeline!.parameters)).toEqual(['key']);
    expect(searches.some((s) => s.type === 'rule')).toBe(true);
  });

  it('run a search with parameters, and refuse unknown searches, paths and parameters with our codes', async () => {
    const event = JSON.parse((await (await get('/api/events?limit=1')).text()).trim()) as { correlationId?: string };
    expect(event.correlationId).toBeTruthy();
    const post = (name: string, body: unknown) =>
      fetch(`${server.url}/api/searches/${name}/run`, {
        method: 'POST',
        headers: { ...BEARER, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    const res = await post('correlation-trace', { params: { correlationId: event.correlationId } });
    const result = (await res.json()) as { kind: string; events: { correlationId: string }[]; count: number };
    expect(result.kind).toBe('events');
    expect(result.count).toBeGreaterThan(0);
    for (const e of result.events) expect(e.correlationId).toBe(event.correlationId);

    const missing = await post('no-such-search', {});
    expect(missing.status).toBe(404);
    expect(((await missing.json()) as { error: { auditline_code: string } }).error.auditline_code).toBe('AL_SEARCH_NOT_FOUND');
    expect((await post('..%2Fpackage.json', {})).status).toBe(404);
    const param = await post('correlation-trace', { params: { nope: 1 } });
    expect(param.status).toBe(400);
    expect(((await param.json()) as { error: { auditline_code: string } }).error.auditline_code).toBe('AL_SEARCH_PARAM');
  });

  it('run detection and mark findings already recorded as known on the next run', async () => {
    const range = 'since=2025-11-20T00:00:00Z&until=2025-11-23T00:00:00Z';
    const first = (await (await get(`/api/findings?${range}`)).json()) as { count: number; new: number; findings: { status: string }[] };
    expect(first.count).toBeGreaterThan(0);
    expect(first.new).toBe(first.count);
    const second = (await (await get(`/api/findings?${range}`)).json()) as { new: number; findings: { status: string }[] };
    expect(second.new).toBe(0);
    expect(second.findings.every((f) => f.status === 'known')).toBe(true);
  });

  it('let export, search run and detect go through --server, and name the server on a direct open', async () => {
    const env = { AUDITLINE_TOKEN: TOKEN };
    const url = server.url;
    const runs = await Promise.all([
      cli(['export', '--server', url]),
      cli(['export', '--server', url, '--token', TOKEN, '--profile', 'cadf', '--location', 'eu-de']),
      cli(['search', 'run', 'failed-requests', '--server', url, '--format', 'csv', ...RANGE], env),
      cli(['detect', '--server', url, '--format', 'json', '--no-record', ...RANGE], env),
      cli(['export', '--store', server.store]),
      cli(['ingest', '--store', server.store, '--data-dir', server.dir, join(import.meta.dirname, '../../fixtures/raw/key-protect.ndjson')]),
      cli(['export', '--server', url, '--token', 'not-the-token-7f3a']),
    ]);
    const [exportAll, exportCadf, search, detect, direct, ingest, wrong] = runs;
    expect(exportAll!.code).toBe(2); // no token: 401 is a usage error
    expect(exportAll!.stderr).toContain('AUDITLINE_TOKEN');
    Object.assign(whileServing, { exportCadf, search, detect });
    for (const r of [exportCadf, search, detect]) expect(r!.code, r!.stderr).toBe(0);
    expect(direct!.code).toBe(3);
    expect(direct!.stderr).toContain(`the process ${process.pid} (perhaps \`auditline serve\`)`);
    expect(ingest!.code).toBe(4);
    expect(ingest!.stderr).toContain(`the process ${process.pid}`);
    expect(wrong!.code).toBe(2);
    expect(wrong!.stderr).not.toContain('not-the-token-7f3a');
  }, 30_000);
});

describe('once serve has closed the store', () => {
  it('the same commands run locally print what --server printed', async () => {
    await server.close();
    const reader = await openStoreReader(server.store);
    const stored: string[] = [];
    for await (const rows of reader.events({})) stored.push(...rows);
    reader.close();
    expect(stored).toHaveLength(indexed);
    const [exportCadf, search, detect] = await Promise.all([
      cli(['export', '--store', server.store, '--profile', 'cadf', '--location', 'eu-de']),
      cli(['search', 'run', 'failed-requests', '--store', server.store, '--format', 'csv', ...RANGE]),
      cli(['detect', '--store', server.store, '--format', 'json', '--no-record', ...RANGE]),
    ]);
    expect(whileServing.exportCadf!.stdout.length).toBeGreaterThan(0);
    expect(whileServing.exportCadf!.stdout).toBe(exportCadf!.stdout);
    expect(whileServing.search!.stdout.split('\n').length).toBeGreaterThan(2);
    expect(whileServing.search!.stdout).toBe(search!.stdout);
    expect(JSON.parse(whileServing.detect!.stdout)).toEqual(JSON.parse(detect!.stdout));
  }, 30_000);
});
