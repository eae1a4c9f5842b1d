import type { DuckDBAppender } from '@duckdb/node-api';
import type { StoredEvent } from '../../model/records.js';
import { byLocation, COMMITTED, DUPLICATE, SinkError, type StagedOutcome, type StagedWrite } from '../sink.js';
import { appendRows } from './append.js';
import type { AttachedStore } from './attach.js';
import { entryOf, type DigestEntry } from './digests.js';
import { createTableSql, tableOf } from './schema.js';

/** What a write needs of its sink, which outlives it. */
export interface WriteContext {
  path: string;
  /** Rows an appender holds before they are flushed into the transaction (a row group) */
  flushRows: number;
  /** Tables known to exist on the current instance; cleared when a transaction rolls back or the instance changes */
  knownTables: Set<string>;
  /**
   * Per table, the latest event time (µs since the epoch) among its committed rows, -Infinity for none;
   * dropped with knownTables. A staged event later than that cannot have a stored copy (the id is a hash
   * of the line and the line fixes the time), so in-order logs need no look-up.
   */
  latest: Map<string, number>;
  /** Attaches (or reattaches) the store and begins the write's transaction. */
  begin(): Promise<AttachedStore>;
  /** Room for a write over `tables` tables (tuning.memoryPerTableMb). */
  fitMemory(store: AttachedStore, tables: number): Promise<void>;
  /** The write is over: committed with `rows` rows appended, or rolled back (0). */
  ended(rows: number): void;
}

/** One location's part of the open write. */
interface TableWrite {
  location: string;
  table: string;
  appender: DuckDBAppender;
  /** Ids staged in this write: duplicates inside the write (the first copy is the one kept). */
  ids: Set<string>;
  /** Digest entries of the appended events, when the store keeps digests */
  entries: DigestEntry[];
  appended: number;
  unflushed: number;
  /** Latest event time (µs) appended */
  latest: number;
}

/**
 * One DuckDB transaction whose events arrive in parts. Each part's events are checked for duplicates
 * (ids staged in this write, then the table's committed rows in the part's time range, which are
 * looked up only when the range reaches back to the table's latest committed row) and appended at
 * once through an appender per location, which is flushed into the transaction at every row group;
 * so the caller can let go of the events. COMMIT writes the digests, if kept, and resolves when durable.
 */
