import { INDEX_PATTERN, streamName } from '../sinks/elasticsearch/templates.js';
import { ID_FIELD, TIME_FIELD } from './fields.js';
import { SAMPLE_IDS } from './compile-sql.js';
import type { Plan, WorkingWindow } from './plan.js';
import type { Match, Predicate } from './predicate.js';
import type { Threshold } from './schema.js';

/**
 * Elasticsearch query DSL with aggregations for a plan: a pure function, no network. Searches
 * become a sorted query; rules become nested `terms` aggregations (one level per group field,
 * so a missing value drops out as it does in SQL) over a `date_histogram` with the rule's
 * timespan as fixed interval, which cuts the same epoch-aligned windows as the SQL backend.
 * Thresholds are `bucket_selector`s whose scripts read the rule's numbers from `params`, never
 * from the script text.
 */

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

export interface DslRequest {
  /** Data stream(s) to search: one location's, or every location's pattern */
  index: string;
  body: JsonObject;
}

export interface DslRange {
  location?: string;
  sinceMs?: number;
  untilMs?: number;
  limit?: number;
}

/** Buckets per group level: Elasticsearch's default search.max_buckets (65 536) caps the total. */
export const MAX_GROUPS = 10_000;
/** Events per step kept for temporal_ordered: the order is decided from these times. */
export const ORDERED_STEP_HITS = 100;
/** Below this many distinct values, cardinality is exact (Elasticsearch's maximum). */
const CARDINALITY_PRECISION = 40_000;

const TIME = TIME_FIELD.esField;

/** `*`, `?` and `\` are wildcard syntax; a value's own are escaped. */
function wildcardEscape(s: string): string {
  return s.replace(/[*?\\]/g, (c) => `\\${c}`);
}

function matchDsl(m: Match): JsonObject {
  const f = m.field.esField;
  const ci: JsonObject = m.cased || m.field.type !== 'text' ? {} : { case_insensitive: true };
  switch (m.op) {
    case 'null':
      return { bool: { must_not: [{ exists: { field: f } }] } };
    case 'exists':
      return { exists: { field: f } };
    case 'eq':
      return { term: { [f]: { value: m.value, ...ci } } };
    case 'startswith':
      return { prefix: { [f]: { value: String(m.value), ...ci } } };
    case 'contains':
      return { wildcard: { [f]: { value: `*${wildcardEscape(String(m.value))}*`, ...ci } } };
    case 'endswith':
      return { wildcard: { [f]: { value: `*${wildcardEscape(String(m.value))}`, ...ci } } };
    case 're':
      // flags NONE: Lucene's optional operators (@ & ~ < > #) are literal characters, as in RE2.
      return { regexp: { [f]: { value: String(m.value), flags: 'NONE', ...(m.cased ? {} : { case_insensitive: true }) } } };
    case 'gt':
    case 'gte':
    case 'lt':
    case 'lte':
      return { range: { [f]: { [m.op]: m.value } } };
  }
}

export function predicateDsl(p: Predicate): JsonObject {
  switch (p.kind) {
    case 'match':
      return matchDsl(p);
    case 'not':
      return { bool: { must_not: [predicateDsl(p.item)] } };
    case 'and':
      if (p.items.length === 0) return { match_all: {} };
      return p.items.length === 1 ? predicateDsl(p.items[0]!) : { bool: { filter: p.items.map(predicateDsl) } };
    case 'or':
      if (p.items.length === 0) return { match_none: {} };
      return p.items.length === 1 ? predicateDsl(p.items[0]!) : { bool: { should: p.items.map(predicateDsl), minimum_should_match: 1 } };
  }
}

function timeRange(fromMs: number | undefined, untilMs: number | undefined): JsonObject | undefined {
  if (fromMs === undefined && untilMs === undefined) return undefined;
  const r: JsonObject = { format: 'epoch_millis' };
  if (fromMs !== undefined) r.gte = Math.floor(fromMs);
  if (untilMs !== undefined) r.lt = Math.floor(untilMs);
  return { range: { [TIME]: r } };
}

