import { spawn, spawnSync } from 'node:child_process';
import { existsSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createSigningKeyFile, publicKeyFromPem } from '../../src/secrets/signing-key.js';
import { digestOf, entriesOf, parseEntries, rowHashSql, HASHED_COLUMNS } from '../../src/sinks/digest-chain.js';
import { readDigests } from '../../src/sinks/duckdb/digests.js';
import { openReadOnly, verifyStore } from '../../src/sinks/duckdb/verify.js';
import { readExportedChain } from '../../src/cli/digests.js';
import { TEST_ENV, TEST_HMAC_KEY, tempDir } from '../helpers/env.js';
import { queryStore } from '../helpers/store.js';
import { findingsOf, ingest, ingestInParts, KP, named, storeOf, tamper } from './helpers.js';

const CLI = join(import.meta.dirname, '../../dist/cli/main.js');
const CORPUS = join(import.meta.dirname, '../../bench/corpus/corpus-20000.ndjson');

function cli(args: string[], env: NodeJS.ProcessEnv = TEST_ENV) {
  return spawnSync(process.execPath, [CLI, ...args], { env: { ...process.env, ...env }, encoding: 'utf8' });
}

/**
 * What an attacker with write access to the file and auditline's code does: change a row, then
 * recompute every digest of its chain from there on, so the store agrees with itself again.
 */
async function rewriteChain(store: string, location: string, id: string): Promise<void> {
  const table = `events_${location.replace(/-/g, '_')}`;
  await tamper(store, `UPDATE ${table} SET event = json_merge_patch(event, '{"outcome":"success"}') WHERE id = '${id}'`);
  const [row] = await queryStore(store, `SELECT ${rowHashSql(HASHED_COLUMNS)} AS h FROM ${table} WHERE id = '${id}'`);
  const r = await openReadOnly(store);
  const updates: string[] = [];
  try {
    let previous: string | undefined;
    let rewriting = false;
    for await (const d of readDigests(r.conn, location)) {
      const pairs = parseEntries(d.entries).map((e) => (e.id === id ? ((rewriting = true), { id, hash: String(row!.h) }) : e));
      if (!rewriting) {
        previous = d.digest;
        continue;
      }
      const entries = entriesOf(pairs);
      const next = { ...d, previous: previous ?? d.previous, entries };
      const digest = digestOf(next, entries);
      updates.push(
        `UPDATE digests_${location.replace(/-/g, '_')} SET previous = '${next.previous}', entries = '${entries}', digest = '${digest}', signature = NULL, key_id = NULL WHERE seq = ${d.seq}`,
      );
      previous = digest;
    }
  } finally {
    r.close();
  }
  await tamper(store, ...updates);
}

