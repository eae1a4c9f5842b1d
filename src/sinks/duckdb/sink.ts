import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { DuckDBInstance, DuckDBTimestampTZValue, type DuckDBAppender, type DuckDBConnection } from '@duckdb/node-api';
import { AuditlineError } from '../../errors.js';
import type { StoredEvent } from '../../model/records.js';
import { byLocation, countIndexed, emptyWriteResult, type EventSink, type WriteResult } from '../sink.js';
import { createTableSql, tableOf } from './schema.js';

/**
 * Measured with `node dist/bench/duckdb-load.js` (ARCHITECTURE.md, "Memory and loading DuckDB"),
 * which passes other values to compare them.
 */
export interface DuckDbTuning {
  /**
   * Rows per row group of the tables this process writes (an ATTACH option, not stored in the file).
   * A transaction that appends at least a row group to a table has its rows compressed straight into
   * the file; smaller appends go through the WAL and are compressed by a later checkpoint, which also
   * rewrites the table's last, partly filled row group. With the 122,880-row default, a write of 8,192
   * events over five locations (~1,600 rows per table) always took the second path and every
   * checkpoint rewrote up to 120k rows: 1-20 s each, 10-14k rows/s from the database alone. 2,048
   * (the smallest DuckDB accepts) bounds that rewrite and lets larger writes skip the WAL.
   */
  rowGroupRows: number;
  /** DuckDB threads: 1 was faster than 2 (19.0k vs 15.5-16.3k rows/s), the other core runs the transform. */
  threads: number;
  /**
   * WAL size that starts a checkpoint. Rows not checkpointed yet sit in the buffer pool, so this stays
   * well under memoryLimit; with 2,048-row groups 16 MB loads as fast as 64 MB did.
   */
  checkpointThreshold: string;
  /**
   * Bounds DuckDB's buffer pool (cached blocks, rows not checkpointed yet). Peak RSS at 100k rows:
   * ~355 / ~390 / ~420 MB with 64 / 128 / 192 MB; 1M rows load with 64 MB (the PRIMARY KEY needed 128).
   */
  memoryLimit: string;
}

export const DEFAULT_TUNING: DuckDbTuning = { rowGroupRows: 2048, threads: 1, checkpointThreshold: '16MB', memoryLimit: '64MB' };

/**
 * The embedded default store: one table per location, no index. Per write and location, in one
 * transaction: ids already stored are looked up among the table's rows in the batch's own time range
 * (zone maps skip the other row groups; the id is a hash of the line and the line fixes the time, so
 * a stored copy always lies in that range), then the new events are appended to the table. Counts come
 * from the events appended, so they are exact.
 *
 * This replaced a temporary staging table and `INSERT … ON CONFLICT DO NOTHING` on a PRIMARY KEY,
 * whose index lived in memory and grew with the table (~1 GB RSS at 1M rows). Appending straight to
 * the table was 20-25% faster than staging and moving rows with INSERT … SELECT. Stores created with
 * the key still work.
 */
