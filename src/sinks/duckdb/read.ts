import { existsSync } from 'node:fs';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { AuditlineError } from '../../errors.js';
import { locationOfTable, TABLE_PREFIX, tableOf } from './schema.js';
import { storeLockedError } from './store-lock.js';

export interface StoreReader {
  locations(): Promise<string[]>;
  /** Events as JSON text, ordered by location, then time and id, streamed in chunks of rows. */
  events(filter: EventFilter): AsyncGenerator<string[]>;
  /** Like `events`, with each event's position, for paging (`EventFilter.after`). */
  positionedEvents(filter: EventFilter): AsyncGenerator<PositionedEvent[]>;
  close(): void;
}

export interface EventFilter {
  location?: string;
  sinceMs?: number;
  untilMs?: number;
  /** Only events after this one in the export's order (the last one of the previous page). */
  after?: EventPosition;
}

/** Where an event stands in the export's order: its location, time (epoch microseconds) and id. */
export interface EventPosition {
  location: string;
  timeMicros: bigint;
  id: string;
}

export interface PositionedEvent {
  json: string;
  position: EventPosition;
}

/**
 * Reads the store. Given a path, opens it read-only, so exports never take the writer's lock (and
 * a store another process writes is refused, naming that process). Given a connection (a writer's
 * own, lent by `DuckDbSink.reader()`), reads through it; `close()` then closes that connection only.
 */
export async function openStoreReader(source: string | DuckDBConnection): Promise<StoreReader> {
  const { conn, close } = await openReadConnection(source);
  const locations = () => storeLocations(conn);
  async function* positionedEvents(filter: EventFilter): AsyncGenerator<PositionedEvent[]> {
    const all = await locations();
    const after = filter.after;
    const chosen = all.filter(
      (l) => (filter.location === undefined || l === filter.location) && (after === undefined || tableOf(l) >= tableOf(after.location)),
    );
    for (const location of chosen) {
      const where: string[] = [];
      const params: Record<string, number | bigint | string> = {};
      if (filter.sinceMs !== undefined) {
        where.push('event_time >= make_timestamptz($since * 1000)');
        params.since = Math.floor(filter.sinceMs);
      }
      if (filter.untilMs !== undefined) {
        where.push('event_time < make_timestamptz($until * 1000)');
        params.until = Math.floor(filter.untilMs);
      }
      if (after !== undefined && after.location === location) {
        // Split in two so the time bound alone can skip row groups by zone map.
        where.push('event_time >= make_timestamptz($afterTime::BIGINT)', '(event_time > make_timestamptz($afterTime::BIGINT) OR id > $afterId)');
        params.afterTime = after.timeMicros;
        params.afterId = after.id;
      }
      const sql = `SELECT event::VARCHAR, epoch_us(event_time), id FROM "${tableOf(location)}" ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY event_time, id`;
      const result = await conn.stream(sql, params);
      for (;;) {
        const chunk = await result.fetchChunk();
        if (!chunk || chunk.rowCount === 0) break;
        yield chunk.getRows().map(([json, time, id]) => ({ json: String(json), position: { location, timeMicros: BigInt(time as bigint), id: String(id) } }));
      }
    }
  }
  return {
    locations,
    positionedEvents,
    async *events(filter) {
      for await (const rows of positionedEvents(filter)) yield rows.map((r) => r.json);
    },
    close,
  };
}

/** A store opened read-only; a store another process writes is refused naming that process. */
export async function openReadOnlyInstance(path: string): Promise<DuckDBInstance> {
  if (!existsSync(path)) throw new AuditlineError('AL_SOURCE_IO', `store not found: ${path}`, { file: path });
  try {
    return await DuckDBInstance.create(path, { access_mode: 'READ_ONLY' });
  } catch (cause) {
    throw (
      storeLockedError(cause, path, 'AL_SOURCE_IO') ??
      new AuditlineError('AL_SOURCE_IO', `cannot open the store read-only: ${(cause as Error).message}`, { file: path }, { cause })
    );
  }
}

async function openReadOnly(path: string): Promise<{ conn: DuckDBConnection; close: () => void }> {
  const instance = await openReadOnlyInstance(path);
  const conn = await instance.connect();
  return {
    conn,
    close: () => {
      conn.closeSync();
      instance.closeSync();
    },
  };
}

/** The locations that have a table in the store, in name order. */
export async function storeLocations(conn: DuckDBConnection): Promise<string[]> {
  const r = await conn.runAndReadAll(`SELECT table_name FROM information_schema.tables WHERE table_name LIKE '${TABLE_PREFIX}%' ORDER BY table_name`);
  return r.getRows().map(([t]) => locationOfTable(String(t)));
}

/** Opens a DuckDB connection for reading: the given one, or the store at `path` read-only. */
export async function openReadConnection(source: string | DuckDBConnection): Promise<{ conn: DuckDBConnection; close: () => void }> {
  return typeof source === 'string' ? openReadOnly(source) : { conn: source, close: () => source.closeSync() };
}
