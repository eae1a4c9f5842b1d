import type { DuckDBConnection } from '@duckdb/node-api';
import { openReadConnection, storeLocations } from '../sinks/duckdb/read.js';
import { tableOf } from '../sinks/duckdb/schema.js';
import { compileSql, type SqlQuery } from './compile-sql.js';
import { findingOfRow, type Finding } from './findings.js';
import type { Plan } from './plan.js';

/** The embedded store as searches read it: read-only, so a search never takes the writer's lock. */
export interface SearchStore {
  locations(): Promise<string[]>;
  query(q: SqlQuery): Promise<Record<string, unknown>[]>;
  close(): void;
}

/**
 * Given a path, opens the store read-only (a store another process writes is refused, naming that
 * process). Given a connection (a writer's own, lent by `DuckDbSink.reader()`), searches through it;
 * `close()` then closes that connection only.
 */
export async function openSearchStore(source: string | DuckDBConnection): Promise<SearchStore> {
  const { conn, close } = await openReadConnection(source);
  return {
    locations: () => storeLocations(conn),
    async query(q) {
      const r = await conn.runAndReadAll(q.sql, q.params);
      return r.getRowObjectsJS() as Record<string, unknown>[];
    },
    close,
  };
}

export interface RunRange {
  /** Only this location; default every location in the store */
  location?: string;
  sinceMs?: number;
  untilMs?: number;
  limit?: number;
}

export type RunResult = { kind: 'events'; events: Record<string, unknown>[] } | { kind: 'findings'; findings: Finding[] };

/** The SQL a plan runs as over the store's locations (or the one asked for), or undefined when there is none. */
export async function sqlFor(store: SearchStore, plan: Plan, range: RunRange): Promise<SqlQuery | undefined> {
  const all = await store.locations();
  const chosen = range.location === undefined ? all : all.filter((l) => l === range.location);
  if (chosen.length === 0) return undefined;
  return compileSql(plan, { tables: chosen.map(tableOf), sinceMs: range.sinceMs, untilMs: range.untilMs, limit: range.limit });
}

export async function runPlan(store: SearchStore, plan: Plan, range: RunRange): Promise<RunResult> {
  const q = await sqlFor(store, plan, range);
  const rows = q ? await store.query(q) : [];
  if (plan.definition.type === 'search' || plan.kind === 'events') {
    if (plan.definition.type === 'rule') return { kind: 'findings', findings: rows.map((r) => eventFinding(plan, r)) };
    return { kind: 'events', events: rows.map((r) => JSON.parse(String(r.event)) as Record<string, unknown>) };
  }
  return { kind: 'findings', findings: rows.map((r) => findingOfRow(plan, r)) };
}

/** A rule without correlation reports each matching event as a finding of its own, named by its principal and target. */
function eventFinding(plan: Plan, row: Record<string, unknown>): Finding {
  const time = (row.event_time as Date).toISOString();
  const text = (v: unknown) => (v === null || v === undefined ? null : String(v));
  return {
    ...findingOfRow(
      { ...plan, groupBy: [] },
      { count: 1, window_start: row.event_time, first_seen: row.event_time, last_seen: row.event_time, sample_ids: [row.id], locations: [row.location] },
    ),
    group: { 'initiator.id': text(row.initiator), 'target.id': text(row.target) },
    windowStart: time,
  };
}
