import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { gzipSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import type { RejectCode } from '../../src/model/records.js';
import { runFollow } from '../../src/run/follow.js';
import { accountingHolds, type RunSummary, type SourceCounts } from '../../src/run/summary.js';
import { tempDir, TEST_ENV } from '../helpers/env.js';
import { BEARER, startTestServer, type TestServer } from '../server/helpers.js';
import { DUPLICATE_SECRET, hostileCases, REAL, type HostileCase } from './cases.js';
import { memoryMeter, MiB } from './memory.js';

/** Live memory the server may keep across every case; the largest body is 2.5 MB. */
const MEMORY_BOUND = 64 * MiB;
const NDJSON = { ...BEARER, 'content-type': 'application/x-ndjson' };

let server: TestServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

interface IngestAnswer extends SourceCounts {
  deadLetteredBy: Partial<Record<RejectCode, number>>;
}

/** What the case's lines must come to, in the shape of an answer. */
function expected(c: HostileCase) {
  return { case: c.name, linesRead: c.linesRead, events: c.events, filtered: c.filtered ?? 0, rejects: c.rejects };
}

function fromCounts(name: string, a: SourceCounts, rejects: Partial<Record<RejectCode, number>>) {
  return { case: name, linesRead: a.linesRead, events: a.eventsIndexed + a.duplicatesSkipped, filtered: a.filtered, rejects };
}

/** The case's lines as a shipper reads them: split at newlines, the empty string after the last one is no line. */
function linesOf(bytes: Buffer): Buffer[] {
  const lines: Buffer[] = [];
  let start = 0;
  for (let i = bytes.indexOf(0x0a); i !== -1; i = bytes.indexOf(0x0a, start)) {
    lines.push(bytes.subarray(start, i));
    start = i + 1;
  }
  if (start < bytes.length) lines.push(bytes.subarray(start));
  return lines;
}

const BOM = Buffer.from([0xef, 0xbb, 0xbf]);

/** A bulk body holding the raw bytes of each line as a document, undecoded; a file's byte-order mark opens the body. */
function bulkOf(bytes: Buffer): Buffer {
  const bom = bytes.subarray(0, 3).equals(BOM);
  const docs = linesOf(bom ? bytes.subarray(3) : bytes).flatMap((l) => [Buffer.from('{"create":{"_index":"logs"}}\n'), l, Buffer.from('\n')]);
  return Buffer.concat(bom ? [BOM, ...docs] : docs);
}

async function healthy(url: string): Promise<void> {
  expect((await fetch(`${url}/healthz`)).status).toBe(200);
}

describe('hostile lines through every HTTP entry', () => {
  it('/v1/ingest (plain and gzip) and /_bulk store or dead-letter each case with its reason, in bounded memory, and keep answering', async () => {
    server = await startTestServer();
    const meter = memoryMeter();
    for (const c of hostileCases()) {
      for (const [how, body, headers] of [
        ['plain', c.bytes, NDJSON],
        ['gzip', gzipSync(c.bytes), { ...NDJSON, 'content-encoding': 'gzip' }],
      ] as const) {
        const r = await fetch(`${server.url}/v1/ingest`, { method: 'POST', headers, body });
        expect(r.status, `${c.name} ${how}`).toBe(200);
        const a = (await r.json()) as IngestAnswer;
        expect(accountingHolds(a)).toBe(true);
        expect(fromCounts(c.name, a, a.deadLetteredBy)).toEqual(expected(c));
        meter.sample();
      }

      const r = await fetch(`${server.url}/_bulk`, { method: 'POST', headers: NDJSON, body: bulkOf(c.bytes) });
      expect(r.status, `${c.name} bulk`).toBe(200);
      const answer = (await r.json()) as { items: { create: { status: number; result?: string; error?: { type: RejectCode; reason: string } } }[] };
      const items = answer.items.map((i) => i.create);
      const rejects: Partial<Record<RejectCode, number>> = {};
      for (const item of items.filter((i) => i.error)) {
        rejects[item.error!.type] = (rejects[item.error!.type] ?? 0) + 1;
        expect(item.status).toBe(400);
        expect(item.error!.reason).not.toBe('');
      }
      const stored = items.filter((i) => i.status === 201 || (i.status === 200 && i.result === 'noop')).length;
      // A blank document is answered noop like a duplicate: the two are told apart by the case's filtered count.
      expect({ case: c.name, linesRead: items.length, events: stored - (c.filtered ?? 0), filtered: c.filtered ?? 0, rejects }).toEqual(expected(c));
      meter.sample();
      await healthy(server.url);
    }
    expect(meter.peakGrowth()).toBeLessThan(MEMORY_BOUND);
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    expect(metrics).toMatch(/auditline_dead_letters_total\{reason="nested_too_deep"\} 9$/m);
    expect(metrics).not.toContain(DUPLICATE_SECRET.slice(-20));
    // Prototypes untouched in the process that parsed every case.
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('a line over the line limit in a request is dead-lettered as line_too_long and the lines around it are stored', async () => {
    server = await startTestServer({ limits: { maxLineBytes: 64 * 1024 } });
    const long = `{"msg":"${'x'.repeat(256 * 1024)}"}`;
    const body = `${REAL[0]}\n${long}\n${REAL[1]}\n`;
    const a = (await (await fetch(`${server.url}/v1/ingest`, { method: 'POST', headers: NDJSON, body })).json()) as IngestAnswer;
    expect(a).toMatchObject({ linesRead: 3, eventsIndexed: 2, deadLettered: 1, deadLetteredBy: { line_too_long: 1 } });
    const bulk = (await (await fetch(`${server.url}/_bulk`, { method: 'POST', headers: NDJSON, body: bulkOf(Buffer.from(body)) })).json()) as {
      items: { create: { status: number; error?: { type: string } } }[];
    };
    expect(bulk.items.map((i) => i.create.error?.type ?? i.create.status)).toEqual([200, 'line_too_long', 200]);
  });
});

describe('hostile lines in followed files', () => {
  it('each case appended to a followed file is stored or dead-lettered with its reason, and every line is accounted for', async () => {
    const dir = tempDir();
    const logs = join(dir, 'logs');
    mkdirSync(logs);
    const cases = hostileCases();
    const total = cases.reduce((n, c) => n + c.linesRead, 0);
    const controller = new AbortController();
    let latest: RunSummary | undefined;
    const done = runFollow(
      { paths: [logs], dataDir: join(dir, 'data'), env: TEST_ENV, workers: 0, pollMs: 20, rescanMs: 50, releaseAfterMs: 60_000, onCommit: (s) => (latest = s) },
      controller.signal,
    );
    for (const c of cases) writeFileSync(join(logs, `${c.name}.log`), c.bytes);
    const deadline = Date.now() + 30_000;
    while ((latest?.linesRead ?? 0) < total && Date.now() < deadline) await sleep(20);
    controller.abort();
    const summary = await done;
    expect(accountingHolds(summary)).toBe(true);
    expect(summary.linesRead).toBe(total);
    for (const c of cases) {
      const counts = summary.sources[join(logs, `${c.name}.log`)];
      expect(counts, c.name).toBeDefined();
      expect(fromCounts(c.name, counts!, c.rejects)).toEqual(expected(c));
    }
    const byCode: Partial<Record<RejectCode, number>> = {};
    for (const c of cases) for (const [code, n] of Object.entries(c.rejects)) byCode[code as RejectCode] = (byCode[code as RejectCode] ?? 0) + n;
    expect(summary.deadLetteredBy).toEqual(byCode);
  });
});
