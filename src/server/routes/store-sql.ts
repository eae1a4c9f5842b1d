import { openSearchStore, type SearchStore } from '../../searches/run.js';
import { tableOf } from '../../sinks/duckdb/schema.js';
import type { AppContext } from '../context.js';
import { openReadConnection } from './query-store.js';

/**
 * SQL over every location's table (or one), for the analysts' page routes. Table names come from
 * the store itself (`tableOf` of its own locations); every value is bound as a parameter.
 */

/** An epoch-milliseconds parameter as a DuckDB instant (the search compiler's form). */
export const at = (param: string): string => `make_timestamptz(CAST($${param} AS BIGINT) * 1000)`;

export interface TimeFilter {
  location?: string;
  sinceMs?: number;
  untilMs?: number;
}

/** `SELECT <columns> FROM <table> WHERE <time and extra>` per chosen location, as one UNION ALL; undefined when no location matches. */
export function unionOver(locations: readonly string[], columns: string, filter: TimeFilter, extra: readonly string[] = []): string | undefined {
  const chosen = filter.location === undefined ? locations : locations.filter((l) => l === filter.location);
  if (chosen.length === 0) return undefined;
  const where = [
    ...(filter.sinceMs === undefined ? [] : [`event_time >= ${at('since')}`]),
    ...(filter.untilMs === undefined ? [] : [`event_time < ${at('until')}`]),
    ...extra,
  ];
  return chosen.map((l) => `SELECT ${columns} FROM "${tableOf(l)}"${where.length ? ` WHERE ${where.join(' AND ')}` : ''}`).join('\nUNION ALL\n');
}

/** The time bounds of a filter as the parameters `unionOver`'s text names. */
export function timeParams(filter: TimeFilter): Record<string, number> {
  return {
    ...(filter.sinceMs === undefined ? {} : { since: Math.floor(filter.sinceMs) }),
    ...(filter.untilMs === undefined ? {} : { until: Math.floor(filter.untilMs) }),
  };
}

/** Runs `task` on a store connection of the server and closes it after. */
export async function withStore<T>(ctx: AppContext, task: (store: SearchStore) => Promise<T>): Promise<T> {
  const store = await openSearchStore(await openReadConnection(ctx));
  try {
    return await task(store);
  } finally {
    store.close();
  }
}

/** DuckDB answers counts as bigint; JSON needs numbers (counts of a store stay far below 2^53). */
export const num = (v: unknown): number => (typeof v === 'bigint' ? Number(v) : typeof v === 'number' ? v : 0);