const MINUTE_MS = 60_000;
const DAY_MS = 86_400_000;
/** Most time ranges an outside-hours filter may hold: two or so a day, so about three years of range. */
export const MAX_OFF_HOURS_RANGES = 2_000;

/**
 * The stretches of [fromMs, untilMs) outside a working window, as time ranges (adjacent ones merged:
 * a weekend is one). Query DSL has no hour-of-day query short of a script, and the searched range is
 * known when the query is built.
 */
export function outsideHoursDsl(w: WorkingWindow, fromMs: number, untilMs: number): JsonObject {
  const ranges: [number, number][] = [];
  const add = (start: number, end: number) => {
    const a = Math.max(start, fromMs);
    const b = Math.min(end, untilMs);
    if (a >= b) return;
    const last = ranges.at(-1);
    if (last && last[1] >= a) last[1] = Math.max(last[1], b);
    else ranges.push([a, b]);
  };
  for (let day = Math.floor(fromMs / DAY_MS) * DAY_MS; day < untilMs; day += DAY_MS) {
    if (!w.days.includes(new Date(day).getUTCDay())) add(day, day + DAY_MS);
    else {
      add(day, day + w.fromMin * MINUTE_MS);
      add(day + w.toMin * MINUTE_MS, day + DAY_MS);
    }
  }
  if (ranges.length > MAX_OFF_HOURS_RANGES)
    throw new Error(`outside-hours over this range needs ${ranges.length} time ranges (at most ${MAX_OFF_HOURS_RANGES}): search a shorter range`);
  if (ranges.length === 0) return { match_none: {} };
  const clauses = ranges.map(([a, b]): JsonObject => ({ range: { [TIME]: { gte: Math.floor(a), lt: Math.ceil(b), format: 'epoch_millis' } } }));
  return clauses.length === 1 ? clauses[0]! : { bool: { should: clauses, minimum_should_match: 1 } };
}

/** A bucket_selector keeping buckets whose `path` value meets every comparison of a threshold. */
function thresholdSelector(path: string, t: Threshold): JsonObject {
  const ops = { gt: '>', gte: '>=', lt: '<', lte: '<=', eq: '==' } as const;
  const keys = (Object.keys(ops) as (keyof typeof ops)[]).filter((k) => t[k] !== undefined);
  return {
    bucket_selector: {
      buckets_path: { value: path },
      script: { source: keys.map((k) => `params.value ${ops[k]} params.${k}`).join(' && '), params: Object.fromEntries(keys.map((k) => [k, t[k]!])) },
    },
  };
}

const stats = (): JsonObject => ({
  first_seen: { min: { field: TIME } },
  last_seen: { max: { field: TIME } },
  sample_ids: { top_hits: { size: SAMPLE_IDS, sort: [{ [TIME]: { order: 'asc' } }, { [ID_FIELD.esField]: { order: 'asc' } }], _source: false } },
  locations: { terms: { field: 'location', size: MAX_GROUPS } },
});

/** Nested terms aggregations, one per group field, around the innermost aggregations. */
function grouped(plan: Plan, inner: JsonObject): JsonObject {
  let aggs = inner;
  for (let i = plan.groupBy.length - 1; i >= 0; i--) {
    aggs = { [`g${i}`]: { terms: { field: plan.groupBy[i]!.esField, size: MAX_GROUPS }, aggs } };
  }
  return aggs;
}

function windows(plan: Plan, aggs: JsonObject): JsonObject {
  const timespan = plan.definition.correlation?.timespan ?? plan.definition.baseline?.timespan;
  return { window: { date_histogram: { field: TIME, fixed_interval: timespan ?? `${plan.spanMs}ms`, min_doc_count: 1 }, aggs } };
}

