import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { runIngest } from '../../src/run/ingest.js';
import { accountingHolds } from '../../src/run/summary.js';
import { tempDir, TEST_ENV } from '../helpers/env.js';
import { queryStore, tablesOf } from '../helpers/store.js';

const FIXTURES = join(import.meta.dirname, '../../fixtures/raw');
const CLI = join(import.meta.dirname, '../../dist/cli/main.js');
const lines = (f: string) =>
  readFileSync(join(FIXTURES, f), 'utf8')
    .split('\n')
    .filter((l) => l !== '');

/** A folder: a good file, a .gz cut in the middle of its compressed stream, another good file. */
function damagedFolder(): { dir: string; input: string; goodLines: number; gzLines: string[] } {
  const dir = tempDir();
  const input = join(dir, 'logs');
  mkdirSync(input);
  const kp = lines('key-protect.ndjson');
  writeFileSync(join(input, 'a.ndjson'), `${kp.slice(0, 40).join('\n')}\n`);
  const sm = lines('secrets-manager.ndjson');
  const gz = gzipSync(`${sm.join('\n')}\n`);
  writeFileSync(join(input, 'b.ndjson.gz'), gz.subarray(0, Math.floor(gz.length * 0.6)));
  writeFileSync(join(input, 'c.ndjson'), `${kp.slice(40).join('\n')}\n`);
  return { dir, input, goodLines: kp.length, gzLines: sm };
}

async function storedCount(store: string): Promise<number> {
  let n = 0;
  for (const t of await tablesOf(store)) n += Number((await queryStore(store, `SELECT count(*) AS n FROM ${t}`))[0]!.n);
  return n;
}

describe('a damaged .gz in a folder', () => {
  it('costs only its damaged part: both good files and its readable lines are stored, one dead-letter entry, accounting exact', async () => {
    const { dir, input, goodLines, gzLines } = damagedFolder();
    const s = await runIngest({ paths: [input], dataDir: dir, env: TEST_ENV });
    const [a, b, c] = ['a.ndjson', 'b.ndjson.gz', 'c.ndjson'].map((f) => s.sources[join(input, f)]!);
    expect(a!.linesRead + c!.linesRead).toBe(goodLines);
    for (const counts of [s, a!, b!, c!]) expect(accountingHolds(counts)).toBe(true);
    // Lines decoded before the damage were processed; the damage counts as one line, dead-lettered.
    expect(b!.linesRead).toBeGreaterThan(10);
    expect(b!.linesRead).toBeLessThan(gzLines.length + 1);
    expect(b!.eventsIndexed).toBeGreaterThan(0);
    expect(s.deadLetteredBy.source_truncated).toBe(1);
    expect(s.damaged).toEqual([expect.objectContaining({ source: join(input, 'b.ndjson.gz'), code: 'source_truncated', line: b!.linesRead })]);
    const entries = readFileSync(join(dir, 'dead-letter.ndjson'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { code: string; source: string; line: number; reason: string });
    const damage = entries.filter((e) => e.code === 'source_truncated');
    expect(damage).toHaveLength(1);
    expect(damage[0]).toMatchObject({ source: join(input, 'b.ndjson.gz'), line: b!.linesRead });
    expect(damage[0]!.reason).toMatch(/unexpected end of file/);
    expect(await storedCount(join(dir, 'auditline.duckdb'))).toBe(s.eventsIndexed);
  });

  it('exits 0 from the command line and names the file in the summary', () => {
    const { dir, input } = damagedFolder();
    const r = spawnSync(process.execPath, [CLI, 'ingest', input, '--data-dir', dir], { encoding: 'utf8', env: { ...process.env, ...TEST_ENV } });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`damaged input +${join(input, 'b.ndjson.gz').replace(/[.]/g, '\\.')}: source_truncated from line \\d+`));
  });
});
