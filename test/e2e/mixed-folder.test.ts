import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { runIngest } from '../../src/run/ingest.js';
import { accountingHolds } from '../../src/run/summary.js';
import { tempDir, TEST_ENV } from '../helpers/env.js';
import { queryStore, tablesOf } from '../helpers/store.js';

/**
 * Issue 4's "done when": one folder with every input shape ingests in one command, with
 * correct counts per format and per file, and the accounting invariant per file.
 */
const FORMATS = join(import.meta.dirname, '../../fixtures/formats/input');
const RAW = join(import.meta.dirname, '../../fixtures/raw');

function lineCount(file: string): number {
  const text = readFileSync(file, 'utf8');
  return text.split('\n').length - (text.endsWith('\n') ? 1 : 0);
}

/** Builds the folder: each entry is a file name in it, how it is made, and the format counts its lines must give. */
function mixedFolder(dir: string): Record<string, Record<string, number>> {
  const folder = join(dir, 'in');
  mkdirSync(join(folder, 'archive', 'year=2021', 'month=06', 'day=01'), { recursive: true });
  const copy = (from: string, to: string) => copyFileSync(from, join(folder, to));
  const gzip = (from: string, to: string) => writeFileSync(join(folder, to), gzipSync(readFileSync(from)));

  copy(join(RAW, 'key-protect.ndjson'), 'kp-service.ndjson');
  copy(join(FORMATS, 'at-irregular.ndjson'), 'at-export.ndjson');
  gzip(join(FORMATS, 'reference-samples.ndjson'), 'at-export-2020.ndjson.gz');
  copy(join(FORMATS, 'at-export-array.json'), 'ui-export.json');
  gzip(join(FORMATS, 'reference-samples.json'), 'ui-export-2020.json.gz');
  copy(join(FORMATS, 'es-search-response.json'), 'search-dump.json');
  gzip(join(FORMATS, 'at-archive.ndjson'), 'archive/year=2021/month=06/day=01/b2e5a2a1.2021-06-01.0100.json.gz');
  copy(join(FORMATS, 'logdna.ndjson'), 'logdna-export.jsonl');
  copy(join(FORMATS, 'vault-audit.ndjson'), 'vault_audit.log');
  copy(join(FORMATS, 'access-combined.log'), 'nginx-access.log');
  copy(join(FORMATS, 'access-envoy.log'), 'envoy-access.log');

  // Lines per format, per file. Records that match no format (one array element) are not counted.
  return {
    'kp-service.ndjson': { 'service-log': lineCount(join(RAW, 'key-protect.ndjson')) },
    'at-export.ndjson': { 'activity-tracker': 23 },
    'at-export-2020.ndjson.gz': { 'activity-tracker': 3 },
    'ui-export.json': { 'activity-tracker': 3 },
    'ui-export-2020.json.gz': { 'activity-tracker': 3 },
    'search-dump.json': { 'activity-tracker': 2 },
    'archive/year=2021/month=06/day=01/b2e5a2a1.2021-06-01.0100.json.gz': { 'at-archive': 5 },
    'logdna-export.jsonl': { logdna: 4 },
    'vault_audit.log': { 'vault-audit': 21 },
    'nginx-access.log': { 'access-combined': 8 },
    'envoy-access.log': { 'access-envoy': 4 },
  };
}

describe('a mixed folder of every input shape', () => {
  it('ingests in one command with the right counts per format and per file, and every line accounted for', async () => {
    const dir = tempDir();
    const expected = mixedFolder(dir);
    const folder = join(dir, 'in');
    const s = await runIngest({ paths: [folder], dataDir: dir, env: TEST_ENV });

    const byFile = Object.fromEntries(Object.entries(s.sources).map(([name, c]) => [name.slice(folder.length + 1), c]));
    expect(Object.keys(byFile).sort()).toEqual(Object.keys(expected).sort());
    for (const [file, formats] of Object.entries(expected)) {
      expect(byFile[file]!.format, file).toEqual(formats);
      expect(accountingHolds(byFile[file]!), file).toBe(true);
    }
    expect(accountingHolds(s)).toBe(true);
    const totals: Record<string, number> = {};
    for (const formats of Object.values(expected)) for (const [f, n] of Object.entries(formats)) totals[f] = (totals[f] ?? 0) + n;
    expect(s.byFormat).toEqual(totals);

    // What the golden files say each shape gives, seen from the summary.
    expect(byFile['vault_audit.log']).toMatchObject({ linesRead: 21, eventsIndexed: 9, filtered: 11, deadLettered: 1 });
    expect(byFile['ui-export.json']).toMatchObject({ linesRead: 4, eventsIndexed: 3, deadLettered: 1 });
    expect(s.filteredBy['vault request (joined with its response)']).toBe(10);

    const store = join(dir, 'auditline.duckdb');
    const tables = await tablesOf(store);
    const union = tables.map((t) => `SELECT event->>'$.auditline.format' AS format FROM ${t}`).join(' UNION ALL ');
    const rows = await queryStore(store, `SELECT format, count(*) AS n FROM (${union}) GROUP BY format ORDER BY format`);
    const stored = Object.fromEntries(rows.map((r) => [String(r.format), Number(r.n)]));
    expect(Object.values(stored).reduce((a, b) => a + b, 0)).toBe(s.eventsIndexed);
    expect(Object.keys(stored).sort()).toEqual(['access-combined', 'access-envoy', 'activity-tracker', 'at-archive', 'logdna', 'service-log', 'vault-audit']);
    // The same reference samples arrive as NDJSON and as an array: one stored copy each.
    expect(s.duplicatesSkipped).toBe(3);
    expect(tables).toEqual(expect.arrayContaining(['events_us_south', 'events_eu_de', 'events_global']));

    // Plaintext that Vault's log_raw let through reaches neither the store nor the dead-letter file.
    const everything =
      (await queryStore(store, tables.map((t) => `SELECT event::VARCHAR AS e FROM ${t}`).join(' UNION ALL '))).map((r) => String(r.e)).join('\n') +
      readFileSync(join(dir, 'dead-letter.ndjson'), 'utf8');
    for (const plaintext of ['sk_live_plaintext_4242424242424242', 'hvs.CAESIJRawToken', 'c2VjcmV0IGNhcmQgbnVtYmVy', 'raw-accessor-1234567890']) {
      expect(everything).not.toContain(plaintext);
    }
  });

  it('indexes nothing new the second time: every event is a duplicate', async () => {
    const dir = tempDir();
    mixedFolder(dir);
    const first = await runIngest({ paths: [join(dir, 'in')], dataDir: dir, env: TEST_ENV });
    const second = await runIngest({ paths: [join(dir, 'in')], dataDir: dir, env: TEST_ENV });
    expect(second.eventsIndexed).toBe(0);
    expect(second.duplicatesSkipped).toBe(first.eventsIndexed + first.duplicatesSkipped);
    expect(accountingHolds(second)).toBe(true);
  });

  it('--format overrides detection for every file', async () => {
    const dir = tempDir();
    const s = await runIngest({
      paths: [join(FORMATS, 'access-combined.log'), join(FORMATS, 'logdna.ndjson')],
      dataDir: dir,
      env: TEST_ENV,
      format: 'access-combined',
    });
    expect(s.byFormat).toEqual({ 'access-combined': 8 });
    expect(s.deadLetteredBy.unsupported_format).toBe(4);
    expect(accountingHolds(s)).toBe(true);
  });
});
