import type { CompiledPipeline } from './compile-pipeline.js';
import type { QueryParams, RequestFacts } from '../../config/value-source.js';
import type { RouteEntry } from './route-table.js';

/** A raw request classified: which pipeline, which route, and the facts the builder needs. */
export interface Classified {
  kind: 'classified';
  pipeline: CompiledPipeline;
  entry: RouteEntry;
  /** Current action name (legacy names mapped) */
  action: string;
  facts: RequestFacts;
  time: number;
}

export type ClassifyResult =
  Classified | { kind: 'filtered'; reason: string } | { kind: 'reject'; code: 'no_pipeline' | 'unclassified' | 'missing_field'; reason: string };

const NO_QUERY: QueryParams = { get: () => null };

/**
 * A query string parsed on its first read. An object of a class rather than a closure per request:
 * V8 keeps a closure's optimised code only while some closure holds it, so the per-request closure
 * was compiled again after each full collection of a worker (1M lines: 44 compiles).
 */
class LazyQuery implements QueryParams {
  private parsed: URLSearchParams | undefined;
  constructor(private readonly text: string) {}
  get(name: string): string | null {
    return (this.parsed ??= new URLSearchParams(this.text)).get(name);
  }
}

/**
 * Picks the pipeline by Host header (or the only/forced one), reads method, URL and
 * status, and resolves the route. Pure: the same record always classifies the same way.
 */
export function classifyRequest(record: Record<string, unknown>, pipelines: CompiledPipeline[], forced: boolean): ClassifyResult {
  const first = pipelines[0];
  if (!first) return { kind: 'reject', code: 'no_pipeline', reason: 'no pipeline loaded' };
  const hostValue = first.field.host(record);
  const { host, hostMatch, pipeline: byHost } = chooseByHost(typeof hostValue === 'string' ? hostValue : '', pipelines);
  let pipeline = byHost;
  if (!pipeline && (forced || pipelines.length === 1)) pipeline = first;
  if (!pipeline) return { kind: 'reject', code: 'no_pipeline', reason: `no pipeline claims host "${host}"` };

  const f = pipeline.field;
  const method = f.method(record);
  const url = f.url(record);
  if (typeof method !== 'string' || typeof url !== 'string') {
    return { kind: 'reject', code: 'missing_field', reason: 'request method or URL missing' };
  }
  const statusValue = f.status(record);
  const status = typeof statusValue === 'number' ? statusValue : Number(statusValue);
  if (!Number.isInteger(status) || status < 100 || status > 599) {
    return { kind: 'reject', code: 'missing_field', reason: 'response status missing or not an HTTP status code' };
  }
  const time = parseTime(f.time(record));
  if (time === undefined) return { kind: 'reject', code: 'missing_field', reason: 'time missing or not a date' };

  const q = url.indexOf('?');
  const path = q === -1 ? url : url.slice(0, q);
  const query = q === -1 ? NO_QUERY : new LazyQuery(url.slice(q + 1));
  const upperMethod = method.toUpperCase();

  const match = pipeline.routes.match(upperMethod, path, query);
  if (!match) return { kind: 'reject', code: 'unclassified', reason: `${pipeline.name}: no route for ${upperMethod} ${path}` };
  if (match.entry.kind === 'ignore') return { kind: 'filtered', reason: match.entry.action };

  const instanceValue = f.instance(record);
  const accountValue = f.account(record);
  return {
    kind: 'classified',
    pipeline,
    entry: match.entry,
    action: pipeline.canonicalAction(match.entry.action),
    time,
    facts: {
      record,
      path,
      method: upperMethod,
      status,
      instance: hostMatch?.instance ?? (typeof instanceValue === 'string' ? instanceValue : ''),
      account: typeof accountValue === 'string' ? accountValue : '',
      location: hostMatch?.location ?? pipeline.config.location.default,
      params: match.params,
      query,
    },
  };
}

/** Which pipeline claims a Host header, and the location (and instance) its pattern reads from it. */
interface HostChoice {
  /** Lower case, without its port: as reasons name it */
  host: string;
  pipeline: CompiledPipeline | undefined;
  hostMatch: { location: string; instance?: string } | undefined;
}

/**
 * Hosts repeat (25 distinct ones in the bench corpus's 200k lines; one per service instance in real logs):
 * each list of pipelines remembers what each host chose, instead of lower-casing it and running every
 * pipeline's host patterns on every line. Bounded: past this many hosts it starts again.
 */
const MAX_REMEMBERED_HOSTS = 1024;
const choicesByPipelines = new WeakMap<CompiledPipeline[], Map<string, HostChoice>>();

function chooseByHost(hostValue: string, pipelines: CompiledPipeline[]): HostChoice {
  // A list of one is made per call on some paths (classifyWithoutHost): nothing to remember it by.
  if (pipelines.length === 1) return matchHost(hostValue, pipelines);
  let choices = choicesByPipelines.get(pipelines);
  if (!choices) choicesByPipelines.set(pipelines, (choices = new Map()));
  let choice = choices.get(hostValue);
  if (choice === undefined) {
    choice = matchHost(hostValue, pipelines);
    if (choices.size >= MAX_REMEMBERED_HOSTS) choices.clear();
    choices.set(hostValue, choice);
  }
  return choice;
}

function matchHost(hostValue: string, pipelines: CompiledPipeline[]): HostChoice {
  const host = withoutPort(hostValue.toLowerCase());
  for (const p of pipelines) {
    const hostMatch = p.matchHost(host);
    if (hostMatch) return { host, pipeline: p, hostMatch };
  }
  return { host, pipeline: undefined, hostMatch: undefined };
}

/** The largest instant a Date can hold; beyond it formatting throws, which would fail the whole batch. */
const MAX_DATE_MS = 8.64e15;

/** Epoch milliseconds (number or numeric string) or an ISO 8601 string. */
export function parseTime(value: unknown): number | undefined {
  if (typeof value === 'number') return inDateRange(value);
  if (typeof value !== 'string' || value === '') return undefined;
  return inDateRange(/^\d+$/.test(value) ? Number(value) : Date.parse(value));
}

function inDateRange(n: number): number | undefined {
  return Number.isFinite(n) && Math.abs(n) <= MAX_DATE_MS ? n : undefined;
}

/** `host:443` → `host`: what `replace(/:\d+$/, '')` does, without a regular expression per line. */
export function withoutPort(host: string): string {
  let i = host.length;
  while (i > 0 && host.charCodeAt(i - 1) >= 48 && host.charCodeAt(i - 1) <= 57) i--;
  return i < host.length && i > 0 && host.charCodeAt(i - 1) === 58 /* : */ ? host.slice(0, i - 1) : host;
}
