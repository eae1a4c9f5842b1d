import { copyFileSync, existsSync, mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { runIngest } from '../src/run/ingest.js';
import { defaultStorePath } from '../src/run/sink-choice.js';
import { planOf } from '../src/searches/lint.js';
import { BUNDLED_SEARCHES_DIR, loadSearchFolder } from '../src/searches/load.js';
import type { Plan } from '../src/searches/plan.js';
import { openSearchStore, runPlan, type SearchStore } from '../src/searches/run.js';
import { TABLE_PREFIX } from '../src/sinks/duckdb/schema.js';
import { ordinaryWeek, plantedAnomalies } from '../test/searches/week.js';
import { BENCH_KEY_ENV } from './bench-key.js';
import type { StageReport } from './stage-result.js';

/**
 * `detect`: every bundled detection rule over a store of `AUDITLINE_BENCH_DETECT_EVENTS` events
 * (default 10 million), one rule at a time as `auditline detect` runs them (searches/detect.ts),
 * each timed, over the whole stored range (every event read by every rule), then once more over
 * the last day only (what `serve`'s scheduled detection reads).
 *
 * The store holds an account's ordinary traffic, not the corpus: the corpus draws every request's
 * key, principal and action at random, which no account does (every principal deletes keys, at any
 * hour), so its findings would be in the tens of thousands. One generated week (the week the
 * detection tests use, test/searches/week.ts, at `WORKLOAD_CALLS_PER_HOUR`, with one anomaly per rule
 * in its last day) is ingested, then its rows are copied inside DuckDB, week after week, each copy
 * with new ids and shifted by a week, until the store holds the events asked for. Copies follow one
 * another in time as ingested weeks would, so zone maps on the time column work as on a real store.
 * Building is not measured (`buildSec`) and its result is kept, as the corpora are, in
 * `bench/corpus/detect-<events>-v<STORE_VERSION>.duckdb`, which later runs read (read-only, as `detect`
 * does); delete it, or raise STORE_VERSION when the week or the store's layout changes. Figures: events, events scanned per second, seconds per rule
 * (`sec:<rule>`, `daySec:<rule>` for the last day), findings.
 */

const INGEST_WORKERS = 2;
const DEFAULT_EVENTS = 10_000_000;
const DAY_MS = 86_400_000;
const WEEK_MS = 7 * DAY_MS;
/** About 137k events a week: 10 million events are 74 weeks of it. */
const WORKLOAD_CALLS_PER_HOUR = 100;
const WEEK_START = Date.parse('2025-11-15T00:00:00Z');
/** Part of the kept store's name: raised when what the store holds or how it is laid out changes. */
const STORE_VERSION = 1;
const STORE_DIR = 'bench/corpus';

export async function detect(_corpus: string): Promise<StageReport> {
  const wanted = Number(process.env.AUDITLINE_BENCH_DETECT_EVENTS ?? DEFAULT_EVENTS);
  const kept = join(STORE_DIR, `detect-${wanted}-v${STORE_VERSION}.duckdb`);
  const buildStarted = performance.now();
  if (!existsSync(kept)) await build(kept, wanted);
  const buildSec = (performance.now() - buildStarted) / 1000;
  const { events, firstMs, lastMs } = await storeRange(kept);
  const store = await openSearchStore(kept);
  try {
    const plans = loadSearchFolder(BUNDLED_SEARCHES_DIR)
      .filter((s) => s.definition?.type === 'rule')
      .map((s) => ({ name: s.name, plan: planOf(s, {}) }));
    const cpuBefore = process.cpuUsage();
    const whole = await pass(store, plans, { sinceMs: firstMs, untilMs: lastMs + 1 });
    const cpu = process.cpuUsage(cpuBefore);
    const day = await pass(store, plans, { sinceMs: lastMs + 1 - DAY_MS, untilMs: lastMs + 1 });
    const slowest = Object.entries(whole.perRule).sort((a, b) => b[1] - a[1])[0];
    return {
      lines: events,
      ms: whole.ms,
      cpuUs: cpu.user + cpu.system,
      readsCorpus: false,
      figures: {
        events,
        buildSec,
        rules: plans.length,
        findings: whole.findings,
        eventsScannedPerSec: (events * plans.length) / (whole.ms / 1000),
        secPerRule: whole.ms / 1000 / plans.length,
        slowestRuleSec: slowest?.[1] ?? NaN,
        lastDaySec: day.ms / 1000,
        lastDayFindings: day.findings,
        ...Object.fromEntries(Object.entries(whole.perRule).map(([name, s]) => [`sec:${name}`, s])),
        ...Object.fromEntries(Object.entries(day.perRule).map(([name, s]) => [`daySec:${name}`, s])),
      },
    };
  } finally {
    store.close();
  }
}

/** Builds the store in a temporary folder, then moves it where later runs find it. */
async function build(kept: string, wanted: number): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'auditline-bench-detect-'));
  try {
    const week = ordinaryWeek({ startMs: WEEK_START, workloadCallsPerHour: WORKLOAD_CALLS_PER_HOUR });
    const input = join(dir, 'week.ndjson');
    writeFileSync(input, `${[...week.lines, ...plantedAnomalies(week.lastDayMs).flatMap((p) => p.lines)].join('\n')}\n`);
    await runIngest({ paths: [input], dataDir: dir, env: BENCH_KEY_ENV, workers: INGEST_WORKERS });
    await replicate(defaultStorePath(dir), wanted, WEEK_MS);
    mkdirSync(STORE_DIR, { recursive: true });
    try {
      renameSync(defaultStorePath(dir), kept);
    } catch {
      copyFileSync(defaultStorePath(dir), kept);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function storeRange(path: string): Promise<{ events: number; firstMs: number; lastMs: number }> {
  const instance = await DuckDBInstance.create(path, { access_mode: 'READ_ONLY' });
  const conn = await instance.connect();
  try {
    return await rangeOf(conn, await tablesOf(conn));
  } finally {
    conn.closeSync();
    instance.closeSync();
  }
}

async function tablesOf(conn: DuckDBConnection): Promise<string[]> {
  const r = await conn.runAndReadAll(`SELECT table_name FROM information_schema.tables WHERE table_name LIKE '${TABLE_PREFIX}%'`);
  return r.getRows().map(([t]) => String(t));
}

async function pass(
  store: SearchStore,
  plans: { name: string; plan: Plan }[],
  range: { sinceMs: number; untilMs: number },
): Promise<{ ms: number; findings: number; perRule: Record<string, number> }> {
  const perRule: Record<string, number> = {};
  let findings = 0;
  const started = performance.now();
  for (const { name, plan } of plans) {
    const ruleStarted = performance.now();
    const result = await runPlan(store, plan, range);
    perRule[name] = (performance.now() - ruleStarted) / 1000;
    if (result.kind === 'findings') findings += result.findings.length;
  }
  return { ms: performance.now() - started, findings, perRule };
}

/**
 * Copies the ingested rows of every location until the store holds at least `wanted` events: copy
 * `k` has ids suffixed `~k` and times shifted by `k` times `shiftMs`, inserted one copy at a time in
 * time order so that row groups keep narrow time ranges.
 */
async function replicate(path: string, wanted: number, shiftMs: number): Promise<void> {
  const instance = await DuckDBInstance.create(path);
  const conn = await instance.connect();
  try {
    const tables = await tablesOf(conn);
    const seed = await rangeOf(conn, tables);
    if (seed.lastMs - seed.firstMs >= shiftMs) throw new Error('the seed spans more than one shift: copies would overlap');
    const copies = Math.max(1, Math.ceil(wanted / Math.max(1, seed.events)));
    for (const t of tables) await conn.run(`CREATE TEMP TABLE "seed_${t}" AS SELECT * FROM "${t}" ORDER BY event_time, id`);
    for (let k = 1; k < copies; k++) {
      await conn.run('BEGIN');
      for (const t of tables) {
        await conn.run(
          `INSERT INTO "${t}" SELECT * REPLACE (id || '~' || $k AS id, event_time + to_milliseconds($shift::BIGINT) AS event_time) FROM "seed_${t}"`,
          { k: String(k), shift: k * shiftMs },
        );
      }
      await conn.run('COMMIT');
    }
    await conn.run('CHECKPOINT');
  } finally {
    conn.closeSync();
    instance.closeSync();
  }
}

async function rangeOf(conn: DuckDBConnection, tables: string[]): Promise<{ events: number; firstMs: number; lastMs: number }> {
  let events = 0;
  let firstMs = Infinity;
  let lastMs = -Infinity;
  for (const t of tables) {
    const [row] = (
      await conn.runAndReadAll(
        `SELECT count(*)::BIGINT AS n, epoch_ms(min(event_time))::DOUBLE AS first, epoch_ms(max(event_time))::DOUBLE AS last FROM "${t}"`,
      )
    ).getRowObjectsJS();
    events += Number(row?.n ?? 0);
    if (row?.first !== null && row?.first !== undefined) firstMs = Math.min(firstMs, Number(row.first));
    if (row?.last !== null && row?.last !== undefined) lastMs = Math.max(lastMs, Number(row.last));
  }
  return { events, firstMs, lastMs };
}
