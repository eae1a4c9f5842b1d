import { spawn } from 'node:child_process';
import { appendFileSync, copyFileSync, existsSync, mkdirSync, readFileSync, renameSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { runFollow, type FollowOptions } from '../../src/run/follow.js';
import { accountingHolds, type RunSummary } from '../../src/run/summary.js';
import type { FollowedFile } from '../../src/sources/follow-state.js';
import { idsOfLine } from '../../src/transforms/build/ids.js';
import { tempDir, TEST_ENV } from '../helpers/env.js';
import { queryStore } from '../helpers/store.js';

const ROOT = join(import.meta.dirname, '../..');
const CLI = join(ROOT, 'dist/cli/main.js');
/** A Key Protect request that becomes one us-south event; its request id makes each copy a distinct line. */
const TEMPLATE = readFileSync(join(ROOT, 'fixtures/raw/key-protect.ndjson'), 'utf8').split('\n')[0]!;

/** Distinct raw lines, each ending in a newline, and remembered as written. */
class Lines {
  readonly written: string[] = [];
  make(tag: string, n: number, { newline = true } = {}): string {
    const lines = Array.from({ length: n }, (_, i) => TEMPLATE.replace('"id":"r-5e1f"', `"id":"r-${tag}-${i}"`));
    this.written.push(...lines);
    return lines.join('\n') + (newline ? '\n' : '');
  }
  get ids(): string[] {
    return this.written.map((l) => idsOfLine(l).eventId).sort();
  }
}

/** Waits on a condition, never on a duration: the follower's pace depends on the machine. */
async function until(what: string, condition: () => boolean | Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

/** Short periods so rotations are noticed quickly; none of the assertions depends on them. */
const QUICK = { pollMs: 20, rescanMs: 50, releaseAfterMs: 300 };

function follow(dir: string, paths: string[], extra: Partial<FollowOptions> = {}) {
  const controller = new AbortController();
  let latest: RunSummary | undefined;
  const notices: string[] = [];
  const done = runFollow(
    { paths, dataDir: join(dir, 'data'), env: TEST_ENV, workers: 0, ...QUICK, onNotice: (n) => notices.push(n), onCommit: (s) => (latest = s), ...extra },
    controller.signal,
  );
  return {
    notices,
    indexed: () => latest?.eventsIndexed ?? 0,
    stop: () => {
      controller.abort();
      return done;
    },
  };
}

async function storedIds(dir: string): Promise<string[]> {
  const rows = await queryStore(join(dir, 'data/auditline.duckdb'), 'SELECT id FROM events_us_south ORDER BY id');
  return rows.map((r) => String(r.id));
}

function stateOf(dir: string): FollowedFile[] {
  const path = join(dir, 'data/follow-state.json');
  return existsSync(path) ? (JSON.parse(readFileSync(path, 'utf8')) as { files: FollowedFile[] }).files : [];
}

describe('ingest --follow', () => {
  it('reads appends, both kinds of rotation, truncation and new files, and resumes after a restart, storing every line once', async () => {
    const dir = tempDir();
    const logs = join(dir, 'logs');
    const app = join(logs, 'app.log');
    mkdirSync(logs);
    const lines = new Lines();
    writeFileSync(app, lines.make('a', 20));

    const first = follow(dir, [logs]);
    await until('the existing lines', () => first.indexed() === 20);
    appendFileSync(app, lines.make('b', 10));
    await until('appended lines', () => first.indexed() === 30);

    // Rotation by rename: the writer finishes in the old file before it opens the new one.
    appendFileSync(app, lines.make('c', 5));
    renameSync(app, `${app}.1`);
    appendFileSync(`${app}.1`, lines.make('d', 5));
    writeFileSync(app, lines.make('e', 5));
    await until('both files after a rename', () => first.indexed() === 45);

    // Copy-truncate: lines written after the last read survive only in the copy.
    appendFileSync(app, lines.make('f', 5));
    copyFileSync(app, `${app}.2`);
    truncateSync(app, 0);
    appendFileSync(app, lines.make('g', 3));
    await until('the copy and the truncated file', () => first.indexed() === 53);

    // Truncated and rewritten past the old offset before the follower looks: only the first bytes tell.
    truncateSync(app, 0);
    appendFileSync(app, lines.make('h', 10));
    await until('a rewritten file', () => first.indexed() === 63);

    writeFileSync(join(logs, 'other.log'), lines.make('i', 7));
    await until('a new file in the folder', () => first.indexed() === 70);
    const one = await first.stop();

    // Written while nobody follows: the restart resumes at the saved offsets.
    appendFileSync(app, lines.make('j', 4));
    appendFileSync(join(logs, 'other.log'), lines.make('k', 2));
    const second = follow(dir, [logs]);
    await until('lines written while stopped', () => second.indexed() === 6);
    const two = await second.stop();

    for (const s of [one, two]) {
      expect(accountingHolds(s)).toBe(true);
      for (const counts of Object.values(s.sources)) expect(accountingHolds(counts)).toBe(true);
      // Nothing was read twice: a renamed file is known by its inode, a copy by its first bytes.
      expect(s.duplicatesSkipped).toBe(0);
      expect(s.deadLettered).toBe(0);
    }
    expect(one.linesRead + two.linesRead).toBe(lines.written.length);
    expect(first.notices.join('\n')).toMatch(/app\.log\.2 is a copy of .*app\.log: reading it from line 6/);
    expect(first.notices.join('\n')).toMatch(/app\.log was rewritten: reading it from the start/);
    expect(await storedIds(dir)).toEqual(lines.ids);
  });

  it('reads a file renamed away from its followed name to its end, unterminated last line included, then lets it go', async () => {
    const dir = tempDir();
    const app = join(dir, 'app.log');
    const lines = new Lines();
    writeFileSync(app, lines.make('a', 5));
    const follower = follow(dir, [app]);
    await until('the first lines', () => follower.indexed() === 5);

    appendFileSync(app, lines.make('b', 3) + lines.make('partial', 1, { newline: false }));
    renameSync(app, join(dir, 'app.old'));
    await until('the renamed file read to its end', () => follower.indexed() === 9);
    await until('the renamed file let go', () => stateOf(dir).length === 0);
    writeFileSync(app, lines.make('c', 2));
    await until('the file created at the followed name', () => follower.indexed() === 11);
    const s = await follower.stop();

    expect(s.linesRead).toBe(11);
    expect(accountingHolds(s)).toBe(true);
    expect(stateOf(dir).map((f) => f.path)).toEqual([app]);
    expect(await storedIds(dir)).toEqual(lines.ids);
    // Each event keeps its line's number in its file, across cycles: 1-9 in the first file, 1-2 in the second.
    const rows = await queryStore(join(dir, 'data/auditline.duckdb'), 'SELECT id, line FROM events_us_south');
    const lineOf = new Map(rows.map((r) => [String(r.id), Number(r.line)]));
    expect(lines.written.map((l) => lineOf.get(idsOfLine(l).eventId))).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 1, 2]);
  });

  it('refuses to start on a damaged state file, naming it', async () => {
    const dir = tempDir();
    mkdirSync(join(dir, 'data'));
    writeFileSync(join(dir, 'data/follow-state.json'), '{"version":1,"files":[{"path":"a"');
    await expect(follow(dir, [dir]).stop()).rejects.toMatchObject({ code: 'AL_SOURCE_IO', message: expect.stringContaining('follow-state.json') as unknown });
  });

  it('never follows its own output, even when the followed folder holds the data folder', async () => {
    const logs = tempDir();
    const lines = new Lines();
    writeFileSync(join(logs, 'app.log'), `${lines.make('a', 3)}not a log record\n`);
    const follower = follow(logs, [logs], { dataDir: join(logs, 'auditline-data') });
    await until('the first file', () => follower.indexed() === 3);
    // A file that appears later is found by a listing made after the store and dead-letter file exist.
    writeFileSync(join(logs, 'later.log'), lines.make('b', 2));
    await until('a later file', () => follower.indexed() === 5);
    const s = await follower.stop();

    expect(Object.keys(s.sources).sort()).toEqual([join(logs, 'app.log'), join(logs, 'later.log')]);
    expect(s.linesRead).toBe(6);
    expect(s.deadLettered).toBe(1);
  });

  it('a follower killed mid-stream and restarted stores every line exactly once', async () => {
    const dir = tempDir();
    const logs = join(dir, 'logs');
    const app = join(logs, 'app.log');
    mkdirSync(logs);
    const lines = new Lines();
    writeFileSync(app, '');
    const start = () =>
      spawn(process.execPath, [CLI, 'ingest', '--follow', logs, '--data-dir', join(dir, 'data'), '--poll-ms', '20', '--workers', '0', '--json'], {
        env: { ...process.env, ...TEST_ENV },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
    const committed = () => stateOf(dir).find((f) => f.path === app)?.offset ?? 0;

    // Notices go to stderr: drained, so a full pipe never blocks the follower, and shown if it fails.
    let stderr = '';
    const killed = start();
    killed.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    let batch = 0;
    const write = () => appendFileSync(app, lines.make(`w${batch++}`, 10));
    // Keep writing until some lines are committed, so the kill lands while lines are in flight.
    await until('a first commit', async () => {
      write();
      await sleep(30);
      return committed() > 0;
    });
    write();
    killed.kill('SIGKILL');
    await new Promise((resolve) => killed.once('exit', resolve));
    for (let i = 0; i < 5; i++) write();

    const restarted = start();
    let stdout = '';
    restarted.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    restarted.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    await until('every line committed after the restart', () => committed() === statSync(app).size, 30_000);
    const exited = new Promise<number | null>((resolve) => restarted.once('exit', resolve));
    restarted.kill('SIGTERM');
    expect(await exited, stderr).toBe(0);

    const summary = JSON.parse(stdout) as RunSummary;
    expect(accountingHolds(summary)).toBe(true);
    expect(await storedIds(dir)).toEqual(lines.ids);
  });
});