export function compileDsl(plan: Plan, range: DslRange): DslRequest {
  const index = range.location === undefined ? INDEX_PATTERN : streamName(range.location);
  const lookBack = plan.kind === 'new_terms' || plan.kind === 'baseline';
  const from = range.sinceMs === undefined ? undefined : lookBack ? range.sinceMs - plan.historyMs : range.sinceMs;
  if (plan.outsideHours && (from === undefined || range.untilMs === undefined)) throw new Error('a rule runs over a closed time range');
  const hours = plan.outsideHours ? outsideHoursDsl(plan.outsideHours, from!, range.untilMs!) : undefined;
  const filter = [timeRange(from, range.untilMs), predicateDsl(plan.filter), hours].filter((q): q is JsonObject => q !== undefined && !('match_all' in q));
  const query: JsonObject = filter.length === 0 ? { match_all: {} } : { bool: { filter } };

  if (plan.kind === 'events') {
    return {
      index,
      body: { query, size: range.limit ?? MAX_GROUPS, sort: [{ [TIME]: { order: 'asc' } }, { [ID_FIELD.esField]: { order: 'asc' } }], track_total_hits: true },
    };
  }
  if (range.sinceMs === undefined || range.untilMs === undefined) throw new Error('a rule runs over a closed time range');
  const since = Math.floor(range.sinceMs);
  let inner: JsonObject;
  switch (plan.kind) {
    case 'event_count':
      inner = windows(plan, { ...stats(), threshold: thresholdSelector('_count', plan.threshold) });
      break;
    case 'value_count':
      inner = windows(plan, {
        ...stats(),
        distinct: { cardinality: { field: plan.valueField!.esField, precision_threshold: CARDINALITY_PRECISION } },
        values: { terms: { field: plan.valueField!.esField, size: SAMPLE_IDS, order: { _key: 'asc' } } },
        threshold: thresholdSelector('distinct', plan.threshold),
      });
      break;
    case 'temporal':
    case 'temporal_ordered': {
      const steps: JsonObject = {};
      plan.steps.forEach((s, i) => {
        const times: JsonObject =
          plan.kind === 'temporal_ordered'
            ? { aggs: { times: { top_hits: { size: ORDERED_STEP_HITS, sort: [{ [TIME]: { order: 'asc' } }], _source: false } } } }
            : {};
        steps[`s${i}`] = { filter: predicateDsl(s.predicate), ...times };
      });
      const paths = Object.fromEntries(plan.steps.map((_, i) => [`s${i}`, `s${i}>_count`]));
      const every = { bucket_selector: { buckets_path: paths, script: { source: plan.steps.map((_, i) => `params.s${i} > 0`).join(' && ') } } };
      inner = windows(plan, { ...stats(), ...steps, every_step: every });
      break;
    }
    case 'new_terms': {
      const v = plan.valueField!.esField;
      inner = {
        new_values: {
          terms: { field: v, size: MAX_GROUPS },
          aggs: {
            first_seen: { min: { field: TIME } },
            first_event: { top_hits: { size: 1, sort: [{ [TIME]: { order: 'asc' } }, { [ID_FIELD.esField]: { order: 'asc' } }], _source: false } },
            locations: { terms: { field: 'location', size: MAX_GROUPS } },
            is_new: { bucket_selector: { buckets_path: { first: 'first_seen' }, script: { source: 'params.first >= params.since', params: { since } } } },
          },
        },
        threshold: thresholdSelector('new_values._bucket_count', plan.threshold),
      };
      break;
    }
    case 'baseline': {
      const errors = plan.errors ? predicateDsl(plan.errors) : { match_all: {} };
      inner = {
        history: { filter: { range: { [TIME]: { lt: since, format: 'epoch_millis' } } }, aggs: { errors: { filter: errors } } },
        current: {
          filter: { range: { [TIME]: { gte: since, format: 'epoch_millis' } } },
          aggs: windows(plan, { ...stats(), errors: { filter: errors, aggs: { sample_ids: stats().sample_ids! } } }),
        },
      };
      break;
    }
  }
  // A rate's history reaches back to the first event it holds (compile-sql.ts, `reach`).
  const reach: JsonObject =
    plan.kind === 'baseline' && plan.metric === 'rate'
      ? { history_reach: { filter: { range: { [TIME]: { lt: since, format: 'epoch_millis' } } }, aggs: { first: { min: { field: TIME } } } } }
      : {};
  return { index, body: { query, size: 0, aggs: { ...grouped(plan, inner), ...reach } } };
}
