import { AuditlineError } from '../../errors.js';
import { fieldSql } from '../../searches/compile-sql.js';
import { resolveField } from '../../searches/fields.js';
import { findSearch, planOf } from '../../searches/lint.js';
import { DEFAULT_EVENT_FIELDS, type OutputFormat } from '../../searches/output.js';
import { resolveParams } from '../../searches/params.js';
import { runPlan, sqlFor } from '../../searches/run.js';
import { readBody } from '../body.js';
import type { AppContext, Reply, RouteDef, RouteInput } from '../context.js';
import { json } from '../context.js';
import { badRequest, jsonObject, oneOf, optionalCount, optionalInstant, stringMember } from '../query-input.js';
import { CONTENT_TYPES, formatRun, MAX_SEARCH_LIMIT, paramStrings, SEARCH_NAME } from './searches.js';
import { num, withStore } from './store-sql.js';

const PAGE_KEYS = ['params', 'since', 'until', 'location', 'limit', 'offset', 'sort', 'order', 'format'];
/** A page request is a few parameters; anything larger is not one. */
const MAX_PAGE_BODY_BYTES = 64 * 1024;
const DEFAULT_PAGE = 50;
const MAX_PAGE = 1_000;
const ORDERS = ['asc', 'desc'] as const;
/** Downloads of a page's search: the whole result (up to the search limit) in the page's order. */
const DOWNLOADS: readonly OutputFormat[] = ['csv', 'ndjson'];

/** The columns a compiled search's output keeps beside the event's JSON; any other field is read from the JSON. */
const OUTPUT_COLUMNS = new Set(['event_time', 'id', 'location']);

/**
 * The ORDER BY expression of a field the search shows, over the compiled search's output (id,
 * event_time, location and the event's JSON), as the SQL compiler writes a field. Only names the
 * field table resolves get here, and their path segments are plain names, so the text holds no
 * value from the request.
 */
export function sortExpression(name: string): string | undefined {
  const field = resolveField(name);
  if (!field) return undefined;
  if (field.column !== undefined && OUTPUT_COLUMNS.has(field.column)) return fieldSql(field);
  if (!field.path.split('.').every((s) => /^[A-Za-z0-9_@-]+$/.test(s))) return undefined;
  return fieldSql({ ...field, column: undefined });
}

/**
 * `POST /api/searches/<name>/page` with `{ params, since, until, location, limit, offset, sort,
 * order, format }`: one page of a search's events, sorted on the server by one of the fields the
 * search shows (`sort`), with the total; `format` csv or ndjson downloads every result (up to
 * the search limit) in that order, as `search run --format` prints it. A rule answers its
 * findings whole.
 */
async function page({ req, params }: RouteInput, ctx: AppContext): Promise<Reply> {
  const body = jsonObject(await readBody(req, MAX_PAGE_BODY_BYTES), PAGE_KEYS);
  const name = params.name ?? '';
  if (!SEARCH_NAME.test(name)) throw new AuditlineError('AL_SEARCH_NOT_FOUND', `no search named "${name.slice(0, 64)}"`);
  const search = findSearch(name, ctx.query.searchesDir);
  const def = planOf(search, undefined).definition;
  const plan = planOf(search, resolveParams(search.name, def, paramStrings(body.params)));
  const now = Date.now();
  const rule = def.type === 'rule';
  const sinceMs = optionalInstant(stringMember(body, 'since') ?? (rule ? '24h' : undefined), 'since', now);
  const untilMs = optionalInstant(stringMember(body, 'until'), 'until', now) ?? (rule ? now : undefined);
  const location = stringMember(body, 'location');
  const format = oneOf(stringMember(body, 'format'), 'format', DOWNLOADS);
  const fields = def.type === 'search' ? (def.fields ?? DEFAULT_EVENT_FIELDS) : [];
  const sortName = stringMember(body, 'sort') ?? '@timestamp';
  if (!fields.includes(sortName) && sortName !== '@timestamp') throw badRequest(`sort: "${sortName}" is not a field this search shows (${fields.join(', ')})`);
  const sort = sortExpression(sortName);
  if (!sort) throw badRequest(`sort: "${sortName}" cannot be sorted on`);
  const order = oneOf(stringMember(body, 'order'), 'order', ORDERS) ?? 'asc';
  const limit = format ? MAX_SEARCH_LIMIT : (optionalCount(body.limit as number | undefined, 'limit', MAX_PAGE) ?? DEFAULT_PAGE);
  const offset =
    format || body.offset === undefined || body.offset === 0 ? 0 : optionalCount(body.offset as number | undefined, 'offset', Number.MAX_SAFE_INTEGER)!;

  return withStore(ctx, async (store) => {
    if (rule || plan.kind !== 'events') {
      const result = await runPlan(store, plan, { location, sinceMs, untilMs });
      if (format) return { status: 200, body: formatRun(result, def, format), contentType: CONTENT_TYPES[format] };
      return json(200, {
        search: def.id,
        name: search.name,
        fields,
        total: result.kind === 'findings' ? result.findings.length : result.events.length,
        ...result,
      });
    }
    const q = await sqlFor(store, plan, { location, sinceMs, untilMs });
    if (!q) return json(200, { search: def.id, name: search.name, kind: 'events', fields, total: 0, offset, limit, sort: sortName, order, events: [] });
    const [count] = await store.query({ sql: `SELECT count(*) AS n FROM (${q.sql}) AS matched_events`, params: q.params });
    const rows = await store.query({
      sql: `SELECT event FROM (${q.sql}) AS matched_events\nORDER BY ${sort} ${order.toUpperCase()} NULLS LAST, event_time, id\nLIMIT $page_limit OFFSET $page_offset`,
      params: { ...q.params, page_limit: limit, page_offset: offset },
    });
    const events = rows.map((r) => JSON.parse(String(r.event)) as Record<string, unknown>);
    if (format) return { status: 200, body: formatRun({ kind: 'events', events }, def, format), contentType: CONTENT_TYPES[format] };
    return json(200, { search: def.id, name: search.name, kind: 'events', fields, total: num(count?.n), offset, limit, sort: sortName, order, events });
  });
}

export const searchPageRoutes: readonly RouteDef[] = [{ methods: ['POST'], path: '/api/searches/:name/page', handler: page }];
