import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runIngest } from '../../src/run/ingest.js';
import { runDetection } from '../../src/searches/detect.js';
import { runEsDetection, runPlanOnEs } from '../../src/searches/es-run.js';
import { findSearch, planOf } from '../../src/searches/lint.js';
import { BUNDLED_SEARCHES_DIR, loadSearchFolder } from '../../src/searches/load.js';
import { resolveParams } from '../../src/searches/params.js';
import { openSearchStore, runPlan, type RunRange, type SearchStore } from '../../src/searches/run.js';
import { configForUrl, loadElasticsearchConfig } from '../../src/sinks/elasticsearch/config.js';
import { openEventSearch, type EventSearch } from '../../src/sinks/elasticsearch/search.js';
import { startFakeEs, type FakeEs } from '../helpers/fake-es.js';
import { TEST_ENV } from '../helpers/env.js';

/**
 * One definition, two backends: every bundled rule and search gives the same findings and events
 * on DuckDB (SQL) and on Elasticsearch (the DSL through the search entry point, answered by the
 * fake cluster, which computes its aggregations over what it stored) for the same fixture data.
 */
const FIXTURES = join(import.meta.dirname, 'fixtures');
const RAW = join(import.meta.dirname, '../../fixtures/raw');
const DAY = { sinceMs: Date.parse('2025-11-21T00:00:00Z'), untilMs: Date.parse('2025-11-22T00:00:00Z') };
const FORTNIGHT = { sinceMs: Date.parse('2025-11-14T00:00:00Z'), untilMs: Date.parse('2025-11-28T00:00:00Z') };
const fixtures = (kind: string) =>
  readdirSync(FIXTURES)
    .filter((f) => f.endsWith(`.${kind}.ndjson`))
    .map((f) => join(FIXTURES, f));
const CLI = join(import.meta.dirname, '../../dist/cli/main.js');
const run = promisify(execFile);
const ORDINARY = [join(RAW, 'key-protect.ndjson'), join(RAW, 'secrets-manager.ndjson')];

const RULES = loadSearchFolder(BUNDLED_SEARCHES_DIR).filter((s) => s.definition?.type === 'rule');
const SEARCHES = loadSearchFolder(BUNDLED_SEARCHES_DIR).filter((s) => s.definition?.type === 'search');

interface Backends {
  duck: SearchStore;
  es: EventSearch;
  /** What the command line is given: the store's folder and the cluster's URL (or configuration file) */
  dataDir: string;
  esArgs: string[];
}

const dirs: string[] = [];
const servers: FakeEs[] = [];
const opened: Backends[] = [];

/** The same logs into a DuckDB store and into Elasticsearch (one cluster, or the locations split over two). */
async function backendsOf(paths: string[], split = false): Promise<Backends> {
  const dataDir = mkdtempSync(join(tmpdir(), 'auditline-es-backends-'));
  dirs.push(dataDir);
  const first = await startFakeEs();
  servers.push(first);
  const duck = await runIngest({ paths, dataDir, env: TEST_ENV, workers: 0 });
  expect(duck.deadLettered).toBe(0);
  let config = configForUrl(first.url);
  let esArgs = ['--es', first.url];
  const sink = { dataDir, dlq: join(dataDir, 'dl-es.ndjson'), esSetup: true, env: TEST_ENV, workers: 0 } as const;
  if (split) {
    const second = await startFakeEs();
    servers.push(second);
    const file = join(dataDir, 'es.yaml');
    writeFileSync(
      file,
      ['clusters:', `  west: { url: "${first.url}", locations: [us-south, eu-gb] }`, `  east: { url: "${second.url}", locations: ["*"] }`, ''].join('\n'),
    );
    expect((await runIngest({ paths, ...sink, esConfig: file })).deadLettered).toBe(0);
    config = loadElasticsearchConfig(file);
    esArgs = ['--es-config', file];
  } else expect((await runIngest({ paths, ...sink, es: first.url })).deadLettered).toBe(0);
  const backends = { duck: await openSearchStore(join(dataDir, 'auditline.duckdb')), es: openEventSearch(config), dataDir, esArgs };
  opened.push(backends);
  return backends;
}

