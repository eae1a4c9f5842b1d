import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runIngest } from '../../../src/run/ingest.js';
import { openStoreReader } from '../../../src/sinks/duckdb/read.js';
import { configForUrl } from '../../../src/sinks/elasticsearch/config.js';
import { openEventSearch } from '../../../src/sinks/elasticsearch/search.js';
import { startFakeEs, type FakeEs } from '../../helpers/fake-es.js';
import { TEST_ENV } from '../../helpers/env.js';

/**
 * `auditline export --es` prints the same lines as the DuckDB export for the same events: the
 * fixtures are ingested into both, and each filter is exported from both. The CLI runs as a
 * child process (asynchronously: the fake cluster answers from this one).
 */
const FIXTURES = join(import.meta.dirname, '../../../fixtures/raw');
const CLI = join(import.meta.dirname, '../../../dist/cli/main.js');
const run = promisify(execFile);

let one: FakeEs;
let a: FakeEs;
let b: FakeEs;
let dataDir: string;
let esConfig: string;

beforeAll(async () => {
  [one, a, b] = await Promise.all([startFakeEs(), startFakeEs(), startFakeEs()]);
  dataDir = mkdtempSync(join(tmpdir(), 'auditline-es-export-'));
  esConfig = join(dataDir, 'es.yaml');
  writeFileSync(
    esConfig,
    ['clusters:', `  west: { url: "${a.url}", locations: [us-south, eu-de, au-syd] }`, `  east: { url: "${b.url}", locations: ["*"] }`, ''].join('\n'),
  );
  await runIngest({ paths: [FIXTURES], dataDir, env: TEST_ENV, workers: 0 });
  await runIngest({ paths: [FIXTURES], dataDir, dlq: join(dataDir, 'dl-one.ndjson'), es: one.url, esSetup: true, env: TEST_ENV, workers: 0 });
  await runIngest({ paths: [FIXTURES], dataDir, dlq: join(dataDir, 'dl-two.ndjson'), esConfig, esSetup: true, env: TEST_ENV, workers: 0 });
});
afterAll(async () => {
  await Promise.all([one, a, b].map((es) => es?.close()));
  rmSync(dataDir, { recursive: true, force: true });
});

const exported = async (args: string[]) => (await run('node', [CLI, 'export', ...args], { encoding: 'utf8' })).stdout;

describe('export --es against the DuckDB export of the same events', () => {
  const filters: [string, string[]][] = [
    ['every location', []],
    ['one location', ['--location', 'us-south']],
    ['a time range', ['--since', '2025-11-18T00:00:00Z', '--until', '2025-11-21T12:00:00Z']],
    ['the strict CADF profile', ['--profile', 'cadf', '--location', 'eu-de']],
  ];
  for (const [what, args] of filters) {
    it(`prints the same lines for ${what}, from one cluster and from two`, async () => {
      const duck = await exported([...args, '--data-dir', dataDir]);
      expect(duck.split('\n').length).toBeGreaterThan(5);
      expect(await exported([...args, '--es', one.url])).toBe(duck);
      expect(await exported([...args, '--es-config', esConfig])).toBe(duck);
    });
  }

  it('reads each location only from its own cluster, and pages through a stream with search_after', async () => {
    // A stray copy of an eu-gb event on the cluster that does not hold eu-gb is never read.
    const stray = b.documents().find((d) => d.source.location === 'eu-gb')!;
    a.streams.set(stray.stream, { backing: [new Map([[stray.id, stray.source]])], template: 'auditline-events' });
    const reader = await openStoreReader(join(dataDir, 'auditline.duckdb'));
    const expected: string[] = [];
    for await (const rows of reader.events({})) expected.push(...rows);
    reader.close();
    const search = openEventSearch(
      {
        ...configForUrl(a.url),
        clusters: [
          { name: 'west', url: a.url, locations: ['us-south', 'eu-de', 'au-syd'] },
          { name: 'east', url: b.url, locations: '*' },
        ],
      },
      { pageSize: 7 },
    );
    const got: string[] = [];
    let pages = 0;
    for await (const rows of search.events({})) {
      got.push(...rows);
      pages++;
    }
    await search.close();
    a.streams.delete(stray.stream);
    expect(got).toEqual(expected);
    expect(pages).toBeGreaterThan(expected.length / 7);
    const searches = [...a.requests, ...b.requests].filter((r) => r.path.endsWith('/_search') && r.path.includes('eu_gb'));
    expect(searches.length).toBeGreaterThan(0);
    expect(a.requests.filter((r) => r.path.endsWith('/_search') && r.path.includes('eu_gb'))).toEqual([]);
  });

  it('exits with the request error code when the cluster cannot be reached', async () => {
    const err = await exported(['--es', 'http://127.0.0.1:1']).catch((e: { code: number; stderr: string }) => e);
    expect(err).toMatchObject({ code: 4, stderr: expect.stringContaining('AL_ES_REQUEST') as unknown });
  });
});