export function openStagedWrite(ctx: WriteContext): StagedWrite {
  const outcomes: StagedOutcome[] = [];
  const tables = new Map<string, TableWrite>();
  let store: AttachedStore | undefined;
  let failed: SinkError | undefined;
  let over = false;

  async function tableWrite(s: AttachedStore, location: string): Promise<TableWrite> {
    const known = tables.get(location);
    if (known) return known;
    const table = tableOf(location);
    await ctx.fitMemory(s, tables.size + 1);
    if (!ctx.knownTables.has(table)) {
      await s.conn.run(createTableSql(table));
      ctx.knownTables.add(table);
    }
    if (!ctx.latest.has(table)) ctx.latest.set(table, await latestOf(s, table));
    const tw: TableWrite = {
      location,
      table,
      appender: await s.conn.createAppender(table),
      ids: new Set(),
      entries: [],
      appended: 0,
      unflushed: 0,
      latest: -Infinity,
    };
    tables.set(location, tw);
    return tw;
  }

  async function stageLocation(s: AttachedStore, location: string, group: { event: StoredEvent; index: number }[], base: number): Promise<void> {
    const tw = await tableWrite(s, location);
    const fresh: { event: StoredEvent; index: number }[] = [];
    let lo = Infinity;
    let hi = -Infinity;
    for (const item of group) {
      const { id, time } = item.event;
      if (tw.ids.has(id)) {
        outcomes[base + item.index] = DUPLICATE;
        continue;
      }
      tw.ids.add(id);
      fresh.push(item);
      if (time < lo) lo = time;
      if (time > hi) hi = time;
    }
    const stored = ctx.latest.get(tw.table) ?? -Infinity;
    let found: Set<string> | undefined;
    if (fresh.length > 0 && micros(lo) <= stored) {
      // The bounds are literals so that the scan skips row groups by zone map. This transaction's own
      // rows are seen too, but none of the ids asked for is among them (tw.ids held them all).
      const rows = await s.conn.runAndReadAll(
        `SELECT id FROM "${tw.table}" WHERE event_time BETWEEN make_timestamptz(${micros(lo)}) AND make_timestamptz(${Math.min(micros(hi), stored)}) ` +
          `AND id IN (SELECT unnest(from_json($ids, '["VARCHAR"]')))`,
        { ids: JSON.stringify(fresh.map((item) => item.event.id)) },
      );
      found = new Set(rows.getRows().map(([id]) => String(id)));
    }
    const rows: StoredEvent[] = [];
    for (const { event, index } of fresh) {
      if (found?.has(event.id)) {
        outcomes[base + index] = DUPLICATE;
        continue;
      }
      outcomes[base + index] = COMMITTED;
      rows.push(event);
      const t = micros(event.time);
      if (t > tw.latest) tw.latest = t;
    }
    if (rows.length === 0) return;
    appendRows(tw.appender, rows);
    if (s.digests.sealed) for (const e of rows) tw.entries.push(entryOf(e));
    tw.appended += rows.length;
    tw.unflushed += rows.length;
    // The appender would hold up to 204,800 rows in DuckDB's memory; flushed per row group, the rows
    // move into the transaction, which writes each full row group to the file.
    if (tw.unflushed >= ctx.flushRows) {
      tw.appender.flushSync();
      tw.unflushed = 0;
    }
  }

  /** Ends the transaction without keeping anything. Appenders are closed first: one left open would flush its rows into whatever transaction is active when it is collected. */
  async function rollBack(): Promise<void> {
    over = true;
    if (!store) return ctx.ended(0);
    const { conn, digests } = store;
    for (const tw of tables.values()) {
      try {
        tw.appender.closeSync();
      } catch {
        // the write fails anyway
      }
    }
    await conn.run('ROLLBACK').catch(() => undefined);
    ctx.knownTables.clear(); // a CREATE TABLE in this transaction is rolled back too
    ctx.latest.clear();
    digests.rolledBack();
    ctx.ended(0);
  }

  async function fail(cause: unknown): Promise<SinkError> {
    // A failed transaction (disk full, read-only file) fails the same way when run again at once.
    failed = new SinkError(`DuckDB write failed: ${(cause as Error).message}`, { retriable: false, context: { file: ctx.path }, cause });
    await rollBack();
    return failed;
  }

  return {
    async stage(events) {
      if (failed) throw failed;
      if (over) throw new SinkError('DuckDB write staged after its end', { retriable: false, context: { file: ctx.path } });
      const base = outcomes.length;
      outcomes.length += events.length;
      if (events.length === 0) return;
      try {
        store ??= await ctx.begin();
      } catch (cause) {
        over = true;
        ctx.ended(0);
        throw (failed =
          cause instanceof SinkError
            ? cause
            : new SinkError(`DuckDB write failed: ${(cause as Error).message}`, { retriable: false, context: { file: ctx.path }, cause }));
      }
      try {
        for (const [location, group] of byLocation(events)) await stageLocation(store, location, group, base);
      } catch (cause) {
        throw await fail(cause);
      }
    },
    async commit() {
      if (failed) throw failed;
      if (over) throw new SinkError('DuckDB write committed twice', { retriable: false, context: { file: ctx.path } });
      if (!store) {
        over = true;
        ctx.ended(0);
        return outcomes;
      }
      const { conn, digests } = store;
      let appended = 0;
      try {
        for (const tw of tables.values()) tw.appender.closeSync(); // flushes: the last rows join the transaction
        for (const tw of tables.values()) {
          appended += tw.appended;
          if (tw.entries.length > 0) await digests.record(tw.location, tw.entries);
        }
        await conn.run('COMMIT');
      } catch (cause) {
        throw await fail(cause);
      }
      over = true;
      for (const tw of tables.values()) if (tw.latest > (ctx.latest.get(tw.table) ?? -Infinity)) ctx.latest.set(tw.table, tw.latest);
      ctx.ended(appended);
      return outcomes;
    },
    async abort() {
      if (!over) await rollBack();
    },
  };
}

async function latestOf({ conn }: AttachedStore, table: string): Promise<number> {
  const [[latest]] = (await conn.runAndReadAll(`SELECT epoch_us(max(event_time)) FROM "${table}"`)).getRows() as [[bigint | null]];
  return latest === null ? -Infinity : Number(latest);
}

function micros(ms: number): number {
  return Math.round(ms * 1000);
}
