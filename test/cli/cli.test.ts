import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir, TEST_ENV } from '../helpers/env.js';

/** The built CLI, as a user runs it (npm test builds dist/ first). */
const CLI = join(import.meta.dirname, '../../dist/cli/main.js');
const FIXTURES = join(import.meta.dirname, '../../fixtures/raw');

function auditline(args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {}) {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', cwd: opts.cwd, env: { ...process.env, ...TEST_ENV, ...opts.env } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('auditline CLI', () => {
  it('ingest --json prints one summary object and exits 0 even with dead-lettered lines', () => {
    const dir = tempDir();
    const r = auditline(['ingest', FIXTURES, '--data-dir', dir, '--json']);
    expect(r.code).toBe(0);
    const summary = JSON.parse(r.stdout) as Record<string, unknown>;
    for (const key of ['linesRead', 'eventsIndexed', 'deadLettered', 'duplicatesSkipped', 'filtered', 'byLocation', 'byAction', 'redactions']) {
      expect(summary).toHaveProperty(key);
    }
    expect(summary.deadLettered).toBeGreaterThan(0);
    expect(existsSync(join(dir, 'auditline.duckdb'))).toBe(true);
    expect(existsSync(join(dir, 'dead-letter.ndjson'))).toBe(true);
  });

  it('stops with exit 2 and file:line on an invalid pipeline file', () => {
    const dir = tempDir();
    const bad = join(dir, 'bad.yaml');
    writeFileSync(bad, 'name: bad\nservice: bad\nbogus: 1\n');
    const r = auditline(['ingest', FIXTURES, '--data-dir', dir, '--pipeline', bad]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(new RegExp(`AL_CONFIG_INVALID: ${bad}:3: unknown key "bogus"`));
  });

  it('stops with exit 3 when an input does not exist', () => {
    const r = auditline(['ingest', '/nonexistent/logs', '--data-dir', tempDir()]);
    expect(r.code).toBe(3);
    expect(r.stderr).toContain('AL_SOURCE_IO');
  });

  it('rejects an unknown flag with exit 2', () => {
    expect(auditline(['ingest', FIXTURES, '--no-such-flag']).code).toBe(2);
  });

  it('export filters by location and time and orders by time', () => {
    const dir = tempDir();
    expect(auditline(['ingest', FIXTURES, '--data-dir', dir]).code).toBe(0);
    const all = auditline(['export', '--data-dir', dir, '--location', 'eu-de']);
    expect(all.code).toBe(0);
    const events = all.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { location: string; '@timestamp': string });
    expect(events.length).toBeGreaterThan(5);
    expect(new Set(events.map((e) => e.location))).toEqual(new Set(['eu-de']));
    const times = events.map((e) => e['@timestamp']);
    expect([...times].sort()).toEqual(times);
    const middle = times[Math.floor(times.length / 2)]!;
    const since = auditline(['export', '--data-dir', dir, '--location', 'eu-de', '--since', middle]).stdout.trim().split('\n');
    expect(since.length).toBe(times.filter((t) => t >= middle).length);
    expect(auditline(['export', '--data-dir', dir, '--since', 'yesterday-ish']).code).toBe(2);
  });

  it('validate reports and writes nothing, exiting 1 when a line is invalid', () => {
    const dir = tempDir();
    const ok = auditline(['validate', join(FIXTURES, 'key-protect.ndjson')], { cwd: dir });
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(/invalid\s+0/);
    const bad = auditline(['validate', join(FIXTURES, 'malformed.ndjson'), '--json'], { cwd: dir });
    expect(bad.code).toBe(1);
    expect(JSON.parse(bad.stdout)).toMatchObject({ invalid: expect.any(Number) });
    expect(readdirSync(dir)).toEqual([]);
  });
});
