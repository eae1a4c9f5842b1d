import { createHash } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { describe, expect, it } from 'vitest';
import { AuditlineError } from '../../src/errors.js';
import { openStoreReader } from '../../src/sinks/duckdb/read.js';
import { COLUMNS } from '../../src/sinks/duckdb/schema.js';
import { openDuckDbSink } from '../../src/sinks/duckdb/sink.js';
import { verifyStore } from '../../src/sinks/duckdb/verify.js';
import type { EventSink } from '../../src/sinks/sink.js';
import { tempDir } from '../helpers/env.js';
import { writeCounts } from '../helpers/outcomes.js';
import { queryStore, tablesOf } from '../helpers/store.js';
import { storedEvent } from '../helpers/stored-event.js';

/** Real DuckDB files in a temporary folder; no mocks. */
const ev = storedEvent;

async function count(path: string, table: string): Promise<number> {
  const [row] = await queryStore(path, `SELECT count(*) AS n FROM ${table}`);
  return Number(row!.n);
}

async function withSink<T>(path: string, fn: (sink: EventSink) => Promise<T>): Promise<T> {
  const sink = await openDuckDbSink(path);
  try {
    return await fn(sink);
  } finally {
    await sink.close();
  }
}

describe('DuckDB sink', () => {
  it('counts a duplicate within one batch once, as a duplicate', async () => {
    const path = join(tempDir(), 'store.duckdb');
    const w = await withSink(path, (s) => writeCounts(s, [ev(1), ev(2), ev(1), ev(1)]));
    expect(w).toMatchObject({ indexed: 2, duplicates: 2, byLocation: { 'us-south': 2 } });
    expect(await count(path, 'events_us_south')).toBe(2);
  });

  it('skips events written by an earlier batch, also when they come back out of time order', async () => {
    const path = join(tempDir(), 'store.duckdb');
    const [first, second, third] = await withSink(path, async (s) => [
      await writeCounts(s, [ev(1), ev(2), ev(3)]),
      await writeCounts(s, [ev(3), ev(4)]),
      // A wide batch whose time range covers everything stored so far.
      await writeCounts(s, [ev(100), ev(2), ev(0), ev(4), ev(5)]),
    ]);
    expect(first).toMatchObject({ indexed: 3, duplicates: 0 });
    expect(second).toMatchObject({ indexed: 1, duplicates: 1 });
    expect(third).toMatchObject({ indexed: 3, duplicates: 2 });
    expect(await count(path, 'events_us_south')).toBe(7);
  });

  it('skips events stored by an earlier run (the store reopened)', async () => {
    const path = join(tempDir(), 'store.duckdb');
    const batch = Array.from({ length: 50 }, (_, i) => ev(i));
    expect((await withSink(path, (s) => writeCounts(s, batch))).indexed).toBe(50);
    const again = await withSink(path, (s) => writeCounts(s, [...batch].reverse()));
    expect(again).toMatchObject({ indexed: 0, duplicates: 50, byLocation: {}, byAction: {}, bySource: {} });
    expect(await count(path, 'events_us_south')).toBe(50);
  });

  it('counts only new events, exactly, by location, action and source', async () => {
    const path = join(tempDir(), 'store.duckdb');
    const w = await withSink(path, async (s) => {
      await writeCounts(s, [ev(1, { source: 'a.log' }), ev(2, { source: 'b.log', action: 'kms.secrets.create' })]);
      return writeCounts(s, [
        ev(1, { source: 'a.log' }), // stored already
        ev(2, { source: 'b.log', action: 'kms.secrets.create' }), // stored already
        ev(3, { source: 'a.log' }),
        ev(4, { source: 'b.log', action: 'kms.secrets.create' }),
        ev(5, { source: 'b.log', action: 'kms.secrets.create' }),
        ev(5, { source: 'b.log', action: 'kms.secrets.create' }), // twice in the batch
        ev(6, { source: 'b.log', location: 'eu-de' }),
      ]);
    });
    expect(w).toEqual({
      indexed: 4,
      duplicates: 3,
      byLocation: { 'us-south': 3, 'eu-de': 1 },
      byAction: { 'kms.secrets.read': 2, 'kms.secrets.create': 2 },
      bySource: { 'a.log': 1, 'b.log': 3 },
    });
  });

  it('writes two locations of one write to their own tables only', async () => {
    const path = join(tempDir(), 'store.duckdb');
    await withSink(path, (s) => writeCounts(s, [ev(1), ev(2, { location: 'eu-de' }), ev(3), ev(4, { location: 'eu-de' }), ev(5, { location: 'eu-de' })]));
    expect(await tablesOf(path)).toEqual(['events_eu_de', 'events_us_south']);
    for (const [table, location, n] of [
      ['events_us_south', 'us-south', 2],
      ['events_eu_de', 'eu-de', 3],
    ] as const) {
      const rows = await queryStore(path, `SELECT location, event->>'location' AS j FROM ${table}`);
      expect(rows).toHaveLength(n);
      for (const r of rows) expect(r).toEqual({ location, j: location });
    }
  });

  it('stores every column, nulls included, and the event JSON verbatim; the export reader reads it back', async () => {
    const path = join(tempDir(), 'store.duckdb');
    const events = [ev(1), ev(2), ev(3, { initiatorName: '', targetId: 'é 😀 "quoted" \\ back' })];
    await withSink(path, (s) => writeCounts(s, events));
    const rows = await queryStore(
      path,
      `SELECT * EXCLUDE (event), epoch_ms(event_time)::DOUBLE AS ms, event::VARCHAR AS json FROM events_us_south ORDER BY line`,
    );
    expect(rows).toEqual(
      events.map((e) => ({
        id: e.id,
        event_time: expect.any(String),
        ms: e.time,
        action: e.action,
        outcome: e.outcome,
        severity: e.severity,
        service: e.service,
        initiator_id: e.initiatorId,
        initiator_name: e.initiatorName,
        source_address: e.sourceAddress,
        target_id: e.targetId,
        target_type: e.targetTypeURI,
        correlation_id: e.correlationId,
        reason_code: e.reasonCode,
        data_event: e.dataEvent,
        location: e.location,
        source: e.source,
        line: e.line,
        json: e.json,
      })),
    );
    const reader = await openStoreReader(path);
    try {
      const out: string[] = [];
      for await (const chunk of reader.events({})) out.push(...chunk);
      expect(out).toEqual(events.map((e) => e.json));
    } finally {
      reader.close();
    }
  });

  it('rolls a failed write back whole: no rows of any location, and the next write works', async () => {
    const path = join(tempDir(), 'store.duckdb');
    await withSink(path, async (s) => {
      // us-south is appended first; the eu-de event then fails (a time DuckDB cannot take).
      const bad = { ...ev(3, { location: 'eu-de' }), time: Number.NaN };
      const failing = writeCounts(s, [ev(1), ev(2), bad]);
      await expect(failing).rejects.toMatchObject({ code: 'AL_SINK_IO', context: { file: path } });
      await expect(failing).rejects.toBeInstanceOf(AuditlineError);
      expect(await writeCounts(s, [ev(4)])).toMatchObject({ indexed: 1, duplicates: 0 });
      // The rolled-back events were never stored: writing them again indexes them.
      expect(await writeCounts(s, [ev(1), ev(2), ev(3, { location: 'eu-de' })])).toMatchObject({ indexed: 3, duplicates: 0 });
    });
    expect(await count(path, 'events_us_south')).toBe(3);
    expect(await count(path, 'events_eu_de')).toBe(1);
  });

  it('keeps working on a store created with the PRIMARY KEY schema', async () => {
    const path = join(tempDir(), 'store.duckdb');
    const old = await DuckDBInstance.create(path);
    const conn = await old.connect();
    await conn.run(`CREATE TABLE events_us_south (${COLUMNS.map((c) => `${c.name} ${c.name === 'id' ? 'VARCHAR PRIMARY KEY' : c.type}`).join(', ')})`);
    const e1 = ev(1);
    await conn.run(
      `INSERT INTO events_us_south VALUES ($id, make_timestamptz($t), 'kms.secrets.read', 'success', 'normal', 'kms', 'IBMid-1', 'alice@example.com', '203.0.113.7', $target, 'kms/secrets', 'corr-1', 200, false, 'us-south', 'a.log', 1, $json)`,
      {
        id: e1.id,
        t: e1.time * 1000,
        target: e1.targetId,
        json: e1.json,
      },
    );
    conn.closeSync();
    old.closeSync();
    const w = await withSink(path, (s) => writeCounts(s, [ev(1), ev(2), ev(2)]));
    expect(w).toMatchObject({ indexed: 1, duplicates: 2 });
    expect(await count(path, 'events_us_south')).toBe(2);
  });

  it('finds duplicates, keeps every row and continues the digest chains across fresh instances (reattachRows)', async () => {
    const path = join(tempDir(), 'store.duckdb');
    const sink = await openDuckDbSink(path, { reattachRows: 2 }, { digests: true });
    const results = [];
    try {
      results.push(await writeCounts(sink, [ev(1), ev(2), ev(3, { location: 'eu-de' })]));
      // Every later write starts on a fresh instance: stored rows are found again through the file.
      results.push(await writeCounts(sink, [ev(2), ev(4), ev(3, { location: 'eu-de' })]));
      results.push(await writeCounts(sink, [ev(1), ev(4), ev(5), ev(6, { location: 'eu-de' })]));
    } finally {
      await sink.close();
    }
    expect(results.map((r) => [r.indexed, r.duplicates])).toEqual([
      [3, 0],
      [1, 2],
      [2, 2],
    ]);
    expect(await count(path, 'events_us_south')).toBe(4);
    expect(await count(path, 'events_eu_de')).toBe(2);
    const report = await verifyStore(path);
    expect(report.intact).toBe(true);
    expect(report.locations.map((l) => [l.location, l.status])).toEqual([
      ['eu-de', 'intact'],
      ['us-south', 'intact'],
    ]);
  });

  it('leaves the row groups as written when it closes: no vacuum rewrites them into free blocks', async () => {
    const path = join(tempDir(), 'store.duckdb');
    // Writes of more than a row group (2,048 rows) go straight into the file, each leaving a partial row group.
    const writes = 4;
    const perWrite = 2_500;
    await withSink(path, async (s) => {
      for (let w = 0; w < writes; w++)
        await writeCounts(
          s,
          Array.from({ length: perWrite }, (_, i) => ev(w * perWrite + i)),
        );
    });
    const [size] = await queryStore(path, 'SELECT free_blocks FROM pragma_database_size()');
    expect(Number(size!.free_blocks)).toBe(0);
    const [groups] = await queryStore(path, "SELECT count(DISTINCT row_group_id) AS n FROM pragma_storage_info('events_us_south')");
    expect(Number(groups!.n)).toBe(writes * 2);
  });

  it('keeps its instance once it has lent a reader: the reader sees every later write', async () => {
    const path = join(tempDir(), 'store.duckdb');
    const sink = await openDuckDbSink(path, { reattachRows: 1 });
    try {
      await writeCounts(sink, [ev(1)]);
      const reader = await sink.reader();
      try {
        for (let n = 2; n <= 4; n++) await writeCounts(sink, [ev(n)]);
        const rows = (await reader.runAndReadAll('SELECT count(*) FROM events_us_south')).getRows();
        expect(Number(rows[0]![0])).toBe(4);
      } finally {
        reader.closeSync();
      }
    } finally {
      await sink.close();
    }
  });

  it('writes over 100 locations at once, each below a row group, into tables that already hold rows', async () => {
    const path = join(tempDir(), 'store.duckdb');
    // Varied documents of ~1.5 KB, as the transform makes them: DuckDB holds each table's open row group while it commits.
    const doc = (n: number) => createHash('sha256').update(`doc ${n}`).digest('hex').repeat(24);
    const write = (from: number) =>
      Array.from({ length: 16_000 }, (_, i) => {
        const n = from + i;
        const e = ev(n, { location: `loc-${n % 100}` });
        return { ...e, json: JSON.stringify({ ...(JSON.parse(e.json) as object), location: e.location, doc: doc(n) }) };
      });
    const [first, second] = await withSink(path, async (s) => [await writeCounts(s, write(0)), await writeCounts(s, write(16_000))]);
    expect(first!.indexed).toBe(16_000);
    expect(second!.indexed).toBe(16_000);
    expect(Object.keys(second!.byLocation)).toHaveLength(100);
    expect(await count(path, 'events_loc_99')).toBe(320);
  }, 120_000);

  it('gives DuckDB the larger memory floor once a reader is lent, whose queries share its buffer pool', async () => {
    const path = join(tempDir(), 'store.duckdb');
    const sink = await openDuckDbSink(path, { memoryLimit: '32MB', memoryLimitWithReaders: '64MB' });
    try {
      await writeCounts(sink, [ev(1)]);
      const reader = await sink.reader();
      try {
        await writeCounts(sink, [ev(2)]);
        const rows = (await reader.runAndReadAll("SELECT current_setting('memory_limit')")).getRows();
        expect(rows[0]![0]).toBe('61.0 MiB');
      } finally {
        reader.closeSync();
      }
    } finally {
      await sink.close();
    }
  });

  it('names the file when the store cannot be opened', async () => {
    const dir = tempDir();
    mkdirSync(join(dir, 'a-folder.duckdb'));
    const path = join(dir, 'a-folder.duckdb');
    await expect(openDuckDbSink(path)).rejects.toMatchObject({ code: 'AL_SINK_IO', context: { file: path } });
  });
});
