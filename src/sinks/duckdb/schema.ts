import type { StoredEvent } from '../../model/records.js';
import { safeLocation } from '../sink.js';

/**
 * Key fields as columns, the whole event as JSON. One table per location
 * (`events_us_south`), never mixed: residency is visible in the schema itself.
 */
export const COLUMNS: { name: string; type: string; of: keyof StoredEvent }[] = [
  { name: 'id', type: 'VARCHAR PRIMARY KEY', of: 'id' },
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

export function createTableSql(table: string): string {
  return `CREATE TABLE IF NOT EXISTS "${table}" (${COLUMNS.map((c) => `${c.name} ${c.type}`).join(', ')})`;
}
