import type { ClusterAnswer, SearchHit } from '../sinks/elasticsearch/search.js';
import { SAMPLE_IDS } from './compile-sql.js';
import type { SearchField } from './fields.js';
import { findingOfRow, type Finding } from './findings.js';
import type { Plan } from './plan.js';
import type { RunResult } from './run.js';

/**
 * Elasticsearch answers to the DSL of compile-dsl.ts, read into the rows the SQL of compile-sql.ts
 * gives (`g0..`, `window_start`, `count`, `first_seen`, `sample_ids`, ...), so that both backends
 * end in the same `findingOfRow` and a rule reports the same findings wherever it ran. Pure: no
 * network. What the aggregations leave to the client is done here: the order of temporal steps,
 * the baseline comparison, merging the answers of several clusters and the SQL's row order.
 */

type Row = Record<string, unknown>;
type Agg = Record<string, unknown>;
interface Bucket extends Agg {
  key: unknown;
  key_as_string?: string;
  doc_count: number;
}

export interface ResultRange {
  /** Start of the searched range (new_terms, baseline) */
  sinceMs?: number;
  /** Most events a search returns */
  limit?: number;
}

const buckets = (agg: unknown): Bucket[] => (agg as { buckets?: Bucket[] } | undefined)?.buckets ?? [];
const sub = (bucket: Agg, name: string): Agg => (bucket[name] as Agg | undefined) ?? {};
const value = (bucket: Agg, name: string): number | null => (sub(bucket, name).value as number | null | undefined) ?? null;
const topIds = (agg: Agg): string[] => ((agg.hits as { hits?: { _id: string }[] } | undefined)?.hits ?? []).map((h) => h._id);
const topTimes = (agg: Agg): number[] => ((agg.hits as { hits?: { sort?: unknown[] }[] } | undefined)?.hits ?? []).map((h) => Number(h.sort?.[0]));
const keys = (agg: unknown): string[] =>
  buckets(agg)
    .map((b) => String(b.key))
    .sort(compareText);

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** A terms bucket's key as the SQL column holds it: booleans come back from Elasticsearch as 1/0. */
export function keyOf(bucket: Bucket, field: SearchField): string | number | boolean {
  if (field.type === 'boolean') return bucket.key_as_string === 'true' || bucket.key === 1 || bucket.key === true;
  if (field.type === 'number') return Number(bucket.key);
  return String(bucket.key);
}

/** Every innermost bucket of the nested `terms` per group field, with the group values on its path. */
function groups(plan: Plan, aggs: Agg): { row: Row; bucket: Agg }[] {
  const out: { row: Row; bucket: Agg }[] = [];
  const walk = (node: Agg, depth: number, row: Row) => {
    if (depth === plan.groupBy.length) {
      out.push({ row, bucket: node });
      return;
    }
    for (const b of buckets(node[`g${depth}`])) walk(b, depth + 1, { ...row, [`g${depth}`]: keyOf(b, plan.groupBy[depth]!) });
  };
  walk(aggs, 0, {});
  return out;
}

/** What every finding reports of a window's events, as `statsSql` in compile-sql.ts. */
function stats(w: Bucket): Row {
  return {
    window_start: w.key,
    first_seen: value(w, 'first_seen'),
    last_seen: value(w, 'last_seen'),
    sample_ids: topIds(sub(w, 'sample_ids')),
    locations: keys(w.locations),
  };
}

/**
 * temporal_ordered: whether the steps occur in order, greedily as the SQL does: the earliest event
 * of each step strictly after the one chosen for the step before.
 */
export function inOrder(stepTimes: readonly (readonly number[])[]): boolean {
  let after = -Infinity;
  for (const times of stepTimes) {
    const next = times.filter((t) => t > after).reduce((m, t) => Math.min(m, t), Infinity);
    if (next === Infinity) return false;
    after = next;
  }
  return true;
}

/**
 * baseline: the window against its group's trailing history, as the SQL's WHERE clause. `reachMs`:
 * how far back before the range the history goes (the first event it holds; default the whole `history`).
 */
export function exceedsBaseline(plan: Plan, current: { n: number; errors: number }, history: { n: number; errors: number }, reachMs = plan.historyMs): boolean {
  if (history.n < plan.minHistory) return false;
  if (plan.metric === 'rate') return current.n >= plan.minCount && current.n * reachMs > plan.factor * history.n * plan.spanMs;
  return current.errors >= plan.minCount && current.errors * Math.max(history.n, 1) > plan.factor * history.errors * current.n;
}

