import { runDetection } from '../../searches/detect.js';
import type { SearchStore } from '../../searches/run.js';
import type { AppContext, Reply, RouteDef, RouteInput } from '../context.js';
import { json } from '../context.js';
import { optionalInstant, queryValues } from '../query-input.js';
import { serially } from './findings.js';
import { num, timeParams, unionOver, withStore, type TimeFilter } from './store-sql.js';

/** Bucket widths the chart may use, smallest first; the first giving at most MAX_BUCKETS is taken. */
const BUCKET_MS = [60_000, 300_000, 900_000, 3_600_000, 10_800_000, 21_600_000, 43_200_000, 86_400_000, 604_800_000];
/** Points of the chart: enough to see a burst, few enough to draw at 1280 px. */
const MAX_BUCKETS = 120;
/** Actions listed on the overview. */
const TOP_ACTIONS = 10;

export interface StoreSpan {
  locations: string[];
  events: number;
  /** ISO 8601 of the first and last event, or null for an empty store */
  first: string | null;
  last: string | null;
}

async function spanOf(store: SearchStore, filter: TimeFilter = {}): Promise<StoreSpan> {
  const locations = await store.locations();
  const union = unionOver(locations, 'event_time', filter);
  if (!union) return { locations, events: 0, first: null, last: null };
  const [row] = await store.query({
    sql: `SELECT count(*) AS n, epoch_ms(min(event_time)) AS first, epoch_ms(max(event_time)) AS last FROM (${union})`,
    params: timeParams(filter),
  });
  const events = num(row?.n);
  return {
    locations,
    events,
    first: events === 0 ? null : new Date(num(row?.first)).toISOString(),
    last: events === 0 ? null : new Date(num(row?.last)).toISOString(),
  };
}

/** `GET /api/store`: the store's locations, event count and time span (what the page's pickers offer). */
async function storeInfo(_input: RouteInput, ctx: AppContext): Promise<Reply> {
  return json(200, await withStore(ctx, (s) => spanOf(s)));
}

export function bucketFor(sinceMs: number, untilMs: number): number {
  const span = Math.max(untilMs - sinceMs, 1);
  return BUCKET_MS.find((b) => span / b <= MAX_BUCKETS) ?? BUCKET_MS[BUCKET_MS.length - 1]!;
}

/**
 * `GET /api/overview?since=&until=&location=`: events over time by location and outcome (counts
 * per bucket), top actions with their failures, the failure rate, and findings by severity (every
 * rule over the range, not recorded in the ledger). Without a range, the store's whole span.
 */
async function overview({ query }: RouteInput, ctx: AppContext): Promise<Reply> {
  const { one } = queryValues(query, ['since', 'until', 'location']);
  const now = Date.now();
  const asked: TimeFilter = { location: one.location, sinceMs: optionalInstant(one.since, 'since', now), untilMs: optionalInstant(one.until, 'until', now) };
  return serially(ctx.query, () =>
    withStore(ctx, async (store) => {
      const span = await spanOf(store, { location: asked.location });
      const sinceMs = asked.sinceMs ?? (span.first ? Date.parse(span.first) : now);
      // The last event is inside the range: `until` is exclusive.
      const untilMs = asked.untilMs ?? (span.last ? Date.parse(span.last) + 1 : now);
      const filter: TimeFilter = { location: asked.location, sinceMs, untilMs };
      const bucketMs = bucketFor(sinceMs, untilMs);
      const union = unionOver(span.locations, 'event_time, location, outcome, action', filter);
      const params = timeParams(filter);
      const timeRows = union
        ? await store.query({
            sql: `SELECT (epoch_ms(event_time) // $bucket) * $bucket AS t, location, outcome, count(*) AS n FROM (${union}) GROUP BY ALL ORDER BY t, location, outcome`,
            params: { ...params, bucket: bucketMs },
          })
        : [];
      const actionRows = union
        ? await store.query({
            sql: `SELECT action, count(*) AS n, count(*) FILTER (WHERE outcome = 'failure') AS failures FROM (${union}) GROUP BY action ORDER BY n DESC, action LIMIT ${TOP_ACTIONS}`,
            params,
          })
        : [];
      const buckets = bucketsOf(sinceMs, untilMs, bucketMs);
      const { series, total, failures } = seriesOf(timeRows, buckets);
      const findings = await runDetection(store, { dir: ctx.query.searchesDir, location: asked.location, sinceMs, untilMs });
      const bySeverity: Record<string, number> = {};
      for (const f of findings) bySeverity[f.severity] = (bySeverity[f.severity] ?? 0) + 1;
      return json(200, {
        since: new Date(sinceMs).toISOString(),
        until: new Date(untilMs).toISOString(),
        location: asked.location ?? null,
        locations: span.locations,
        bucketMs,
        buckets,
        series,
        total,
        failures,
        failureRate: total === 0 ? 0 : failures / total,
        topActions: actionRows.map((r) => ({ action: String(r.action), count: num(r.n), failures: num(r.failures) })),
        findingsBySeverity: bySeverity,
        findings: findings.length,
      });
    }),
  );
}

/** The start of every bucket of the range, the first one holding `sinceMs`. */
export function bucketsOf(sinceMs: number, untilMs: number, bucketMs: number): number[] {
  const buckets: number[] = [];
  for (let t = Math.floor(sinceMs / bucketMs) * bucketMs; t < untilMs; t += bucketMs) buckets.push(t);
  return buckets;
}

interface Series {
  location: string;
  outcome: string;
  /** Events per bucket, in the order of `buckets` (0 where none) */
  counts: number[];
}

/** Rows of (bucket, location, outcome, count) as one line per location and outcome, and their totals. */
export function seriesOf(rows: readonly Record<string, unknown>[], buckets: readonly number[]): { series: Series[]; total: number; failures: number } {
  const byKey = new Map<string, { location: string; outcome: string; counts: Map<number, number> }>();
  let total = 0;
  let failures = 0;
  for (const r of rows) {
    const key = `${String(r.location)}\u0000${String(r.outcome)}`;
    const s = byKey.get(key) ?? { location: String(r.location), outcome: String(r.outcome), counts: new Map<number, number>() };
    byKey.set(key, s);
    s.counts.set(num(r.t), num(r.n));
    total += num(r.n);
    if (r.outcome === 'failure') failures += num(r.n);
  }
  const series = [...byKey.values()].map((s) => ({ location: s.location, outcome: s.outcome, counts: buckets.map((b) => s.counts.get(b) ?? 0) }));
  return { series, total, failures };
}

export const overviewRoutes: readonly RouteDef[] = [
  { methods: ['GET'], path: '/api/store', handler: storeInfo },
  { methods: ['GET'], path: '/api/overview', handler: overview },
];