export async function openDuckDbSink(path: string, tuning: Partial<DuckDbTuning> = {}): Promise<EventSink> {
  const t: DuckDbTuning = { ...DEFAULT_TUNING, ...tuning };
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
  let instance: DuckDBInstance;
  let conn: DuckDBConnection;
  try {
    // write_buffer_row_group_count 1: a transaction's new row groups are flushed one at a time, not
    // buffered five at a time (sink alone, 400k events: ~330 → ~300-315 MiB peak RSS, no slower).
    instance = await DuckDBInstance.create(':memory:', {
      threads: String(t.threads),
      checkpoint_threshold: t.checkpointThreshold,
      memory_limit: t.memoryLimit,
      write_buffer_row_group_count: '1',
    });
    conn = await instance.connect();
    // Storage v1.2 is the first with ZSTD for strings (schema.ts). Attaching an older store upgrades its
    // version tag (DuckDB before 1.2 can no longer open it); its data stays as it is.
    await conn.run(`ATTACH '${path.replace(/'/g, "''")}' AS store (STORAGE_VERSION 'v1.2.0', ROW_GROUP_SIZE ${t.rowGroupRows})`);
    await conn.run('USE store');
  } catch (cause) {
    throw new AuditlineError('AL_SINK_IO', `cannot open DuckDB store "${path}": ${(cause as Error).message}`, { file: path }, { cause });
  }
  const knownTables = new Set<string>();

  async function writeLocation(location: string, events: StoredEvent[], result: WriteResult): Promise<void> {
    const table = tableOf(location);
    if (!knownTables.has(table)) {
      await conn.run(createTableSql(table));
      knownTables.add(table);
    }
    // Duplicates inside the batch: identical lines have identical ids.
    const batch = new Map<string, StoredEvent>();
    for (const e of events) if (!batch.has(e.id)) batch.set(e.id, e);
    let lo = Infinity;
    let hi = -Infinity;
    for (const e of batch.values()) {
      if (e.time < lo) lo = e.time;
      if (e.time > hi) hi = e.time;
    }
    // Duplicates of stored rows. The bounds are literals so that the scans skip row groups by zone map.
    // Logs come roughly in time order, so the range usually holds no stored row and the count suffices;
    // in random order every batch probes most of the table: 12.2k vs 15.9k rows/s on 1M events.
    const range = `FROM "${table}" WHERE event_time BETWEEN make_timestamptz(${micros(lo)}) AND make_timestamptz(${micros(hi)})`;
    const [[inRange]] = (await conn.runAndReadAll(`SELECT count(*) ${range}`)).getRows() as [[bigint]];
    if (inRange > 0n) {
      const known = await conn.runAndReadAll(`SELECT id ${range} AND id IN (SELECT unnest(from_json($ids, '["VARCHAR"]')))`, { ids: JSON.stringify([...batch.keys()]) });
      for (const [id] of known.getRows()) batch.delete(String(id));
    }
    const fresh = [...batch.values()];
    result.duplicates += events.length - fresh.length;
    if (fresh.length === 0) return;
    const appender = await conn.createAppender(table);
    try {
      appendRows(appender, fresh);
    } finally {
      appender.closeSync(); // flushes: the rows join this transaction
    }
    for (const e of fresh) countIndexed(result, location, e.action, e.source);
  }

  return {
    name: `duckdb:${path}`,
    async write(events) {
      const result = emptyWriteResult();
      if (events.length === 0) return result;
      try {
        await conn.run('BEGIN TRANSACTION');
        for (const [location, group] of byLocation(events)) await writeLocation(location, group, result);
        await conn.run('COMMIT');
      } catch (cause) {
        await conn.run('ROLLBACK').catch(() => undefined);
        knownTables.clear(); // a CREATE TABLE in this transaction is rolled back too
        throw new AuditlineError('AL_SINK_IO', `DuckDB write failed: ${(cause as Error).message}`, { file: path }, { cause });
      }
      return result;
    },
    async close() {
      conn.closeSync();
      instance.closeSync();
    },
  };
}

function micros(ms: number): bigint {
  return BigInt(Math.round(ms * 1000));
}

function appendNullable(a: DuckDBAppender, value: string | null): void {
  if (value === null) a.appendNull();
  else a.appendVarchar(value);
}

/**
 * One row per event, in the order of COLUMNS (schema.ts); test/e2e/ingest.test.ts checks every column
 * against the event JSON. Column chunks (DuckDBDataChunk) measured no faster in the sink (4.3 s per 100k
 * rows either way, 3 alternating runs each; ENUM-coded repeating strings did not help either): DuckDB's
 * table append and compression cost several times what the appender calls do.
 */
export function appendRows(a: DuckDBAppender, events: StoredEvent[]): void {
  for (const e of events) {
    a.appendVarchar(e.id);
    a.appendTimestampTZ(new DuckDBTimestampTZValue(micros(e.time)));
    a.appendVarchar(e.action);
    a.appendVarchar(e.outcome);
    a.appendVarchar(e.severity);
    a.appendVarchar(e.service);
    a.appendVarchar(e.initiatorId);
    a.appendVarchar(e.initiatorName);
    appendNullable(a, e.sourceAddress);
    a.appendVarchar(e.targetId);
    a.appendVarchar(e.targetTypeURI);
    appendNullable(a, e.correlationId);
    a.appendInteger(e.reasonCode);
    a.appendBoolean(e.dataEvent);
    a.appendVarchar(e.location);
    a.appendVarchar(e.source);
    a.appendInteger(e.line);
    a.appendVarchar(e.json);
    a.endRow();
  }
}
