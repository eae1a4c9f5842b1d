import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { DuckDBInstance, DuckDBTimestampTZValue, type DuckDBAppender, type DuckDBConnection } from '@duckdb/node-api';
import { AuditlineError } from '../../errors.js';
import type { StoredEvent } from '../../model/records.js';
import { byLocation, countIndexed, emptyWriteResult, type EventSink, type WriteResult } from '../sink.js';
import { COLUMNS, createTableSql, tableOf } from './schema.js';

const STAGE = 'auditline_stage';
/** Measured with `npm run bench` (see ARCHITECTURE.md, "Loading DuckDB"). */
const CHECKPOINT_THRESHOLD = '64MB';
/** Bounds DuckDB's buffer pool (64 MB fails with out-of-memory on a 1 MB allocation; 128 MB works). */
const MEMORY_LIMIT = '192MB';

/**
 * The embedded default store. Each batch is appended to a temporary staging table
 * (the appender is DuckDB's fastest load path from Node) and moved into the
 * location's table in one transaction with ON CONFLICT DO NOTHING on the event id,
 * so re-ingesting adds nothing and the duplicates are counted exactly.
 */
export async function openDuckDbSink(path: string): Promise<EventSink> {
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
  let instance: DuckDBInstance;
  let conn: DuckDBConnection;
  try {
    // DuckDB checkpoints (rewrites and compresses) whenever the WAL passes 16 MB by default; with
    // ~1 KB JSON rows that made loading 3-4x slower. Uncheckpointed rows stay in memory, though,
    // so the threshold is also a bound on native memory; memory_limit bounds the buffer pool.
    instance = await DuckDBInstance.create(path, { checkpoint_threshold: CHECKPOINT_THRESHOLD, memory_limit: MEMORY_LIMIT });
    conn = await instance.connect();
    await conn.run(`CREATE TEMP TABLE ${STAGE} (${COLUMNS.map((c) => `${c.name} ${c.type.replace(' PRIMARY KEY', '')}`).join(', ')})`);
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
    const appender = await conn.createAppender(STAGE, null, 'temp');
    appendRows(appender, events);
    appender.closeSync();
    // RETURNING names the rows that were really new: exact counts by action and by source.
    const inserted = await conn.runAndReadAll(`INSERT INTO "${table}" SELECT DISTINCT ON (id) * FROM ${STAGE} ON CONFLICT DO NOTHING RETURNING action, source`);
    await conn.run(`DELETE FROM ${STAGE}`);
    const rows = inserted.getRows();
    for (const [action, source] of rows) countIndexed(result, location, String(action), String(source));
    result.duplicates += events.length - rows.length;
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

function appendNullable(a: DuckDBAppender, value: string | null): void {
  if (value === null) a.appendNull();
  else a.appendVarchar(value);
}

/** One row per event, in the order of COLUMNS (schema.ts); test/e2e/ingest.test.ts checks every column against the event JSON. */
function appendRows(a: DuckDBAppender, events: StoredEvent[]): void {
  for (const e of events) {
    a.appendVarchar(e.id);
    a.appendTimestampTZ(new DuckDBTimestampTZValue(BigInt(Math.round(e.time * 1000))));
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
