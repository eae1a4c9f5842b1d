import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import type { RejectCode } from '../../src/model/records.js';
import { runIngest } from '../../src/run/ingest.js';
import { accountingHolds, type RunSummary } from '../../src/run/summary.js';
import { tempDir, TEST_ENV } from '../helpers/env.js';
import { queryStore, tablesOf } from '../helpers/store.js';
import { DUPLICATE_SECRET, hostileCases, type HostileCase } from './cases.js';

interface DeadLetter {
  code: RejectCode;
  reason: string;
  source: string;
  line: number;
  text?: string;
}

function deadLetters(dir: string): DeadLetter[] {
  const text = readFileSync(join(dir, 'dead-letter.ndjson'), 'utf8');
  return text
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as DeadLetter);
}

async function storedEvents(dir: string): Promise<string[]> {
  const store = join(dir, 'auditline.duckdb');
  const out: string[] = [];
  for (const t of await tablesOf(store)) for (const r of await queryStore(store, `SELECT event::VARCHAR AS json FROM ${t}`)) out.push(String(r.json));
  return out;
}

/**
 * Every line of the case is where it should be: counted, stored or dead-lettered with its code. A
 * `.gz` holds the same lines as its plain twin, read after it: its events are stored as duplicates.
 */
function expectCase(s: RunSummary, source: string, c: HostileCase, entries: DeadLetter[]): void {
  const counts = s.sources[source];
  expect(counts, c.name).toBeDefined();
  expect(accountingHolds(counts!)).toBe(true);
  expect({ case: c.name, linesRead: counts!.linesRead, events: counts!.eventsIndexed + counts!.duplicatesSkipped, filtered: counts!.filtered }).toEqual({
    case: c.name,
    linesRead: c.linesRead,
    events: c.events,
    filtered: c.filtered ?? 0,
  });
  const codes: Partial<Record<RejectCode, number>> = {};
  for (const e of entries.filter((d) => d.source === source)) {
    codes[e.code] = (codes[e.code] ?? 0) + 1;
    expect(e.reason, `${c.name} line ${e.line}`).not.toBe('');
  }
  expect({ case: c.name, codes }).toEqual({ case: c.name, codes: c.rejects });
}

describe('hostile lines in files, .gz files and stdin', () => {
  it('each case is stored or dead-lettered with its reason, plain and gzipped, and every source accounts for every line', async () => {
    const dir = tempDir();
    const input = join(dir, 'in');
    mkdirSync(input);
    const cases = hostileCases();
    for (const c of cases) {
      writeFileSync(join(input, `${c.name}.ndjson`), c.bytes);
      writeFileSync(join(input, `${c.name}.ndjson.gz`), gzipSync(c.bytes));
    }
    // On the main thread, so a polluted prototype would be this process's.
    const s = await runIngest({ paths: [input], dataDir: dir, env: TEST_ENV, workers: 0 });
    expect(accountingHolds(s)).toBe(true);
    const entries = deadLetters(dir);
    for (const c of cases) {
      expectCase(s, join(input, `${c.name}.ndjson`), c, entries);
      expectCase(s, join(input, `${c.name}.ndjson.gz`), c, entries);
    }
    expect(s.damaged).toEqual([]);
    const events = await storedEvents(dir);
    expect(events).toHaveLength(s.eventsIndexed);
    // Duplicate keys cannot smuggle a secret past redaction: not in the store, not in the dead-letter file.
    expect(events.join('\n')).not.toContain(DUPLICATE_SECRET.slice(-20));
    expect(readFileSync(join(dir, 'dead-letter.ndjson'), 'utf8')).not.toContain(DUPLICATE_SECRET.slice(-20));
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('the same cases through stdin on a worker thread, in reads that cut lines, characters and the byte-order mark apart', async () => {
    const dir = tempDir();
    const cases = hostileCases();
    // The byte-order mark case goes first: a mark is only one at the very start of a stream.
    const ordered = [cases.find((c) => c.name === 'bom')!, ...cases.filter((c) => c.name !== 'bom')];
    const all = Buffer.concat(ordered.map((c) => c.bytes));
    const READ = 4093; // prime, so cuts fall everywhere; the first read is two bytes, inside the mark
    const reads = [all.subarray(0, 2)];
    for (let at = 2; at < all.length; at += READ) reads.push(all.subarray(at, at + READ));
    const s = await runIngest({ paths: ['-'], stdin: Readable.from(reads), dataDir: dir, env: TEST_ENV, workers: 1 });
    const sum = (f: (c: HostileCase) => number) => ordered.reduce((n, c) => n + f(c), 0);
    expect(accountingHolds(s)).toBe(true);
    expect(s.linesRead).toBe(sum((c) => c.linesRead));
    expect(s.eventsIndexed).toBe(sum((c) => c.events));
    expect(s.filtered).toBe(sum((c) => c.filtered ?? 0));
    const codes: Partial<Record<RejectCode, number>> = {};
    for (const c of ordered) for (const [k, v] of Object.entries(c.rejects)) codes[k as RejectCode] = (codes[k as RejectCode] ?? 0) + v;
    expect(s.deadLetteredBy).toEqual(codes);
    expect(await storedEvents(dir)).toHaveLength(s.eventsIndexed);
  });
});
