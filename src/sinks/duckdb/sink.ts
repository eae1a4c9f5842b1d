import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { DuckDBInstance, DuckDBTimestampValue, type DuckDBAppender, type DuckDBConnection } from '@duckdb/node-api';
import type { StoredEvent } from '../../model/records.js';
import { compileFromTable, type StoredField } from '../../model/fields.js';
import { byLocation, COMMITTED, DUPLICATE, SinkError, type EventOutcome, type EventSink } from '../sink.js';
import { createTableSql, tableOf } from './schema.js';
import { keepsDigests, openDigestLog, type DigestLog } from './digests.js';

const NO_DIGESTS: DigestLog = { record: async () => undefined, rolledBack: () => undefined };
import type { DigestSigner } from '../digest-chain.js';
import { storeLockedError } from './store-lock.js';

/**
 * Measured with `npm run bench:build && node bench/dist/bench/duckdb-load.js`, which passes other
 * values to compare them (docs/decisions/2026-11-duckdb-loading.md).
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

/** The store sink, which can also lend read connections: DuckDB lets no other process open the file while it writes. */
export interface DuckDbSink extends EventSink {
  /**
   * A new connection on the sink's own DuckDB instance, with the store as its default database: it
   * reads what has been committed (DuckDB's MVCC) without touching the write connection's
   * transaction. The caller closes it, before the sink is closed.
   */
  reader(): Promise<DuckDBConnection>;
}

export const DEFAULT_TUNING: DuckDbTuning = { rowGroupRows: 2048, threads: 1, checkpointThreshold: '16MB', memoryLimit: '64MB' };

/**
 * The embedded default store: one table per location, no index. Per write and location, in one
 * transaction: ids already stored are looked up among the table's rows in the write's own time range
 * (zone maps skip the other row groups; the id is a hash of the line and the line fixes the time, so
 * a stored copy always lies in that range), then the new events are appended to the table. Every
 * event's outcome comes from what was appended or found, and the write resolves after COMMIT.
 *
 * No PRIMARY KEY: its index lives in memory and grows with the table (~1 GB RSS at 1M rows); appending
 * straight to the table is 20-25% faster than a staging table moved by INSERT … SELECT
 * (docs/decisions/2026-11-duckdb-loading.md). Stores created with the key still work.
 */