describe('signed digests and an exported chain', () => {
  it('signs every digest once a signing key exists, and checks the signatures with the public key alone', async () => {
    const dir = tempDir();
    const key = createSigningKeyFile(join(dir, 'signing.key'), dir);
    expect(statSync(join(dir, 'signing.key')).mode & 0o777).toBe(0o600);
    expect(String(key.material)).toBe('[redacted]');
    await ingestInParts(dir);
    const pub = publicKeyFromPem(key.publicKeyPem, 'test');
    const report = await verifyStore(storeOf(dir), { keys: [pub] });
    expect(report.intact).toBe(true);
    for (const l of report.locations) expect(l.chain.signaturesChecked).toBe(l.chain.digests);
  });

  it('with signatures checked, a chain rewritten without the key is named; without them it is not', async () => {
    const dir = tempDir();
    const key = createSigningKeyFile(join(dir, 'signing.key'), dir);
    await ingestInParts(dir);
    const [row] = await queryStore(storeOf(dir), 'SELECT id FROM events_us_south ORDER BY id LIMIT 1');
    await rewriteChain(storeOf(dir), 'us-south', String(row!.id));
    // The store agrees with itself: only what it cannot recompute (the signatures) gives it away.
    expect(await findingsOf(storeOf(dir))).toEqual([]);
    const findings = await findingsOf(storeOf(dir), { keys: [publicKeyFromPem(key.publicKeyPem, 'test')] });
    expect(findings.length).toBeGreaterThan(0);
    expect(new Set(findings.map((f) => f.kind))).toEqual(new Set(['signature_missing']));
  });

  it('verify --digests names the events of a store whose chain was rewritten after the export', async () => {
    const dir = tempDir();
    await ingestInParts(dir);
    const exported = join(dir, 'chain.ndjson');
    const out = cli(['digests', 'export', '--data-dir', dir]);
    expect(out.status).toBe(0);
    writeFileSync(exported, out.stdout);
    expect(cli(['verify', '--data-dir', dir, '--digests', exported]).status).toBe(0);

    const [row] = await queryStore(storeOf(dir), 'SELECT id FROM events_us_south ORDER BY id LIMIT 1');
    const id = String(row!.id);
    await rewriteChain(storeOf(dir), 'us-south', id);
    expect(await findingsOf(storeOf(dir))).toEqual([]);
    const findings = named(await findingsOf(storeOf(dir), { exported: readExportedChain(exported) }));
    expect(findings).toContain(`row_altered us-south ${id}`);
    expect(findings.filter((f) => f.startsWith('export_digest_differs')).length).toBeGreaterThan(0);

    const r = cli(['verify', '--data-dir', dir, '--digests', exported, '--json']);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('AL_STORE_TAMPERED');
    const report = JSON.parse(r.stdout) as { intact: boolean };
    expect(report.intact).toBe(false);
  });

  it('the CLI exits 0 on an intact store and 1 naming the row on a tampered one; keys never reach the output', async () => {
    const dir = tempDir();
    const key = cli(['digests', 'keygen', '--data-dir', dir]);
    expect(key.status).toBe(0);
    expect(key.stdout).toContain('BEGIN PUBLIC KEY');
    expect(cli(['digests', 'keygen', '--data-dir', dir]).status).toBe(2);
    await ingest([KP], dir);
    const ok = cli(['verify', '--data-dir', dir]);
    expect(ok.status).toBe(0);
    expect(ok.stdout).toMatch(/us-south: intact: \d+ rows, 1 digests covering \d+ events \(1 signed, 1 signatures checked\)/);
    const [row] = await queryStore(storeOf(dir), 'SELECT id FROM events_us_south LIMIT 1');
    await tamper(storeOf(dir), `DELETE FROM events_us_south WHERE id = '${String(row!.id)}'`);
    const bad = cli(['verify', '--data-dir', dir]);
    expect(bad.status).toBe(1);
    expect(bad.stdout).toContain(`row_removed: row removed: ${String(row!.id)}`);
    for (const text of [key.stdout, key.stderr, ok.stdout, bad.stdout, bad.stderr]) {
      expect(text).not.toContain('PRIVATE');
      expect(text).not.toContain(TEST_HMAC_KEY);
    }
  });
});

function storeBytes(dir: string): number {
  return [storeOf(dir), `${storeOf(dir)}.wal`].reduce((n, f) => n + (existsSync(f) ? statSync(f).size : 0), 0);
}

describe('crash between writes', () => {
  it.skipIf(!existsSync(CORPUS))(
    'ingest killed with SIGKILL at several points leaves a valid chain each time, and a last run completes it',
    async () => {
      const dir = tempDir();
      // Kill points by bytes on disk (store and WAL): before the first commit, during writes, after some.
      for (const killAt of [1_000_000, 5_000_000, 12_000_000]) {
        const child = spawn(process.execPath, [CLI, 'ingest', CORPUS, '--data-dir', dir, '--workers', '0', '--digests'], {
          env: { ...process.env, ...TEST_ENV },
          stdio: 'ignore',
        });
        const exited = new Promise((r) => child.once('exit', r));
        // Bounded by the child's own exit, not by a clock: on a loaded machine the first commit may come late.
        while (child.exitCode === null && storeBytes(dir) < killAt) await new Promise((r) => setTimeout(r, 10));
        child.kill('SIGKILL');
        await exited;
        const v = cli(['verify', '--data-dir', dir]);
        expect(v.stdout + v.stderr).not.toMatch(/TAMPERED|AL_STORE_TAMPERED/);
      }
      const last = cli(['ingest', CORPUS, '--data-dir', dir, '--workers', '0', '--digests', '--json']);
      expect(last.status).toBe(0);
      const resumed = JSON.parse(last.stdout) as { eventsIndexed: number; duplicatesSkipped: number };
      expect(resumed.duplicatesSkipped).toBeGreaterThan(0);
      const v = cli(['verify', '--data-dir', dir, '--json']);
      expect(v.status).toBe(0);
      const report = JSON.parse(v.stdout) as { locations: { rows: number; chain: { events: number } }[] };
      const rows = report.locations.reduce((n, l) => n + l.rows, 0);
      expect(report.locations.reduce((n, l) => n + l.chain.events, 0)).toBe(rows);
      expect(rows).toBe(resumed.eventsIndexed + resumed.duplicatesSkipped);
    },
    180_000,
  );
});