/** Rows of one cluster's aggregations, for a rule with correlation, new_terms or baseline. */
export function rowsOfAggregations(plan: Plan, aggs: Agg, reachMs?: number): Row[] {
  const rows: Row[] = [];
  for (const { row, bucket } of groups(plan, aggs)) {
    switch (plan.kind) {
      case 'event_count':
      case 'temporal':
        for (const w of buckets(bucket.window)) rows.push({ ...row, ...stats(w), count: w.doc_count });
        break;
      case 'value_count':
        for (const w of buckets(bucket.window))
          rows.push({ ...row, ...stats(w), count: value(w, 'distinct'), values: buckets(w.values).map((b) => keyOf(b, plan.valueField!)) });
        break;
      case 'temporal_ordered':
        for (const w of buckets(bucket.window)) {
          if (inOrder(plan.steps.map((_, i) => topTimes(sub(sub(w, `s${i}`), 'times'))))) rows.push({ ...row, ...stats(w), count: w.doc_count });
        }
        break;
      case 'new_terms': {
        const news = buckets(bucket.new_values).map((b) => ({
          v: keyOf(b, plan.valueField!),
          first: value(b, 'first_seen')!,
          id: topIds(sub(b, 'first_event'))[0] ?? '',
          locations: keys(b.locations),
        }));
        if (news.length === 0) break;
        const byTime = (tie: (x: (typeof news)[number], y: (typeof news)[number]) => number) => [...news].sort((x, y) => x.first - y.first || tie(x, y));
        const firsts = news.map((n) => n.first);
        rows.push({
          ...row,
          window_start: Math.min(...firsts),
          count: news.length,
          first_seen: Math.min(...firsts),
          last_seen: Math.max(...firsts),
          sample_ids: byTime((x, y) => compareText(x.id, y.id))
            .slice(0, SAMPLE_IDS)
            .map((n) => n.id),
          locations: [...new Set(news.flatMap((n) => n.locations))].sort(compareText),
          values: byTime((x, y) => compareValues(x.v, y.v))
            .slice(0, SAMPLE_IDS)
            .map((n) => n.v),
        });
        break;
      }
      case 'baseline': {
        const history = sub(bucket, 'history');
        const h = { n: (history.doc_count as number | undefined) ?? 0, errors: (sub(history, 'errors').doc_count as number | undefined) ?? 0 };
        for (const w of buckets(sub(bucket, 'current').window)) {
          const errors = sub(w, 'errors');
          const c = { n: w.doc_count, errors: errors.doc_count as number };
          if (!exceedsBaseline(plan, c, h, reachMs)) continue;
          rows.push({
            ...row,
            ...stats(w),
            sample_ids: topIds(sub(errors, 'sample_ids')),
            count: plan.metric === 'rate' ? c.n : c.errors,
            events: c.n,
            errors: c.errors,
            history_events: h.n,
            history_errors: h.errors,
          });
        }
        break;
      }
      case 'events':
        throw new Error('rowsOfAggregations: an events plan has no aggregations');
    }
  }
  return rows;
}

function compareValues(a: unknown, b: unknown): number {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  if (typeof a === 'boolean' && typeof b === 'boolean') return Number(a) - Number(b);
  return compareText(String(a), String(b));
}

/** The SQL's `ORDER BY first_seen, g0, g1, ..., window_start`. */
function sqlOrder(plan: Plan): (a: Row, b: Row) => number {
  return (a, b) => {
    const c = Number(a.first_seen) - Number(b.first_seen);
    if (c !== 0) return c;
    for (let i = 0; i < plan.groupBy.length; i++) {
      const g = compareValues(a[`g${i}`], b[`g${i}`]);
      if (g !== 0) return g;
    }
    return Number(a.window_start) - Number(b.window_start);
  };
}

/** Hits of every cluster in the search's order (time, then id), cut to the limit. */
function mergedHits(answers: readonly ClusterAnswer[], limit: number | undefined): SearchHit[] {
  const all = answers.flatMap((a) => a.hits);
  const at = (h: SearchHit) => [Number(h.sort?.[0]), String(h.sort?.[1] ?? h.id)] as const;
  all.sort((x, y) => at(x)[0] - at(y)[0] || compareText(at(x)[1], at(y)[1]));
  return limit === undefined ? all : all.slice(0, limit);
}

/** A rule without correlation reports each matching event as a finding of its own, as on DuckDB. */
function eventFinding(plan: Plan, hit: SearchHit): Finding {
  const event = (hit.source ?? {}) as { initiator?: { id?: string }; target?: { id?: string }; location?: string };
  const time = Number(hit.sort?.[0]);
  return {
    ...findingOfRow(
      { ...plan, groupBy: [] },
      { count: 1, window_start: time, first_seen: time, last_seen: time, sample_ids: [hit.id], locations: [event.location] },
    ),
    group: { 'initiator.id': event.initiator?.id ?? null, 'target.id': event.target?.id ?? null },
    windowStart: new Date(time).toISOString(),
  };
}

/** The answers of every cluster to a plan's DSL, as the same result the DuckDB backend gives. */
export function resultOfAnswers(plan: Plan, answers: readonly ClusterAnswer[], range: ResultRange = {}): RunResult {
  if (plan.definition.type === 'search' || plan.kind === 'events') {
    const hits = mergedHits(answers, range.limit);
    if (plan.definition.type === 'rule') return { kind: 'findings', findings: hits.map((h) => eventFinding(plan, h)) };
    return { kind: 'events', events: hits.map((h) => h.source ?? {}) };
  }
  // Clusters hold disjoint locations, and location is a group unless the rule counts locations:
  // rows of two clusters never describe one group. A rule counting locations sees each cluster's alone.
  // The history's reach is the whole store's, as the SQL's over every location: the earliest first event of any cluster.
  const firsts = answers.map((a) => value(sub(a.aggregations ?? {}, 'history_reach'), 'first')).filter((t): t is number => t !== null);
  const reachMs =
    plan.kind === 'baseline' && plan.metric === 'rate' && range.sinceMs !== undefined
      ? firsts.length > 0
        ? range.sinceMs - Math.min(...firsts)
        : 0
      : undefined;
  const rows = answers.flatMap((a) => rowsOfAggregations(plan, a.aggregations ?? {}, reachMs));
  return { kind: 'findings', findings: rows.sort(sqlOrder(plan)).map((r) => findingOfRow(plan, r)) };
}
