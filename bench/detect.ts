import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runIngest } from '../src/run/ingest.js';
import { defaultStorePath } from '../src/run/sink-choice.js';
import { planOf } from '../src/searches/lint.js';
import { BUNDLED_SEARCHES_DIR, loadSearchFolder } from '../src/searches/load.js';
import { openSearchStore, runPlan } from '../src/searches/run.js';
import { tableOf } from '../src/sinks/duckdb/schema.js';
import { BENCH_KEY_ENV } from './bench-key.js';
import type { StageReport } from './stage-result.js';

/**
 * `detect`: every bundled detection rule over a store of the corpus, one rule at a time as
 * `auditline detect` runs them (searches/detect.ts), each timed. The store is ingested first for the
 * stage (not measured); the range covers every event, from the first stored one to now. Figures: events in the store, events scanned
 * per second (each rule reads the whole range), seconds per rule.
 */

const INGEST_WORKERS = 2;

export async function detect(file: string): Promise<StageReport> {
  const dir = mkdtempSync(join(tmpdir(), 'auditline-bench-detect-'));
  try {
    await runIngest({ paths: [file], dataDir: dir, env: BENCH_KEY_ENV, workers: INGEST_WORKERS });
    const store = await openSearchStore(defaultStorePath(dir));
    try {
      let events = 0;
      let firstMs = Date.now();
      for (const location of await store.locations()) {
        const [row] = await store.query({
          sql: `SELECT count(*)::INTEGER AS n, epoch_ms(min(event_time))::DOUBLE AS first FROM ${tableOf(location)}`,
          params: {},
        });
        events += Number(row?.n ?? 0);
        if (row?.first !== null && row?.first !== undefined) firstMs = Math.min(firstMs, Number(row.first));
      }
      const plans = loadSearchFolder(BUNDLED_SEARCHES_DIR)
        .filter((s) => s.definition?.type === 'rule')
        .map((s) => ({ name: s.name, plan: planOf(s, {}) }));
      const range = { sinceMs: firstMs, untilMs: Date.now() };
      const perRule: Record<string, number> = {};
      let findings = 0;
      const cpuBefore = process.cpuUsage();
      const started = performance.now();
      for (const { name, plan } of plans) {
        const ruleStarted = performance.now();
        const result = await runPlan(store, plan, range);
        perRule[name] = (performance.now() - ruleStarted) / 1000;
        if (result.kind === 'findings') findings += result.findings.length;
      }
      const ms = performance.now() - started;
      const cpu = process.cpuUsage(cpuBefore);
      const slowest = Object.entries(perRule).sort((a, b) => b[1] - a[1])[0];
      return {
        lines: events,
        ms,
        cpuUs: cpu.user + cpu.system,
        readsCorpus: false,
        figures: {
          events,
          rules: plans.length,
          findings,
          eventsScannedPerSec: (events * plans.length) / (ms / 1000),
          secPerRule: ms / 1000 / plans.length,
          slowestRuleSec: slowest?.[1] ?? NaN,
          ...Object.fromEntries(Object.entries(perRule).map(([name, s]) => [`sec:${name}`, s])),
        },
      };
    } finally {
      store.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
