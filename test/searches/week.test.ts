import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runIngest } from '../../src/run/ingest.js';
import { runDetection } from '../../src/searches/detect.js';
import type { Finding } from '../../src/searches/findings.js';
import { openLedger } from '../../src/searches/ledger.js';
import { BUNDLED_SEARCHES_DIR, loadSearchFolder } from '../../src/searches/load.js';
import { openSearchStore, type SearchStore } from '../../src/searches/run.js';
import { TEST_ENV } from '../helpers/env.js';
import { ordinaryWeek, plantedAnomalies } from './week.js';

/**
 * Detection over a generated week of one account's ordinary traffic (week.ts): nothing high or
 * critical over the whole week, nothing at all over its last six days (the first as history) or its
 * last day (the six before as history); with one
 * anomaly per bundled rule planted in the last day, each rule raises exactly one finding, and a
 * second run finds every one of them known.
 */
const START = Date.parse('2025-11-15T00:00:00Z'); // a Saturday: the last day is Friday 2025-11-21
const DAY_MS = 86_400_000;
const week = ordinaryWeek({ startMs: START });
const planted = plantedAnomalies(week.lastDayMs);
const lastDay = { sinceMs: week.lastDayMs, untilMs: week.lastDayMs + DAY_MS };

let dir: string;
let store: SearchStore;
const dataDir = () => join(dir, 'data');
const storePath = () => join(dataDir(), 'auditline.duckdb');
async function ingest(name: string, lines: string[]): Promise<number> {
  const input = join(dir, `${name}.ndjson`);
  writeFileSync(input, `${lines.join('\n')}\n`);
  const summary = await runIngest({ paths: [input], dataDir: dataDir(), env: TEST_ENV, workers: 0 });
  expect(summary.deadLettered).toBe(0);
  return summary.eventsIndexed;
}

let indexed = 0;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'auditline-week-'));
  indexed = await ingest('week', week.lines);
  store = await openSearchStore(storePath());
}, 60_000);
afterAll(() => {
  store?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const detect = (store: SearchStore, range: { sinceMs: number; untilMs: number }) => runDetection(store, { dir: BUNDLED_SEARCHES_DIR, ...range });
const bySeverity = (findings: Finding[]) =>
  Object.fromEntries(['critical', 'high', 'medium', 'low', 'informational'].map((s) => [s, findings.filter((f) => f.severity === s).length]));

describe('detection over a generated week of ordinary traffic', () => {
  it('is a week of an account: seven days, people in working hours, a stable cast', () => {
    expect(indexed).toBe(week.lines.length);
    expect(week.lines.length).toBeGreaterThan(20_000);
    const times = week.lines.map((l) => Date.parse((JSON.parse(l) as { time: string }).time));
    expect(Math.min(...times)).toBeGreaterThanOrEqual(START);
    expect(Math.max(...times)).toBeLessThan(START + 7 * DAY_MS);
    const days = new Set(times.map((t) => Math.floor((t - START) / DAY_MS)));
    expect([...days].sort()).toEqual([0, 1, 2, 3, 4, 5, 6]);
  });

  it('raises no high or critical finding over the whole week, and nothing at all over its last six days or its last day', async () => {
    const whole = await detect(store, { sinceMs: START, untilMs: START + 7 * DAY_MS });
    expect(bySeverity(whole)).toEqual({ critical: 0, high: 0, medium: whole.length, low: 0, informational: 0 });
    // With no history before the week, each workload's first use of each of its keys is new to it.
    const firstUses = new Set(whole.map((f) => `${f.group['target.id']} ${String(f.values)}`));
    expect(whole.every((f) => f.name === 'new-principal-on-key' && f.firstSeen < new Date(START + DAY_MS).toISOString())).toBe(true);
    expect(firstUses.size).toBe(whole.length);
    // Baselines measure the history the store has: one day of it, a Saturday's, is enough to judge the weekdays by.
    expect(await detect(store, { sinceMs: START + DAY_MS, untilMs: START + 7 * DAY_MS })).toEqual([]);
    expect(await detect(store, lastDay)).toEqual([]);
  });

  it('raises each planted anomaly once, by its own rule, and nothing else', async () => {
    store.close();
    expect(
      await ingest(
        'planted',
        planted.flatMap((p) => p.lines),
      ),
    ).toBe(planted.reduce((n, p) => n + p.lines.length, 0));
    store = await openSearchStore(storePath());
    const found = await detect(store, lastDay);
    const rules = loadSearchFolder(BUNDLED_SEARCHES_DIR)
      .filter((s) => s.definition?.type === 'rule')
      .map((s) => s.name)
      .sort();
    expect(planted.map((p) => p.rule).sort()).toEqual(rules);
    expect(found.map((f) => f.name).sort()).toEqual(rules);
    for (const p of planted) {
      const f = found.find((x) => x.name === p.rule)!;
      const ids = new Set(p.lines.map((l) => (JSON.parse(l) as { req: { id: string } }).req.id));
      expect(ids.size, p.rule).toBe(p.lines.length);
      expect(f.firstSeen >= new Date(lastDay.sinceMs).toISOString(), p.rule).toBe(true);
    }
  });

  it('a second run shows every finding as known, none as new', async () => {
    const ledger = join(dir, 'findings.ndjson');
    const first = await detect(store, lastDay);
    expect(openLedger(ledger).record(first)).toEqual(first.map(() => 'new'));
    const second = await detect(store, lastDay);
    expect(second).toEqual(first);
    expect(openLedger(ledger).record(second)).toEqual(second.map(() => 'known'));
  });
});
