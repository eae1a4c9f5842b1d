import { LOCATION_FIELD } from './fields.js';
import type { Plan } from './plan.js';
import type { Severity } from './schema.js';

/**
 * What a detection rule reports: one finding per group and window that met the rule, named by
 * the rule and by the location(s) its events came from, with a few event ids to start from.
 */
export interface Finding {
  /** The rule's stable id */
  rule: string;
  /** The rule's file slug */
  name: string;
  title: string;
  severity: Severity;
  /** The location of the events, or several joined by "," for rules that count locations */
  location: string;
  /** Group-by field (event path) to value; location is given apart */
  group: Record<string, string | number | boolean | null>;
  /** Events (event_count, temporal), distinct values (value_count), new values (new_terms), events or errors (baseline) */
  count: number;
  /** Start of the window (ISO 8601): the tumbling window; for new_terms, when the first new value was seen */
  windowStart: string;
  firstSeen: string;
  lastSeen: string;
  sampleEventIds: string[];
  /** ATT&CK technique ids (T1485, T1552.001) from the rule's tags */
  techniques: string[];
  /** The distinct or new values counted, when the rule counts values */
  values?: (string | number | boolean)[];
  /** baseline: the window's events and errors against the baseline's */
  baseline?: { events: number; errors: number; historyEvents: number; historyErrors: number };
}

/** Techniques from Sigma-style tags: `attack.t1552.001` gives `T1552.001`. */
export function techniquesOf(tags: readonly string[] | undefined): string[] {
  return (tags ?? []).filter((t) => /^attack\.t\d{4}/.test(t)).map((t) => t.slice('attack.'.length).toUpperCase());
}

type Row = Record<string, unknown>;

const iso = (v: unknown): string => (v instanceof Date ? v.toISOString() : new Date(Number(v)).toISOString());
const num = (v: unknown): number => (typeof v === 'bigint' ? Number(v) : Number(v ?? 0));
const scalar = (v: unknown): string | number | boolean | null =>
  v === null || v === undefined ? null : typeof v === 'bigint' ? Number(v) : (v as string | number | boolean);

/** One result row of a rule's SQL (compile-sql.ts) as a finding. */
export function findingOfRow(plan: Plan, row: Row): Finding {
  const def = plan.definition;
  const group: Finding['group'] = {};
  let location: string | undefined;
  plan.groupBy.forEach((g, i) => {
    const value = scalar(row[`g${i}`]);
    if (g.path === LOCATION_FIELD.path) location = String(value);
    else group[g.path] = value;
  });
  const locations = (row.locations as unknown[] | undefined)?.map(String) ?? [];
  const finding: Finding = {
    rule: def.id,
    name: plan.name,
    title: def.title,
    severity: def.severity ?? 'informational',
    location: location ?? locations.join(','),
    group,
    count: num(row.count),
    windowStart: iso(row.window_start),
    firstSeen: iso(row.first_seen),
    lastSeen: iso(row.last_seen),
    sampleEventIds: ((row.sample_ids as unknown[] | undefined) ?? []).map(String),
    techniques: techniquesOf(def.tags),
  };
  if (row.values !== undefined) finding.values = (row.values as unknown[]).map((v) => scalar(v) as string | number | boolean);
  if (plan.kind === 'baseline') {
    finding.baseline = { events: num(row.events), errors: num(row.errors), historyEvents: num(row.history_events), historyErrors: num(row.history_errors) };
  }
  return finding;
}

/** A finding's identity across runs: the same rule, place, group and window is the same finding. */
export function findingKey(f: Finding): string {
  return JSON.stringify([f.rule, f.location, Object.entries(f.group).sort(([a], [b]) => (a < b ? -1 : 1)), f.windowStart]);
}
