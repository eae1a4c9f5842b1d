import { runDetection } from '../../searches/detect.js';
import { openLedger } from '../../searches/ledger.js';
import { emptyNote, formatFindings } from '../../searches/output.js';
import { openSearchStore } from '../../searches/run.js';
import type { AppContext, QuerySource, Reply, RouteDef, RouteInput } from '../context.js';
import { oneOf, optionalBoolean, optionalInstant, queryValues } from '../query-input.js';
import { openReadConnection } from './query-store.js';
import { CONTENT_TYPES } from './searches.js';

const KNOWN = ['since', 'until', 'rule', 'location', 'record', 'format'];
const FORMATS = ['table', 'json'] as const;

/**
 * Detections of one server run one after another: each reads the ledger, then records what it
 * found new, so two at once would both report the same finding as new. It also bounds the memory
 * detection takes beside the ingest. Scheduled detection (detect-schedule.ts) queues here too.
 */
const running = new WeakMap<QuerySource, Promise<unknown>>();

export function serially<T>(source: QuerySource, task: () => Promise<T>): Promise<T> {
  const next = (running.get(source) ?? Promise.resolve()).then(task, task);
  running.set(
    source,
    next.catch(() => undefined),
  );
  return next;
}

/**
 * `GET /api/findings?since=&until=&rule=&location=&record=&format=`: `auditline detect` on the
 * server's store: every rule (or those named) over the range, each finding marked new or known by
 * the server's findings ledger, new ones recorded unless `record=false`. The answer is what
 * `detect --format F` prints (JSON by default).
 */
async function findings({ query }: RouteInput, ctx: AppContext): Promise<Reply> {
  const { one, many } = queryValues(query, KNOWN, ['rule']);
  const now = Date.now();
  const sinceMs = optionalInstant(one.since ?? '24h', 'since', now)!;
  const untilMs = optionalInstant(one.until, 'until', now) ?? now;
  const record = optionalBoolean(one.record, 'record') ?? true;
  const format = oneOf(one.format, 'format', FORMATS) ?? 'json';
  return serially(ctx.query, async () => {
    const store = await openSearchStore(await openReadConnection(ctx));
    let found;
    try {
      found = await runDetection(store, { dir: ctx.query.searchesDir, rules: many.rule, location: one.location, sinceMs, untilMs });
    } finally {
      store.close();
    }
    const statuses = record ? openLedger(ctx.query.findingsFile).record(found) : found.map(() => 'new' as const);
    const shown = found.map((f, i) => ({ ...f, status: statuses[i]! }));
    const meta = { since: new Date(sinceMs).toISOString(), until: new Date(untilMs).toISOString(), new: statuses.filter((s) => s === 'new').length };
    const body = shown.length === 0 && format === 'table' ? emptyNote('findings') : formatFindings(shown, format, meta);
    return { status: 200, body, contentType: CONTENT_TYPES[format] };
  });
}

export const findingRoutes: readonly RouteDef[] = [{ methods: ['GET'], path: '/api/findings', handler: findings }];
