import { createReadStream, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { runIngest } from '../../src/run/ingest.js';
import { accountingHolds } from '../../src/run/summary.js';
import { tempDir, TEST_ENV } from '../helpers/env.js';
import { queryStore, tablesOf } from '../helpers/store.js';

const FIXTURES = join(import.meta.dirname, '../../fixtures/raw');
const KP = join(FIXTURES, 'key-protect.ndjson');
const SM = join(FIXTURES, 'secrets-manager.ndjson');
const MALFORMED = join(FIXTURES, 'malformed.ndjson');

function ingest(paths: string[], dir: string, extra: Partial<Parameters<typeof runIngest>[0]> = {}) {
  return runIngest({ paths, dataDir: dir, env: TEST_ENV, ...extra });
}

/** Every event an NDJSON output folder holds, with the location folder and day file it is in. */
function writtenEvents(out: string): { location: string; file: string; event: unknown }[] {
  return readdirSync(out).flatMap((location) =>
    readdirSync(join(out, location)).flatMap((file) =>
      readFileSync(join(out, location, file), 'utf8')
        .trim()
        .split('\n')
        .map((l) => ({ location, file, event: JSON.parse(l) as unknown })),
    ),
  );
}

describe('ingest into DuckDB', () => {
  it('accounts for every line of every fixture, per source and in total', async () => {
    const dir = tempDir();
    const s = await ingest([FIXTURES], dir);
    for (const counts of [s, ...Object.values(s.sources)]) expect(accountingHolds(counts)).toBe(true);
    const lines = [KP, SM, MALFORMED].map(
      (f) =>
        readFileSync(f, 'utf8')
          .split('\n')
          .filter((_, i, a) => i < a.length - 1 || a[i] !== '').length,
    );
    expect(s.linesRead).toBe(lines.reduce((a, b) => a + b, 0));
    expect(s.eventsIndexed).toBeGreaterThan(150);
    expect(s.filtered).toBeGreaterThan(0);
    expect(s.deadLettered).toBeGreaterThan(0);
    const [row] = await queryStore(
      join(dir, 'auditline.duckdb'),
      `SELECT ${(await tablesOf(join(dir, 'auditline.duckdb'))).map((t) => `(SELECT count(*) FROM ${t})`).join(' + ')} AS n`,
    );
    expect(Number(row!.n)).toBe(s.eventsIndexed);
  });

  it('re-ingesting the same files indexes nothing new and counts every event as a duplicate', async () => {
    const dir = tempDir();
    const first = await ingest([KP, SM], dir);
    const second = await ingest([KP, SM], dir);
    expect(second.eventsIndexed).toBe(0);
    expect(second.duplicatesSkipped).toBe(first.eventsIndexed);
    expect(accountingHolds(second)).toBe(true);
  });

  it('keeps each location in its own table: an eu-de event is never in us-south', async () => {
    const dir = tempDir();
    const s = await ingest([KP, SM], dir);
    const store = join(dir, 'auditline.duckdb');
    const tables = await tablesOf(store);
    expect(tables).toEqual(expect.arrayContaining(['events_us_south', 'events_eu_de']));
    for (const table of tables) {
      const location = table.slice('events_'.length).replace(/_/g, '-');
      const rows = await queryStore(
        store,
        `SELECT count(*) AS n FROM ${table} WHERE location <> '${location}' OR (event->>'location') <> '${location}' OR (event->>'logSourceCRN') NOT LIKE '%:${location}:%'`,
      );
      expect(Number(rows[0]!.n)).toBe(0);
      expect(s.byLocation[location]).toBeGreaterThan(0);
    }
  });

  it('stores key fields as columns that agree with the event JSON', async () => {
    const dir = tempDir();
    await ingest([KP], dir);
    const rows = await queryStore(
      join(dir, 'auditline.duckdb'),
      `SELECT * EXCLUDE (event), epoch_ms(event_time) AS ms, event::VARCHAR AS json FROM events_us_south`,
    );
    expect(rows.length).toBeGreaterThan(10);
    for (const r of rows) {
      const e = JSON.parse(String(r.json)) as {
        id: string;
        action: string;
        outcome: string;
        severity: string;
        service: string;
        location: string;
        dataEvent: boolean;
        correlationId?: string;
        '@timestamp': string;
        auditline: { line: number };
        reason: { reasonCode: number };
        initiator: { id: string; name: string; host: { address: string } };
        target: { id: string; typeURI: string };
      };
      expect(r).toMatchObject({
        id: e.id,
        action: e.action,
        outcome: e.outcome,
        severity: e.severity,
        service: e.service,
        initiator_id: e.initiator.id,
        initiator_name: e.initiator.name,
        source_address: e.initiator.host.address || null,
        target_id: e.target.id,
        target_type: e.target.typeURI,
        correlation_id: e.correlationId ?? null,
        reason_code: e.reason.reasonCode,
        data_event: e.dataEvent,
        location: e.location,
        source: KP,
        line: e.auditline.line,
      });
      expect(Number(r.ms)).toBe(Date.parse(e['@timestamp']));
    }
  });

  it('survives malformed input: truncated JSON, binary garbage, blank lines, a 5 MB line', async () => {
    const dir = tempDir();
    const mixed = join(dir, 'mixed.ndjson');
    const good = readFileSync(KP, 'utf8').split('\n').slice(0, 20);
    const garbage = Buffer.from([0xff, 0xfe, 0x00, 0x9c, 0x7b, 0x22, 0xc3, 0x28]);
    const fiveMb = `{"req":{"method":"GET","url":"/api/v2/keys","headers":{"host":"us-south.kms.cloud.ibm.com"}},"pad":"${'x'.repeat(5 * 1024 * 1024)}"}`;
    writeFileSync(
      mixed,
      Buffer.concat([
        Buffer.from(`${good.slice(0, 10).join('\n')}\n`),
        Buffer.from('{"req":{"method":"GET","url":"/api/v2/ke\n'),
        garbage,
        Buffer.from('\n\n   \n'),
        Buffer.from(`${fiveMb}\n`),
        Buffer.from(`${good.slice(10, 20).join('\n')}\n`),
      ]),
    );
    const dlq = join(dir, 'dlq.ndjson');
    const s = await ingest([mixed], dir, { dlq, maxLineBytes: 1024 * 1024 });
    // 10 good, truncated JSON, garbage, two blank lines, the 5 MB line, 10 good
    expect(s.linesRead).toBe(10 + 1 + 1 + 2 + 1 + 10);
    expect(accountingHolds(s)).toBe(true);
    expect(s.deadLetteredBy).toMatchObject({ malformed_json: 2, line_too_long: 1 });
    expect(s.filteredBy['blank line']).toBe(2);
    const rejects = readFileSync(dlq, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    const tooLong = rejects.find((r) => r.code === 'line_too_long')!;
    expect(tooLong).toMatchObject({ source: mixed, line: 15 });
    expect(String(tooLong.text).length).toBeLessThan(2048);
    for (const r of rejects) expect(r.lineFingerprint).toMatch(/^hmac-sha256:[0-9a-f]{64}$/);
  });

  it('reads gzip files, globs and stdin like plain files', async () => {
    const dir = tempDir();
    const gz = join(dir, 'kp.ndjson.gz');
    writeFileSync(gz, gzipSync(readFileSync(KP)));
    const fromGz = await ingest([gz], join(dir, 'a'));
    const fromGlob = await ingest([join(FIXTURES, 'key-*.ndjson')], join(dir, 'b'));
    const fromStdin = await ingest(['-'], join(dir, 'c'), { stdin: createReadStream(KP) });
    expect(fromGz.eventsIndexed).toBeGreaterThan(0);
    expect(fromGlob.eventsIndexed).toBe(fromGz.eventsIndexed);
    expect(fromStdin.eventsIndexed).toBe(fromGz.eventsIndexed);
    expect(Object.keys(fromStdin.sources)).toEqual(['-']);
  });

  it('gives the same results with transform worker threads', async () => {
    const dir = tempDir();
    // Small chunks: many results in flight across both workers, so order and accounting are exercised.
    const one = await ingest([FIXTURES], join(dir, 'a'), { chunkBytes: 4096 });
    const two = await ingest([FIXTURES], join(dir, 'b'), { chunkBytes: 4096, workers: 2 });
    const pick = (s: typeof one) => [s.linesRead, s.eventsIndexed, s.deadLettered, s.filtered, s.byAction, s.byLocation];
    expect(pick(two)).toEqual(pick(one));
  });

  it("stores a line found in two inputs with the first input's provenance, with workers too", async () => {
    const dir = tempDir();
    const all = readFileSync(KP, 'utf8')
      .split('\n')
      .filter((l) => l !== '');
    // A key request that becomes an event (not a health check), last in the first input, after many small chunks.
    const shared = all.filter((l) => l.includes('"/api/v2/keys') && l.includes('"statusCode":200')).at(-1)!;
    const lines = [...all.filter((l) => l !== shared), shared];
    writeFileSync(join(dir, 'a.ndjson'), `${lines.join('\n')}\n`);
    writeFileSync(join(dir, 'b.ndjson'), `${shared}\n`);
    for (const run of ['1', '2', '3']) {
      const out = join(dir, `out-${run}`);
      const s = await ingest([join(dir, 'a.ndjson'), join(dir, 'b.ndjson')], join(dir, `data-${run}`), { out, chunkBytes: 1024, workers: 2 });
      expect(s.sources[join(dir, 'b.ndjson')]).toMatchObject({ eventsIndexed: 0, duplicatesSkipped: 1 });
      const stored = writtenEvents(out).map((w) => (w.event as { auditline: { source: string; line: number } }).auditline);
      expect(stored.filter((p) => p.source.endsWith('b.ndjson'))).toEqual([]);
      expect(stored).toContainEqual(expect.objectContaining({ source: join(dir, 'a.ndjson'), line: lines.length }));
    }
  });
});

describe('ingest into NDJSON files', () => {
  it('writes DIR/<location>/<date>.ndjson and is idempotent too', async () => {
    const dir = tempDir();
    const out = join(dir, 'out');
    const first = await ingest([KP], dir, { out });
    const second = await ingest([KP], dir, { out });
    expect(second.eventsIndexed).toBe(0);
    expect(second.duplicatesSkipped).toBe(first.eventsIndexed);
    const written = writtenEvents(out);
    for (const { location, file, event } of written) {
      expect(file).toMatch(/^\d{4}-\d{2}-\d{2}\.ndjson$/);
      const e = event as { location: string; eventTime: string };
      expect(e.location).toBe(location);
      expect(e.eventTime.slice(0, 10)).toBe(file.slice(0, 10));
    }
    expect(written.length).toBe(first.eventsIndexed);
  });
});
