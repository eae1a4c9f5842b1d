import type { AppContext, Reply, RouteDef, RouteInput } from '../context.js';
import { json } from '../context.js';
import { HttpError } from '../http-error.js';
import { badRequest, optionalCount, queryValues } from '../query-input.js';
import { num, unionOver, withStore } from './store-sql.js';

/** Event ids are hashes of their line (a UUID form) or an exported event's own id: short, plain text. */
const EVENT_ID = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;
/** What redaction leaves of a secret: a keyed fingerprint (whole value or inside an in-text mark). */
const FINGERPRINT = /^hmac-sha256:[0-9a-f]{64}$/;
/** Events per page of a fingerprint's list. */
const DEFAULT_PAGE = 100;
const MAX_PAGE = 1_000;
/** Offsets beyond this are refused: paging that deep is an export's job. */
const MAX_OFFSET = 1_000_000;

/** `GET /api/events/<id>`: the whole stored event (`{ event }`), or 404. */
async function eventById({ params }: RouteInput, ctx: AppContext): Promise<Reply> {
  const id = params.id ?? '';
  if (!EVENT_ID.test(id)) throw badRequest('id: not an event id');
  const rows = await withStore(ctx, async (store) => {
    const union = unionOver(await store.locations(), 'event::VARCHAR AS event', {}, ['id = $id']);
    return union ? store.query({ sql: `${union}\nLIMIT 1`, params: { id } }) : [];
  });
  if (rows.length === 0) throw new HttpError(404, 'resource_not_found_exception', `no event with id ${id}`);
  return json(200, { event: JSON.parse(String(rows[0]!.event)) as unknown });
}

/**
 * `GET /api/fingerprints/<hmac-sha256:hex>/events?limit=&offset=`: every event whose document
 * carries that fingerprint anywhere (a whole redacted value, or a mark inside text), in time
 * order: the same secret seen in different requests, services or locations.
 */
async function eventsWithFingerprint({ params, query }: RouteInput, ctx: AppContext): Promise<Reply> {
  const fingerprint = params.fingerprint ?? '';
  if (!FINGERPRINT.test(fingerprint)) throw badRequest('fingerprint: expected hmac-sha256: and 64 lower-case hex digits');
  const { one } = queryValues(query, ['limit', 'offset', 'location']);
  const limit = optionalCount(one.limit, 'limit', MAX_PAGE) ?? DEFAULT_PAGE;
  const offset = one.offset === undefined || one.offset === '0' ? 0 : optionalCount(one.offset, 'offset', MAX_OFFSET)!;
  const answer = await withStore(ctx, async (store) => {
    const union = unionOver(await store.locations(), 'id, event_time, event::VARCHAR AS event', { location: one.location }, [
      'contains(event::VARCHAR, $fingerprint)',
    ]);
    if (!union) return { total: 0, events: [] };
    const [count] = await store.query({ sql: `SELECT count(*) AS n FROM (${union})`, params: { fingerprint } });
    const rows = await store.query({
      sql: `SELECT event FROM (${union}) ORDER BY event_time, id LIMIT $page_limit OFFSET $page_offset`,
      params: { fingerprint, page_limit: limit, page_offset: offset },
    });
    return { total: num(count?.n), events: rows.map((r) => JSON.parse(String(r.event)) as unknown) };
  });
  return json(200, { fingerprint, offset, limit, ...answer });
}

export const eventLookupRoutes: readonly RouteDef[] = [
  { methods: ['GET'], path: '/api/events/:id', handler: eventById },
  { methods: ['GET'], path: '/api/fingerprints/:fingerprint/events', handler: eventsWithFingerprint },
];
