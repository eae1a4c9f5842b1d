import { STORED_FIELDS } from '../../model/fields.js';
import { safeLocation } from '../sink.js';

/**
 * Key fields as columns (the field table, model/fields.ts), the whole event as JSON. One table per
 * location (`events_us_south`), never mixed: residency is visible in the schema itself.
 * No PRIMARY KEY: its index lived in memory and grew with the table; the sink finds
 * duplicates by id within the batch's time range instead (sink.ts).
 */
export const COLUMNS = STORED_FIELDS.map((f) => ({ name: f.column, type: f.sqlType }));

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
