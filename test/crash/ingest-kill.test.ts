import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../helpers/env.js';
import { CLI, distinctLines, exitOf, spawnCli } from './processes.js';
import { repeatedIds, storeSnapshot } from './store-snapshot.js';

/**
 * Kill points per run of this file. Each costs about one and a half ingest runs of the input (the
 * killed one and the rerun to completion); AUDITLINE_CRASH_POINTS=100 runs many more.
 */
const POINTS = Number(process.env.AUDITLINE_CRASH_POINTS ?? 4);
const FILES = 4;
const LINES_PER_FILE = 150;
/** A seed makes a failing sequence of kill points repeatable: AUDITLINE_CRASH_SEED=<the printed seed>. */
const SEED = Number(process.env.AUDITLINE_CRASH_SEED ?? Date.now() % 1_000_000);

/** mulberry32: small, seeded, good enough to spread kill points. */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function ingestArgs(inputs: string, dataDir: string): string[] {
  return ['ingest', inputs, '--data-dir', dataDir, '--no-progress', '--workers', '0'];
}

async function ingestToCompletion(inputs: string, dataDir: string): Promise<void> {
  const done = await exitOf(spawnCli(ingestArgs(inputs, dataDir)));
  expect(done.code, done.stderr).toBe(0);
}

/**
 * How a kill point is chosen: at a random time within a clean run's duration, or a random short
 * time after DuckDB's write-ahead log appears (the commit is under way), where a torn write would be.
 */
type Aim = { kind: 'time'; ms: number } | { kind: 'commit'; ms: number };

async function killAt(inputs: string, dataDir: string, aim: Aim): Promise<string> {
  const child = spawnCli(ingestArgs(inputs, dataDir));
  const exit = exitOf(child);
  let exited = false;
  void exit.then(() => (exited = true));
  if (aim.kind === 'time') {
    await sleep(aim.ms);
  } else {
    const wal = join(dataDir, 'auditline.duckdb.wal');
    while (!exited && !existsSync(wal)) await sleep(1);
    await sleep(aim.ms);
  }
  child.kill('SIGKILL');
  const e = await exit;
  // A run that finished before the kill is a kill point after the end: still a valid point.
  return e.signal === 'SIGKILL' ? `killed ${aim.kind} +${aim.ms} ms` : `finished before ${aim.kind} +${aim.ms} ms (exit ${e.code})`;
}

describe.skipIf(!existsSync(CLI))('ingest killed with SIGKILL at random points (needs npm run build)', () => {
  it(
    `run again to completion after each kill, stores what a clean run stores, each event once (${POINTS} points)`,
    async () => {
      const dir = tempDir();
      const inputs = join(dir, 'in');
      mkdirSync(inputs);
      const lines = distinctLines(FILES * LINES_PER_FILE, 'crash');
      for (let f = 0; f < FILES; f++)
        writeFileSync(join(inputs, `part-${f}.ndjson`), `${lines.slice(f * LINES_PER_FILE, (f + 1) * LINES_PER_FILE).join('\n')}\n`);

      const cleanDir = join(dir, 'clean');
      const started = performance.now();
      await ingestToCompletion(inputs, cleanDir);
      const cleanMs = performance.now() - started;
      const clean = await storeSnapshot(join(cleanDir, 'auditline.duckdb'));
      expect(clean.length).toBeGreaterThan(FILES * LINES_PER_FILE * 0.9);

      const next = random(SEED);
      const log: string[] = [];
      for (let p = 0; p < POINTS; p++) {
        const dataDir = join(dir, `point-${p}`);
        // One to three kills in a row (a rerun killed again), then a run to completion.
        const kills = 1 + Math.floor(next() * 3);
        const outcomes: string[] = [];
        for (let k = 0; k < kills; k++) {
          const aim: Aim = next() < 0.5 ? { kind: 'time', ms: Math.round(next() * cleanMs) } : { kind: 'commit', ms: Math.round(next() * 30) };
          outcomes.push(await killAt(inputs, dataDir, aim));
        }
        await ingestToCompletion(inputs, dataDir);
        const store = join(dataDir, 'auditline.duckdb');
        log.push(`point ${p}: ${outcomes.join(', ')}`);
        expect(await repeatedIds(store), `seed ${SEED}, ${log.at(-1)}`).toEqual([]);
        expect(await storeSnapshot(store), `seed ${SEED}, ${log.at(-1)}`).toEqual(clean);
      }
      if (process.env.AUDITLINE_REPORT) process.stderr.write(`seed ${SEED}, clean run ${Math.round(cleanMs)} ms\n${log.join('\n')}\n`);
    },
    60_000 + POINTS * 15_000,
  );

  it('a second ingest on a store another process holds fails at once with exit 4, naming the holder', async () => {
    const dir = tempDir();
    const logs = join(dir, 'logs');
    mkdirSync(logs);
    writeFileSync(join(logs, 'a.ndjson'), `${distinctLines(10, 'held').join('\n')}\n`);
    // A follower keeps the store open for as long as it runs.
    const holder = spawnCli(['ingest', '--follow', logs, '--data-dir', dir, '--poll-ms', '100', '--no-progress', '--workers', '0']);
    const held = exitOf(holder);
    try {
      while (!existsSync(join(dir, 'auditline.duckdb'))) await sleep(20);
      // Fails fast: it exits on its own while the holder still runs (no waiting on the lock), which no clock is needed to show.
      const second = await exitOf(spawnCli(ingestArgs(join(logs, 'a.ndjson'), dir)));
      expect(holder.exitCode).toBe(null);
      expect(second.code, second.stderr).toBe(4);
      expect(second.stderr).toContain('AL_SINK_IO');
      expect(second.stderr).toContain(`the store is held by the process ${holder.pid} (\`auditline ingest\`)`);
    } finally {
      holder.kill('SIGTERM');
      await held;
    }
  });
});
