import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { appendFileSync, closeSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { CLI, distinctLines, exitOf, spawnCli } from '../crash/processes.js';
import { storeSnapshot } from '../crash/store-snapshot.js';
import { runIngest } from '../../src/run/ingest.js';
import { tempDir, TEST_ENV } from '../helpers/env.js';
import { BEARER, ndjson, startTestServer, storedIds, type TestServer } from '../server/helpers.js';

/** A tmpfs of this size holds a store of a few thousand events and fills up on purpose. */
const DISK_BYTES = 8 * 1024 * 1024;

/** Mounting needs root and a container that allows it; without, the tests that need a small disk are skipped. */
function canMount(): boolean {
  if (process.platform !== 'linux') return false;
  const probe = mkdtempSync(join(tmpdir(), 'auditline-mount-probe-'));
  const ok = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', probe]).status === 0;
  if (ok) spawnSync('umount', [probe]);
  rmSync(probe, { recursive: true, force: true });
  return ok;
}
const MOUNTABLE = canMount();

const mounts: string[] = [];
afterEach(() => {
  while (mounts.length) {
    const m = mounts.pop()!;
    spawnSync('umount', [m]);
    rmSync(m, { recursive: true, force: true });
  }
});

/** A small disk of its own: a size-limited tmpfs. */
function smallDisk(): string {
  const dir = mkdtempSync(join(tmpdir(), 'auditline-small-disk-'));
  const r = spawnSync('mount', ['-t', 'tmpfs', '-o', `size=${DISK_BYTES}`, 'tmpfs', dir]);
  if (r.status !== 0) throw new Error(`mount failed: ${r.stderr.toString()}`);
  mounts.push(dir);
  return dir;
}

function remount(dir: string, mode: 'ro' | 'rw'): void {
  const r = spawnSync('mount', ['-o', `remount,${mode}`, dir]);
  if (r.status !== 0) throw new Error(`remount ${mode} failed: ${r.stderr.toString()}`);
}

/** Fills the disk to its last byte; returns the filler's path (remove it and the space comes back). */
function fill(dir: string): string {
  const filler = join(dir, 'filler');
  const fd = openSync(filler, 'w');
  const block = Buffer.alloc(64 * 1024, 1);
  try {
    for (;;) writeSync(fd, block);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOSPC') throw e;
    // The last partial block: down to single bytes, so not even a small write fits.
    for (let size = block.length / 2; size >= 1; size = Math.floor(size / 2)) {
      try {
        for (;;) writeSync(fd, block, 0, size);
      } catch {
        // This size no longer fits; try a smaller one.
      }
    }
  } finally {
    closeSync(fd);
  }
  return filler;
}

function writeLines(path: string, lines: readonly string[]): void {
  writeFileSync(path, ndjson(lines));
}

const sha256 = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');

/** What a run without faults stores for the inputs, run in this process (no start-up to pay for). */
async function cleanStore(inputs: string[], dataDir: string): Promise<string> {
  await runIngest({ paths: inputs, dataDir, env: TEST_ENV, workers: 0 });
  return join(dataDir, 'auditline.duckdb');
}

async function ingest(inputs: string[], dataDir: string) {
  return exitOf(spawnCli(['ingest', ...inputs, '--data-dir', dataDir, '--no-progress', '--workers', '0']));
}

describe.skipIf(!existsSync(CLI) || !MOUNTABLE)('a full or read-only disk (tmpfs; needs root and npm run build)', () => {
  it('ingest stops with AL_SINK_IO and exit 4; the store opens and holds every batch committed before; once space returns the rerun completes it', async () => {
    const work = tempDir();
    const [a, b1, b2] = ['a', 'b1', 'b2'].map((n) => join(work, `${n}.ndjson`)) as [string, string, string];
    const lines = distinctLines(900, 'disk');
    writeLines(a, lines.slice(0, 300));
    writeLines(b1, lines.slice(300, 600));
    writeLines(b2, lines.slice(600));
    const clean = await cleanStore([a, b1, b2], join(work, 'clean'));

    const disk = smallDisk();
    const data = join(disk, 'data');
    expect((await ingest([a], data)).code).toBe(0);
    const store = join(data, 'auditline.duckdb');
    const committed = await storeSnapshot(store);
    expect(committed.length).toBeGreaterThan(0);

    const filler = fill(disk);
    const full = await ingest([b1, b2], data);
    expect(full.code, full.stderr).toBe(4);
    expect(full.stderr).toMatch(/^auditline: AL_SINK_IO: .*auditline\.duckdb.*No space left on device/m);
    expect(full.stderr).toMatch(/^auditline: the disk is full: nothing of the failed write was stored/m);
    // Every event committed before the fault, nothing of the failed write.
    expect(await storeSnapshot(store)).toEqual(committed);

    rmSync(filler);
    expect((await ingest([b1, b2], data)).code).toBe(0);
    expect(await storeSnapshot(store)).toEqual(await storeSnapshot(clean));
  }, 60_000);

  it('ingest --follow stops with exit 4 when the disk fills mid-run; the store holds what it committed before, and a restart once space returns stores the rest once', async () => {
    const work = tempDir();
    const logs = join(work, 'logs');
    mkdirSync(logs);
    const app = join(logs, 'app.log');
    const lines = distinctLines(400, 'follow-disk');
    const disk = smallDisk();
    const data = join(disk, 'data');
    const followArgs = ['ingest', '--follow', logs, '--data-dir', data, '--poll-ms', '50', '--no-progress', '--workers', '0'];
    writeLines(app, lines.slice(0, 100));
    const first = spawnCli(followArgs);
    const firstExit = exitOf(first);
    // Committed: the saved offset reaches the end of what was written.
    const state = join(data, 'follow-state.json');
    const size = Buffer.byteLength(ndjson(lines.slice(0, 100)));
    const offset = () => (existsSync(state) ? ((JSON.parse(readFileSync(state, 'utf8')) as { files: { offset: number }[] }).files[0]?.offset ?? 0) : 0);
    while (offset() < size) await sleep(20);

    const filler = fill(disk);
    appendFileSync(app, ndjson(lines.slice(100, 300)));
    const stopped = await firstExit;
    expect(stopped.code, stopped.stderr).toBe(4);
    expect(stopped.stderr).toMatch(/^auditline: AL_SINK_IO: .*(No space left on device|ENOSPC)/m);
    const firstInput = join(work, 'first.ndjson');
    writeLines(firstInput, lines.slice(0, 100));
    // By id: a row names the file its line came from, and these are two different files.
    expect((await storedIds(join(data, 'auditline.duckdb'))).sort()).toEqual((await storedIds(await cleanStore([firstInput], join(work, 'first')))).sort());

    rmSync(filler);
    appendFileSync(app, ndjson(lines.slice(300)));
    const second = spawnCli(followArgs);
    const secondExit = exitOf(second);
    const all = Buffer.byteLength(ndjson(lines));
    while (offset() < all) await sleep(20);
    second.kill('SIGTERM');
    expect((await secondExit).code).toBe(0);
    const allInput = join(work, 'all.ndjson');
    writeLines(allInput, lines);
    const ids = (await storedIds(join(data, 'auditline.duckdb'))).sort();
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids).toEqual((await storedIds(await cleanStore([allInput], join(work, 'all')))).sort());
  }, 60_000);

  it('ingest into a store on a read-only file system stops with AL_SINK_IO and exit 4, naming the cause', async () => {
    const work = tempDir();
    const input = join(work, 'a.ndjson');
    writeLines(input, distinctLines(50, 'ro'));
    const disk = smallDisk();
    const data = join(disk, 'data');
    expect((await ingest([input], data)).code).toBe(0);
    const before = await storeSnapshot(join(data, 'auditline.duckdb'));
    writeLines(input, distinctLines(60, 'ro'));
    remount(disk, 'ro');
    const r = await ingest([input], data);
    expect(r.code, r.stderr).toBe(4);
    expect(r.stderr).toMatch(/^auditline: AL_SINK_IO: .*Read-only file system/m);
    expect(r.stderr).toMatch(/^auditline: the store or its folder cannot be written/m);
    remount(disk, 'rw');
    expect(await storeSnapshot(join(data, 'auditline.duckdb'))).toEqual(before);
  }, 30_000);

  it('serve answers 503 with Retry-After while the disk is full, is not ready, and takes the same requests once space returns, without a restart', async () => {
    const disk = smallDisk();
    let server: TestServer | undefined = await startTestServer({ dir: disk });
    try {
      const lines = distinctLines(300, 'serve-disk');
      const post = (body: string) =>
        fetch(`${server!.url}/v1/ingest`, { method: 'POST', headers: { ...BEARER, 'content-type': 'application/x-ndjson' }, body });
      expect((await post(ndjson(lines.slice(0, 100)))).status).toBe(200);

      const filler = fill(disk);
      const refused = await post(ndjson(lines.slice(100, 200)));
      expect(refused.status).toBe(503);
      expect(refused.headers.get('retry-after')).toBe('1');
      expect((await fetch(`${server.url}/readyz`)).status).toBe(503);
      expect((await post(ndjson(lines.slice(200)))).status).toBe(503);
      const metrics = await (await fetch(`${server.url}/metrics`)).text();
      expect(metrics).toContain('auditline_requests_refused_total{route="/v1/ingest",reason="store_failure"} 2');

      rmSync(filler);
      // The shipper's retries: the same bodies again.
      expect((await post(ndjson(lines.slice(100, 200)))).status).toBe(200);
      expect((await post(ndjson(lines.slice(200)))).status).toBe(200);
      expect((await fetch(`${server.url}/readyz`)).status).toBe(200);
      await server.close();
      const ids = await storedIds(server.store);
      expect(new Set(ids).size).toBe(ids.length);
      const all = join(tempDir(), 'all.ndjson');
      writeLines(all, lines);
      expect(ids.sort()).toEqual((await storedIds(await cleanStore([all], join(tempDir(), 'expected')))).sort());
      server = undefined;
    } finally {
      await server?.close();
    }
  }, 60_000);
});

