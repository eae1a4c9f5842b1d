import { existsSync } from 'node:fs';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { AuditlineError } from '../../errors.js';
import { locationOfTable, TABLE_PREFIX, tableOf } from './schema.js';

export interface StoreReader {
  locations(): Promise<string[]>;
  /** Events as JSON text, ordered by time, streamed in chunks of rows. */
  events(filter: EventFilter): AsyncGenerator<string[]>;
  close(): void;
}

export interface EventFilter {
  location?: string;
  sinceMs?: number;
  untilMs?: number;
}

/** Opens the store read-only: searches and exports never take the writer's lock. */
export async function openStoreReader(path: string): Promise<StoreReader> {
  if (!existsSync(path)) throw new AuditlineError('AL_SOURCE_IO', `store not found: ${path}`, { file: path });
  const instance = await DuckDBInstance.create(path, { access_mode: 'READ_ONLY' });
  const conn: DuckDBConnection = await instance.connect();
  const locations = async () => {
    const r = await conn.runAndReadAll(`SELECT table_name FROM information_schema.tables WHERE table_name LIKE '${TABLE_PREFIX}%' ORDER BY table_name`);
    return r.getRows().map(([t]) => locationOfTable(String(t)));
  };
  return {
    locations,
    async *events(filter) {
      const all = await locations();
      const chosen = filter.location ? all.filter((l) => l === filter.location) : all;
      for (const location of chosen) {
        const where: string[] = [];
        const params: Record<string, number> = {};
        if (filter.sinceMs !== undefined) {
          where.push('event_time >= make_timestamptz($since * 1000)');
          params.since = Math.floor(filter.sinceMs);
        }
        if (filter.untilMs !== undefined) {
          where.push('event_time < make_timestamptz($until * 1000)');
          params.until = Math.floor(filter.untilMs);
        }
        const sql = `SELECT event::VARCHAR FROM "${tableOf(location)}" ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY event_time, id`;
        const result = await conn.stream(sql, params);
        for (;;) {
          const chunk = await result.fetchChunk();
          if (!chunk || chunk.rowCount === 0) break;
          yield chunk.getRows().map(([json]) => String(json));
        }
      }
    },
    close() {
      conn.closeSync();
      instance.closeSync();
    },
  };
}
