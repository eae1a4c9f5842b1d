import { AuditlineError } from '../../errors.js';
import { techniquesOf } from '../../searches/findings.js';
import { findSearch, planOf } from '../../searches/lint.js';
import { loadSearchFolder } from '../../searches/load.js';
import { DEFAULT_EVENT_FIELDS, emptyNote, formatEvents, formatFindings, type OutputFormat } from '../../searches/output.js';
import { resolveParams } from '../../searches/params.js';
import { openSearchStore, runPlan, type RunResult } from '../../searches/run.js';
import type { SearchDefinition } from '../../searches/schema.js';
import { readBody } from '../body.js';
import { json, type AppContext, type Reply, type RouteDef, type RouteInput } from '../context.js';
import { badRequest, jsonObject, oneOf, optionalCount, optionalInstant, stringMember } from '../query-input.js';
import { openReadConnection } from './query-store.js';

export const OUTPUT_FORMATS: readonly OutputFormat[] = ['table', 'json', 'csv', 'ndjson'];
export const CONTENT_TYPES: Record<OutputFormat, string> = {
  table: 'text/plain; charset=utf-8',
  json: 'application/json',
  csv: 'text/csv; charset=utf-8',
  ndjson: 'application/x-ndjson',
};
/** Events a search returns unless told otherwise (the CLI's default). */
const DEFAULT_LIMIT = 10_000;
/** Results are held whole in the server's memory, which the ingest shares. */
export const MAX_SEARCH_LIMIT = 50_000;
/** A run body is a few parameters; anything larger is not one. */
const MAX_RUN_BODY_BYTES = 64 * 1024;
/** Names only: `findSearch` also takes file paths, which a request must never reach. */
export const SEARCH_NAME = /^[a-z0-9][a-z0-9-]{0,63}$/;
const RUN_KEYS = ['params', 'since', 'until', 'location', 'limit', 'format'];

/** `GET /api/searches`: every saved search and rule of the server's folder, with what a form needs to run it. */
function list(_input: RouteInput, ctx: AppContext): Reply {
  const searches = loadSearchFolder(ctx.query.searchesDir).map((s) => {
    const d = s.definition;
    if (!d) return { name: s.name, issues: s.issues.map((i) => i.message) };
    return {
      name: s.name,
      id: d.id,
      type: d.type,
      title: d.title,
      description: d.description,
      severity: d.severity ?? null,
      tags: d.tags ?? [],
      techniques: techniquesOf(d.tags),
      parameters: d.parameters ?? {},
      fields: d.type === 'search' ? (d.fields ?? DEFAULT_EVENT_FIELDS) : [],
    };
  });
  return json(200, { searches });
}

/**
 * `POST /api/searches/<name>/run` with `{ params, since, until, location, limit, format }`: what
 * `auditline search run` prints when `format` is given (the same formatter), else
 * `{ search, name, kind, count, events | findings }`.
 */
async function run({ req, params }: RouteInput, ctx: AppContext): Promise<Reply> {
  // Read first: the app takes a failure before the body is complete for a sender that went away.
  const body = jsonObject(await readBody(req, MAX_RUN_BODY_BYTES), RUN_KEYS);
  const name = params.name ?? '';
  if (!SEARCH_NAME.test(name)) throw new AuditlineError('AL_SEARCH_NOT_FOUND', `no search named "${name.slice(0, 64)}"`);
  const search = findSearch(name, ctx.query.searchesDir);
  const def = planOf(search, undefined).definition;
  const plan = planOf(search, resolveParams(search.name, def, paramStrings(body.params)));
  const format = oneOf(stringMember(body, 'format'), 'format', OUTPUT_FORMATS);
  const now = Date.now();
  const rule = def.type === 'rule';
  // As the CLI: a rule looks at the last day unless told otherwise, a search at all time.
  const sinceMs = optionalInstant(stringMember(body, 'since') ?? (rule ? '24h' : undefined), 'since', now);
  const untilMs = optionalInstant(stringMember(body, 'until'), 'until', now) ?? (rule ? now : undefined);
  const limit = rule ? undefined : (optionalCount(body.limit as number | undefined, 'limit', MAX_SEARCH_LIMIT) ?? DEFAULT_LIMIT);
  const store = await openSearchStore(await openReadConnection(ctx));
  let result: RunResult;
  try {
    result = await runPlan(store, plan, { location: stringMember(body, 'location'), sinceMs, untilMs, limit });
  } finally {
    store.close();
  }
  if (format === undefined) {
    const rows =
      result.kind === 'events' ? { events: result.events, count: result.events.length } : { findings: result.findings, count: result.findings.length };
    return json(200, { search: def.id, name: search.name, kind: result.kind, ...rows });
  }
  return { status: 200, body: formatRun(result, def, format), contentType: CONTENT_TYPES[format] };
}

/** The text `auditline search run --format F` prints. */
export function formatRun(result: RunResult, def: SearchDefinition, format: OutputFormat): string {
  if (result.kind === 'events') return result.events.length === 0 && format === 'table' ? emptyNote('events') : formatEvents(result.events, def, format);
  return result.findings.length === 0 && format === 'table' ? emptyNote('findings') : formatFindings(result.findings, format, { rule: def.id });
}

/** Parameters as the CLI's `--param k=v` gives them (typed by `resolveParams`); JSON numbers and booleans are accepted as their text. */
export function paramStrings(value: unknown): Record<string, string> {
  if (value === undefined || value === null) return {};
  if (typeof value !== 'object' || Array.isArray(value)) throw badRequest('"params" must be an object of parameter values');
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(value)) {
    if (typeof v !== 'string' && typeof v !== 'number' && typeof v !== 'boolean') throw badRequest(`params.${k} must be a string, number or boolean`);
    out[k] = String(v);
  }
  return out;
}

export const searchRoutes: readonly RouteDef[] = [
  { methods: ['GET'], path: '/api/searches', handler: list },
  { methods: ['POST'], path: '/api/searches/:name/run', handler: run },
];
