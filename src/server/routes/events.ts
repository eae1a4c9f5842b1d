import type { ActivityTrackerEvent } from '../../model/event.js';
import { toCadf } from '../../profiles/cadf.js';
import { openStoreReader, type EventFilter, type EventPosition, type StoreReader } from '../../sinks/duckdb/read.js';
import type { AppContext, Reply, RouteDef, RouteInput } from '../context.js';
import { badRequest, oneOf, optionalCount, optionalInstant, queryValues } from '../query-input.js';
import { analystRoutes } from './analyst.js';
import { openReadConnection } from './query-store.js';

const NDJSON = 'application/x-ndjson';
const PROFILES = ['activity-tracker', 'cadf'] as const;
const KNOWN = ['location', 'since', 'until', 'profile', 'limit', 'after'];
/** Largest page: a page is held whole to know whether another follows (~1.5 KB an event, ~15 MB). */
export const MAX_EVENTS_PAGE = 10_000;
/** The response header holding the cursor of the next page (absent on the last one). */
export const NEXT_PAGE_HEADER = 'X-Auditline-Next-Page';

/**
 * `GET /api/events`: what `auditline export` prints (the same filters, order and profiles), as
 * NDJSON. Without `limit` the whole selection is streamed; with it, one page, and the next page's
 * cursor in `X-Auditline-Next-Page` for `after=`.
 */
async function events({ query }: RouteInput, ctx: AppContext): Promise<Reply> {
  const { one } = queryValues(query, KNOWN);
  const now = Date.now();
  const filter: EventFilter = {
    location: one.location,
    sinceMs: optionalInstant(one.since, 'since', now),
    untilMs: optionalInstant(one.until, 'until', now),
    after: one.after === undefined ? undefined : decodeCursor(one.after),
  };
  const encode =
    (oneOf(one.profile, 'profile', PROFILES) ?? 'activity-tracker') === 'cadf'
      ? (row: string) => JSON.stringify(toCadf(JSON.parse(row) as ActivityTrackerEvent))
      : (row: string) => row;
  const limit = optionalCount(one.limit, 'limit', MAX_EVENTS_PAGE);
  const reader = await openStoreReader(await openReadConnection(ctx));
  if (limit === undefined) return { status: 200, body: '', contentType: NDJSON, stream: streamAll(reader, filter, encode) };
  try {
    const { lines, next } = await page(reader, filter, limit, encode);
    return { status: 200, body: lines.map((l) => `${l}\n`).join(''), contentType: NDJSON, headers: next ? { [NEXT_PAGE_HEADER]: next } : {} };
  } finally {
    reader.close();
  }
}

async function* streamAll(reader: StoreReader, filter: EventFilter, encode: (row: string) => string): AsyncGenerator<string> {
  try {
    for await (const rows of reader.events(filter)) yield `${rows.map(encode).join('\n')}\n`;
  } finally {
    reader.close();
  }
}

/** Up to `limit` events, and a cursor when one more exists. */
async function page(
  reader: StoreReader,
  filter: EventFilter,
  limit: number,
  encode: (row: string) => string,
): Promise<{ lines: string[]; next: string | undefined }> {
  const lines: string[] = [];
  let last: EventPosition | undefined;
  for await (const rows of reader.positionedEvents(filter)) {
    for (const row of rows) {
      if (lines.length === limit) return { lines, next: encodeCursor(last!) };
      lines.push(encode(row.json));
      last = row.position;
    }
  }
  return { lines, next: undefined };
}

/** Opaque to readers; it only names the last event of a page. */
export function encodeCursor(p: EventPosition): string {
  return Buffer.from(JSON.stringify([p.location, p.timeMicros.toString(), p.id])).toString('base64url');
}

function decodeCursor(text: string): EventPosition {
  try {
    const [location, time, id] = JSON.parse(Buffer.from(text, 'base64url').toString('utf8')) as unknown[];
    if (typeof location === 'string' && typeof time === 'string' && /^-?\d+$/.test(time) && typeof id === 'string')
      return { location, timeMicros: BigInt(time), id };
  } catch {
    // falls through to the same answer as a well-formed but wrong cursor
  }
  throw badRequest('after: not a cursor from X-Auditline-Next-Page');
}

export const eventRoutes: readonly RouteDef[] = [
  { methods: ['GET'], path: '/api/events', handler: events },
  // The analysts' page's own routes ride on this list, so every server with the query routes has them.
  ...analystRoutes,
];
