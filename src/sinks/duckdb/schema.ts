import type { StoredEvent } from '../../model/records.js';
import { safeLocation } from '../sink.js';

/**
 * Key fields as columns, the whole event as JSON. One table per location
 * (`events_us_south`), never mixed: residency is visible in the schema itself.
 * No PRIMARY KEY: its index lived in memory and grew with the table; the sink finds
 * duplicates by id within the batch's time range instead (sink.ts).
 */
export const COLUMNS: { name: string; type: string; of: keyof StoredEvent }[] = [
  { name: 'id', type: 'VARCHAR NOT NULL', of: 'id' },
  { name: 'event_time', type: 'TIMESTAMPTZ NOT NULL', of: 'time' },
  { name: 'action', type: 'VARCHAR NOT NULL', of: 'action' },
  { name: 'outcome', type: 'VARCHAR NOT NULL', of: 'outcome' },
  { name: 'severity', type: 'VARCHAR NOT NULL', of: 'severity' },
  { name: 'service', type: 'VARCHAR NOT NULL', of: 'service' },
  { name: 'initiator_id', type: 'VARCHAR', of: 'initiatorId' },
  { name: 'initiator_name', type: 'VARCHAR', of: 'initiatorName' },
  { name: 'source_address', type: 'VARCHAR', of: 'sourceAddress' },
  { name: 'target_id', type: 'VARCHAR', of: 'targetId' },
  { name: 'target_type', type: 'VARCHAR', of: 'targetTypeURI' },
  { name: 'correlation_id', type: 'VARCHAR', of: 'correlationId' },
  { name: 'reason_code', type: 'INTEGER', of: 'reasonCode' },
  { name: 'data_event', type: 'BOOLEAN', of: 'dataEvent' },
  { name: 'location', type: 'VARCHAR NOT NULL', of: 'location' },
  { name: 'source', type: 'VARCHAR', of: 'source' },
  { name: 'line', type: 'INTEGER', of: 'line' },
  { name: 'event', type: 'JSON NOT NULL', of: 'json' },
];

export const TABLE_PREFIX = 'events_';

export function tableOf(location: string): string {
  return `${TABLE_PREFIX}${safeLocation(location).replace(/-/g, '_')}`;
}

export function locationOfTable(table: string): string {
  return table.slice(TABLE_PREFIX.length).replace(/_/g, '-');
}

/**
 * Strings are compressed with ZSTD. Left to choose, DuckDB analyses each string column with
 * FSST and dictionaries at every write; with ~1.5 KB of JSON per row that analysis took half
 * the database's time, and the file came out bigger (measured: 48 vs 39 MB per 100k rows; on
 * the event column alone, 288 vs 65 MB for 245k rows). Needs storage version 1.2 (sink.ts).
 */
export function createTableSql(table: string): string {
  const compressed = (type: string) => (/^(VARCHAR|JSON)\b/.test(type) ? `${type} USING COMPRESSION zstd` : type);
  return `CREATE TABLE IF NOT EXISTS "${table}" (${COLUMNS.map((c) => `${c.name} ${compressed(c.type)}`).join(', ')})`;
}