export async function openDuckDbSink(
  path: string,
  tuning: Partial<DuckDbTuning> = {},
  opts: { digests?: boolean; signer?: DigestSigner | undefined } = {},
): Promise<DuckDbSink> {
  const t: DuckDbTuning = { ...DEFAULT_TUNING, ...tuning };
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
  const ownSpillDir = path === ':memory:' ? mkdtempSync(join(tmpdir(), 'auditline-duckdb-')) : undefined;
  const spillDir = ownSpillDir ?? `${path}.tmp`;
  let instance: DuckDBInstance;
  let conn: DuckDBConnection;
  let digests: DigestLog;
  try {
    // write_buffer_row_group_count 1: a transaction's new row groups are flushed one at a time, not
    // buffered five at a time (sink alone, 400k events: ~330 → ~300-315 MiB peak RSS, no slower).
    instance = await DuckDBInstance.create(':memory:', {
      // Where DuckDB spills what does not fit memory_limit. An in-memory instance's default is `.tmp`
      // under the working directory, shared by every process started there: two runs in one folder
      // overwrote each other's spill files and a commit failed reading one back. Beside the store
      // (DuckDB's own default for a file database), which the store lock gives to one process.
      temp_directory: spillDir,
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
    // Tamper evidence, when asked for or once the store keeps it: each write's committed events are chained
    // in a digest in the same transaction (digests.ts). It costs ~10% CPU and 60-90 MB of peak RSS on
    // 200k lines with two workers, so a store is sealed only on request; a sealed store stays sealed.
    digests = opts.digests || (await keepsDigests(conn)) ? await openDigestLog(conn, opts.signer) : NO_DIGESTS;
  } catch (cause) {
    throw (
      storeLockedError(cause, path, 'AL_SINK_IO') ??
      new SinkError(`cannot open DuckDB store "${path}": ${(cause as Error).message}`, { retriable: false, context: { file: path }, cause })
    );
  }
  const knownTables = new Set<string>();

  async function writeLocation(location: string, group: { event: StoredEvent; index: number }[], outcomes: EventOutcome[]): Promise<void> {
    const table = tableOf(location);
    if (!knownTables.has(table)) {
      await conn.run(createTableSql(table));
      knownTables.add(table);
    }
    // Duplicates inside the write: identical lines have identical ids; the first copy is the one kept.
    const batch = new Map<string, { event: StoredEvent; index: number }>();
    for (const item of group) {
      if (batch.has(item.event.id)) outcomes[item.index] = DUPLICATE;
      else batch.set(item.event.id, item);
    }
    let lo = Infinity;
    let hi = -Infinity;
    for (const { event } of batch.values()) {
      if (event.time < lo) lo = event.time;
      if (event.time > hi) hi = event.time;
    }
    // Duplicates of stored rows. The bounds are literals so that the scans skip row groups by zone map.
    // Logs come roughly in time order, so the range usually holds no stored row and the count suffices;
    // in random order every write probes most of the table: 12.2k vs 15.9k rows/s on 1M events.
    const range = `FROM "${table}" WHERE event_time BETWEEN make_timestamptz(${micros(lo)}) AND make_timestamptz(${micros(hi)})`;
    const [[inRange]] = (await conn.runAndReadAll(`SELECT count(*) ${range}`)).getRows() as [[bigint]];
    if (inRange > 0n) {
      const known = await conn.runAndReadAll(`SELECT id ${range} AND id IN (SELECT unnest(from_json($ids, '["VARCHAR"]')))`, {
        ids: JSON.stringify([...batch.keys()]),
      });
      for (const [id] of known.getRows()) {
        const item = batch.get(String(id));
        if (!item) continue;
        outcomes[item.index] = DUPLICATE;
        batch.delete(String(id));
      }
    }
    if (batch.size === 0) return;
    const appender = await conn.createAppender(table);
    try {
      for (const { event } of batch.values()) appendRow(appender, event);
    } finally {
      appender.closeSync(); // flushes: the rows join this transaction
    }
    await digests.record(
      location,
      [...batch.values()].map((item) => item.event),
    );
    for (const { index } of batch.values()) outcomes[index] = COMMITTED;
  }

  return {
    name: `duckdb:${path}`,
    async write(events) {
      const outcomes = new Array<EventOutcome>(events.length);
      if (events.length === 0) return outcomes;
      try {
        await conn.run('BEGIN TRANSACTION');
        for (const [location, group] of byLocation(events)) await writeLocation(location, group, outcomes);
        await conn.run('COMMIT');
      } catch (cause) {
        await conn.run('ROLLBACK').catch(() => undefined);
        knownTables.clear(); // a CREATE TABLE in this transaction is rolled back too
        digests.rolledBack();
        // A failed transaction (disk full, read-only file) fails the same way when run again at once.
        throw new SinkError(`DuckDB write failed: ${(cause as Error).message}`, { retriable: false, context: { file: path }, cause });
      }
      return outcomes;
    },
    async reader() {
      const reader = await instance.connect();
      await reader.run('USE store');
      return reader;
    },
    async close() {
      conn.closeSync();
      instance.closeSync();
      if (ownSpillDir) rmSync(ownSpillDir, { recursive: true, force: true });
    },
  };
}

function micros(ms: number): bigint {
  return BigInt(Math.round(ms * 1000));
}

/** The appender call of each field kind, as code over the event `e` (model/fields.ts compileFromTable). */
const APPEND_BY_KIND: Record<StoredField['kind'], (key: string) => string> = {
  text: (k) => `a.appendVarchar(e.${k});`,
  optionalText: (k) => `if (e.${k} === null) a.appendNull(); else a.appendVarchar(e.${k});`,
  // The plain-timestamp call into the TIMESTAMPTZ column: both are microseconds since the epoch, stored
  // as given whatever the session's TimeZone. appendTimestampTZ builds a DuckDB value per call (two N-API
  // calls and a cast): 3.0 against 0.54 µs per row, ~10% of the store's CPU per event.
  epochMillis: (k) => `a.appendTimestamp(timestamp(e.${k}));`,
  integer: (k) => `a.appendInteger(e.${k});`,
  boolean: (k) => `a.appendBoolean(e.${k});`,
};

type AppendRow = (a: DuckDBAppender, e: StoredEvent, timestamp: (ms: number) => DuckDBTimestampValue) => void;

/** One row per event, in column order; test/e2e/ingest.test.ts checks every column against the event JSON. */
const appendCompiled = compileFromTable<AppendRow>(
  ['a', 'e', 'timestamp'],
  (f) => APPEND_BY_KIND[f.kind](f.key),
  (parts) => `${parts.join('\n')}\na.endRow();`,
);

const timestampOf = (ms: number) => new DuckDBTimestampValue(micros(ms));

function appendRow(a: DuckDBAppender, event: StoredEvent): void {
  appendCompiled(a, event, timestampOf);
}