describe.skipIf(!existsSync(CLI))('a store that fails DuckDB’s own checks (needs npm run build)', () => {
  it('is reported as AL_STORE_CORRUPT (exit 7) by ingest, export and serve, and left byte for byte as it was', async () => {
    const work = tempDir();
    const input = join(work, 'a.ndjson');
    writeLines(input, distinctLines(300, 'corrupt'));
    const good = join(work, 'good');
    await cleanStore([input], good);

    // A damaged data block (its checksum no longer matches) and a damaged header.
    for (const [name, at] of [
      ['block', 4096],
      ['header', 8],
    ] as const) {
      const data = join(work, name);
      mkdirSync(data);
      const store = join(data, 'auditline.duckdb');
      copyFileSync(join(good, 'auditline.duckdb'), store);
      const bytes = readFileSync(store);
      for (let i = 0; i < 64; i++) bytes[at + i] = bytes[at + i]! ^ 0x5a;
      writeFileSync(store, bytes);
      const damaged = sha256(store);

      // One at a time: each opens the store, and DuckDB would refuse a second opener before its checks.
      const runs: Record<string, Awaited<ReturnType<typeof exitOf>>> = { ingest: await ingest([input], data) };
      // The other commands on one of the two damages: they open the store the same way.
      if (name === 'block') {
        runs.export = await exitOf(spawnCli(['export', '--store', store]));
        runs.serve = await exitOf(spawnCli(['serve', '--port', '0', '--data-dir', data, '--no-auth', '--workers', '0']));
      }
      for (const [command, r] of Object.entries(runs)) {
        expect(r.code, `${name} ${command}: ${r.stderr}`).toBe(7);
        expect(r.stderr, `${name} ${command}`).toMatch(
          /^auditline: AL_STORE_CORRUPT: .*fails DuckDB's own checks \((Corrupt database file|exists, but it is not)/m,
        );
      }
      expect(sha256(store)).toBe(damaged);
      expect(existsSync(`${store}.wal`)).toBe(false);
    }
  }, 60_000);
});