let fires: Backends;
let nearMiss: Backends;
let ordinary: Backends;
let firesSplit: Backends;
let ordinarySplit: Backends;
beforeAll(async () => {
  [fires, nearMiss, ordinary, firesSplit, ordinarySplit] = await Promise.all([
    backendsOf(fixtures('fires')),
    backendsOf(fixtures('near-miss')),
    backendsOf(ORDINARY),
    backendsOf(fixtures('fires'), true),
    backendsOf(ORDINARY, true),
  ]);
});
afterAll(async () => {
  for (const b of opened) {
    b.duck.close();
    await b.es.close();
  }
  await Promise.all(servers.map((s) => s.close()));
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const detectBoth = async (b: Backends, range: typeof DAY & { rules?: string[]; location?: string }) => {
  const opts = { dir: BUNDLED_SEARCHES_DIR, ...range };
  return { duck: await runDetection(b.duck, opts), es: await runEsDetection(b.es, opts) };
};

describe('every bundled rule gives the same findings on DuckDB and on Elasticsearch', () => {
  for (const rule of RULES) {
    it(`${rule.name}: on the logs made to trip it, on its near miss and on ordinary traffic`, async () => {
      const fired = await detectBoth(fires, { ...DAY, rules: [rule.name] });
      expect(fired.duck.length).toBeGreaterThan(0);
      expect(fired.es).toEqual(fired.duck);
      const missed = await detectBoth(nearMiss, { ...DAY, rules: [rule.name] });
      expect(missed.es).toEqual(missed.duck);
      const week = await detectBoth(ordinary, { ...FORTNIGHT, rules: [rule.name] });
      expect(week.es).toEqual(week.duck);
    });
  }

  it('all rules at once, and one location alone', async () => {
    const all = await detectBoth(fires, DAY);
    expect(all.es).toEqual(all.duck);
    const one = await detectBoth(fires, { ...DAY, location: 'eu-gb' });
    expect(one.duck.map((f) => f.name)).toEqual(['call-rate-anomaly']);
    expect(one.es).toEqual(one.duck);
  });

  it('temporal_ordered: the steps of a firing fixture, out of order, make no finding on either backend', async () => {
    // The dual-authorization fixture (schedule, then delete) and the same two lines with their times swapped.
    const lines = readFileSync(join(FIXTURES, 'dual-auth-bypass.fires.ndjson'), 'utf8').trim().split('\n');
    const times = lines.map((l) => (JSON.parse(l) as { time: string }).time);
    const dir = mkdtempSync(join(tmpdir(), 'auditline-es-order-'));
    dirs.push(dir);
    const swapped = join(dir, 'swapped.ndjson');
    writeFileSync(swapped, lines.map((l, i) => l.replace(`"time":"${times[i]}"`, `"time":"${times[lines.length - 1 - i]}"`)).join('\n') + '\n');
    const reversed = await backendsOf([swapped]);
    const none = await detectBoth(reversed, { ...DAY, rules: ['dual-auth-bypass'] });
    expect(none.duck).toEqual([]);
    expect(none.es).toEqual([]);
  });

  it('with locations on two clusters, the same findings, except that a rule counting locations sees each cluster alone', async () => {
    const both = await detectBoth(firesSplit, DAY);
    const countsLocations = (f: { name: string }) => f.name === 'multi-location-principal';
    expect(both.es.filter((f) => !countsLocations(f))).toEqual(both.duck.filter((f) => !countsLocations(f)));
    expect(both.duck.filter(countsLocations)).toHaveLength(1);
    expect(both.es.filter(countsLocations)).toEqual([]);
  });
});

describe('every bundled search returns the same events on DuckDB and on Elasticsearch', () => {
  const params: Record<string, Record<string, string>> = {
    'key-timeline': { key: '421ac911-8464-46ac-9396-6eb504bd1c52' },
    'correlation-trace': { correlationId: '' },
    'initiator-activity': { initiator: 'IBMid-270003GUSX' },
  };

  const runBoth = async (b: Backends, name: string, p: Record<string, string>, range: RunRange) => {
    const search = findSearch(name, BUNDLED_SEARCHES_DIR);
    const plan = planOf(search, resolveParams(name, search.definition!, p));
    return { duck: await runPlan(b.duck, plan, range), es: await runPlanOnEs(b.es, plan, range) };
  };

  beforeAll(async () => {
    // A correlation id the ordinary traffic holds, taken from the store.
    const rows = await ordinary.duck.query({
      sql: 'SELECT correlation_id FROM events_us_south WHERE correlation_id IS NOT NULL ORDER BY event_time LIMIT 1',
      params: {},
    });
    params['correlation-trace'] = { correlationId: String(rows[0]!.correlation_id) };
  });

  for (const search of SEARCHES) {
    it(`${search.name}: every event, one location, a time range and a limit, on one cluster and on two`, async () => {
      const p = params[search.name] ?? {};
      const ranges: RunRange[] = [
        { limit: 10_000 },
        { location: 'us-south', limit: 10_000 },
        { sinceMs: Date.parse('2025-11-20T00:00:00Z'), untilMs: Date.parse('2025-11-22T00:00:00Z'), limit: 10_000 },
        { limit: 3 },
      ];
      for (const range of ranges) {
        for (const b of [ordinary, ordinarySplit]) {
          const got = await runBoth(b, search.name, p, range);
          expect(got.es).toEqual(got.duck);
        }
      }
      const all = await runBoth(ordinary, search.name, p, {});
      expect(all.duck.kind === 'events' && all.duck.events.length).toBeGreaterThan(0);
    });
  }
});

describe('the command line with --es and --es-config', () => {
  const cli = async (args: string[]) => (await run('node', [CLI, ...args], { encoding: 'utf8' })).stdout;
  const day = ['--since', new Date(DAY.sinceMs).toISOString(), '--until', new Date(DAY.untilMs).toISOString()];

  it('detect prints the same findings from Elasticsearch as from the store', async () => {
    const findings = (out: string) => (JSON.parse(out) as { findings: unknown[] }).findings;
    const duck = findings(await cli(['detect', ...day, '--format', 'json', '--no-record', '--data-dir', fires.dataDir]));
    expect(duck.length).toBeGreaterThan(5);
    expect(findings(await cli(['detect', ...day, '--format', 'json', '--no-record', ...fires.esArgs]))).toEqual(duck);
  });

  it('search run prints the same events from Elasticsearch, on one cluster or two, as from the store', async () => {
    const args = ['search', 'run', 'initiator-activity', '--param', 'initiator=alice@example.com', '--format', 'ndjson'];
    const duck = await cli([...args, '--data-dir', ordinary.dataDir]);
    expect(duck.split('\n').length).toBeGreaterThan(2);
    expect(await cli([...args, ...ordinarySplit.esArgs])).toBe(duck);
  });
});
