import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { gunzipSync } from 'node:zlib';
import { aggregate, fieldResolver, matches, shownHit, sortHits, type StoredHit } from './fake-es-search.js';

/**
 * A local HTTP server answering the Elasticsearch APIs auditline uses, with Elasticsearch's
 * response shapes and the `X-Elastic-Product` header the official client checks: `GET /`, `_bulk`,
 * `_index_template`, `_component_template`, `_ilm/policy`, `_data_stream`, `_rollover`, `_search`
 * (queries, sorting, `search_after` and aggregations computed over what it stored: fake-es-search.ts).
 * It stores what it accepts (per data stream, with backing indices so a rollover can be simulated),
 * records what it received, and misbehaves on demand (`fault`).
 */

export type Fault =
  /** Items matching `match` fail with this status, each at most `perItem` times (default 1). */
  | { kind: 'item'; status: number; type: string; reason?: string; match: (item: { index: string; id: string }) => boolean; perItem?: number }
  /** The next `times` requests on `path` are answered with an error status as a whole; nothing of them is applied. */
  | { kind: 'request'; status: number; type?: string; path?: RegExp; times?: number }
  /** The connection is dropped: before anything is applied, or after (the answer is lost, mid-response). */
  | { kind: 'drop'; after: boolean; path?: RegExp; times?: number }
  /** The answer comes `ms` late (after the request is applied). */
  | { kind: 'delay'; ms: number; path?: RegExp; times?: number };

export interface ReceivedItem {
  index: string;
  id: string;
  status: number;
}

export interface ReceivedRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  gzip: boolean;
}

interface Stream {
  /** Backing indices, oldest first; the last is the write index. `_id`s are unique only within one. */
  backing: Map<string, Record<string, unknown>>[];
  template: string;
}

export interface FakeEs {
  readonly url: string;
  readonly streams: Map<string, Stream>;
  readonly indexTemplates: Map<string, Record<string, unknown>>;
  readonly componentTemplates: Map<string, Record<string, unknown>>;
  readonly ilmPolicies: Map<string, Record<string, unknown>>;
  readonly requests: ReceivedRequest[];
  /** Every bulk item received, with the status it was answered (or would have been, when the answer was lost). */
  readonly items: ReceivedItem[];
  fault(f: Fault): void;
  /** Faults that never fired: request faults with tries left, item faults that matched no item */
  unfired(): Fault[];
  /** Starts a new write index for a stream, as ILM's rollover does. */
  rollover(stream: string): void;
  /** Documents stored, per stream */
  storedByStream(): Record<string, number>;
  stored(): number;
  /** Every stored document with its stream */
  documents(): { stream: string; id: string; source: Record<string, unknown> }[];
  close(): Promise<void>;
}

const PRODUCT_HEADERS = { 'x-elastic-product': 'Elasticsearch', 'content-type': 'application/vnd.elasticsearch+json;compatible-with=9' };

function errorBody(status: number, type: string, reason: string) {
  return { error: { root_cause: [{ type, reason }], type, reason }, status };
}

function matchesPattern(pattern: string, name: string): boolean {
  return new RegExp(
    `^${pattern
      .split('*')
      .map((p) => p.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
      .join('.*')}$`,
  ).test(name);
}

/** `index.max_result_window`'s default: from + size of one search may not exceed it. */
const MAX_RESULT_WINDOW = 10_000;

export async function startFakeEs(): Promise<FakeEs> {
  const streams = new Map<string, Stream>();
  const indexTemplates = new Map<string, Record<string, unknown>>();
  const componentTemplates = new Map<string, Record<string, unknown>>();
  const ilmPolicies = new Map<string, Record<string, unknown>>();
  const requests: ReceivedRequest[] = [];
  const items: ReceivedItem[] = [];
  const faults: (Fault & { left: number; hits: Map<string, number> })[] = [];
  const sockets = new Set<Socket>();

  const templateFor = (name: string) =>
    [...indexTemplates].find(([, t]) => t.data_stream && (t.index_patterns as string[]).some((p) => matchesPattern(p, name)));
  const createStream = (name: string): Stream | undefined => {
    const template = templateFor(name);
    if (!template) return undefined;
    const s: Stream = { backing: [new Map()], template: template[0] };
    streams.set(name, s);
    return s;
  };
  const backingName = (name: string, generation: number) => `.ds-${name}-2025.11.21-${String(generation).padStart(6, '0')}`;

  const takeFault = (kind: 'request' | 'drop' | 'delay', path: string) => {
    const f = faults.find((x) => x.kind === kind && x.left > 0 && (!('path' in x) || !x.path || x.path.test(path)));
    if (f) f.left--;
    return f;
  };

  const itemFault = (index: string, id: string) => {
    for (const f of faults) {
      if (f.kind !== 'item' || !f.match({ index, id })) continue;
      const n = f.hits.get(id) ?? 0;
      if (n >= (f.perItem ?? 1)) continue;
      f.hits.set(id, n + 1);
      return f;
    }
    return undefined;
  };

  const bulk = (body: string) => {
    const lines = body.split('\n').filter((l) => l.length > 0);
    const out: unknown[] = [];
    for (let i = 0; i < lines.length; i += 2) {
      const action = JSON.parse(lines[i]!) as { create?: { _index: string; _id: string } };
      const meta = action.create;
      if (!meta) throw new Error(`fake-es only takes create actions: ${lines[i]}`);
      const { _index: index, _id: id } = meta;
      const stream = streams.get(index) ?? createStream(index);
      const fault = itemFault(index, id);
      let status: number;
      let error: unknown;
      if (fault && fault.kind === 'item') {
        status = fault.status;
        error = { type: fault.type, reason: fault.reason ?? `${fault.type} (injected)` };
      } else if (!stream) {
        status = 404;
        error = {
          type: 'index_not_found_exception',
          reason: `no such index [${index}] and [require_data_stream] request flag is [true] and [${index}] is not a data stream`,
        };
      } else if (stream.backing.at(-1)!.has(id)) {
        status = 409;
        error = { type: 'version_conflict_engine_exception', reason: `[${id}]: version conflict, document already exists (current version [1])` };
      } else {
        stream.backing.at(-1)!.set(id, JSON.parse(lines[i + 1]!) as Record<string, unknown>);
        status = 201;
      }
      items.push({ index, id, status });
      const backing = stream ? backingName(index, stream.backing.length) : index;
      out.push({
        create: error
          ? { _index: backing, _id: id, status, error }
          : {
              _index: backing,
              _id: id,
              _version: 1,
              result: 'created',
              _shards: { total: 1, successful: 1, failed: 0 },
              _seq_no: items.length,
              _primary_term: 1,
              status,
            },
      });
    }
    return { errors: out.some((o) => (o as { create: { error?: unknown } }).create.error !== undefined), took: 1, items: out };
  };

  /** The document mapping a stream's template composes (what `es setup` installed), for reading fields as Elasticsearch does. */
  const mappingOf = (stream: Stream): Record<string, unknown> | undefined => {
    const t = indexTemplates.get(stream.template);
    if (!t) return undefined;
    const parts = [
      ...((t.composed_of as string[] | undefined) ?? []).map(
        (c) => (componentTemplates.get(c)?.template as { mappings?: Record<string, unknown> } | undefined)?.mappings,
      ),
      (t.template as { mappings?: Record<string, unknown> } | undefined)?.mappings,
    ];
    const properties = Object.assign({}, ...parts.map((m) => (m?.properties as object | undefined) ?? {})) as Record<string, unknown>;
    return Object.keys(properties).length > 0 ? { properties } : undefined;
  };

  const search = (target: string, body: Record<string, unknown>, query: URLSearchParams) => {
    const names = [...new Set(target.split(',').flatMap((t) => (t.includes('*') ? [...streams.keys()].filter((s) => matchesPattern(t, s)) : [t])))];
    const missing = names.filter((n) => !streams.has(n));
    if (missing.length > 0 && query.get('ignore_unavailable') !== 'true')
      return { status: 404, body: errorBody(404, 'index_not_found_exception', `no such index [${missing[0]}]`) };
    const present = names.filter((n) => streams.has(n));
    const mappings = new Set(present.map((n) => JSON.stringify(mappingOf(streams.get(n)!) ?? null)));
    // Streams of one template share a mapping; searching streams mapped differently is not something auditline does.
    if (mappings.size > 1) throw new Error(`fake-es: streams ${present.join(',')} have different mappings`);
    const fields = fieldResolver(present.length > 0 ? mappingOf(streams.get(present[0]!)!) : undefined);
    const stored: StoredHit[] = present.flatMap((n) =>
      streams.get(n)!.backing.flatMap((b, g) => [...b].map(([id, source]) => ({ _index: backingName(n, g + 1), _id: id, _source: source }))),
    );
    const matched = stored.filter((h) => matches(h, body.query as Record<string, unknown> | undefined, fields));
    const sorted = sortHits(matched, body.sort, body.search_after as unknown[] | undefined, fields);
    const total = sorted.length;
    const size = typeof body.size === 'number' ? body.size : 10;
    if (size + (typeof body.from === 'number' ? body.from : 0) > MAX_RESULT_WINDOW)
      return {
        status: 400,
        body: errorBody(
          400,
          'illegal_argument_exception',
          `Result window is too large, from + size must be less than or equal to: [${MAX_RESULT_WINDOW}] but was [${size}].`,
        ),
      };
    const aggs = body.aggs ?? body.aggregations;
    // Aggregations see every matching document, whatever page of hits is returned.
    const aggregations = aggs ? aggregate(matched, aggs as Record<string, Record<string, unknown>>, fields) : undefined;
    const page = sorted.slice(0, size).map((h) => shownHit(h, body._source));
    const track = body.track_total_hits;
    const shownTotal =
      track === false
        ? undefined
        : track === true || total <= MAX_RESULT_WINDOW
          ? { value: total, relation: 'eq' }
          : { value: MAX_RESULT_WINDOW, relation: 'gte' };
    return {
      status: 200,
      body: {
        took: 1,
        timed_out: false,
        _shards: { total: 1, successful: 1, skipped: 0, failed: 0 },
        hits: { ...(shownTotal ? { total: shownTotal } : {}), max_score: null, hits: page },
        ...(aggregations ? { aggregations } : {}),
      },
    };
  };

  const route = (method: string, path: string, query: URLSearchParams, text: string): { status: number; body: unknown } => {
    const parts = path.split('/').filter(Boolean).map(decodeURIComponent);
    if (parts.at(-1) === '_bulk') return { status: 200, body: bulk(text) };
    const body = text ? (JSON.parse(text) as Record<string, unknown>) : {};
    if (parts.length === 0)
      return {
        status: 200,
        body: {
          name: 'fake-es',
          cluster_name: 'fake',
          cluster_uuid: 'fake-uuid',
          version: {
            number: '9.1.0',
            build_flavor: 'default',
            lucene_version: '10.2.2',
            minimum_wire_compatibility_version: '8.19.0',
            minimum_index_compatibility_version: '8.0.0',
          },
          tagline: 'You Know, for Search',
        },
      };
    if (parts.at(-1) === '_search') return search(parts.length > 1 ? parts[0]! : '*', body, query);
    if (parts.at(-1) === '_count') {
      const r = search(parts.length > 1 ? parts[0]! : '*', { query: body.query, size: 0, track_total_hits: true }, query);
      return r.status === 200
        ? {
            status: 200,
            body: { count: (r.body as { hits: { total: { value: number } } }).hits.total.value, _shards: { total: 1, successful: 1, skipped: 0, failed: 0 } },
          }
        : r;
    }
    // Documents are searchable once stored: a refresh has nothing to do.
    if (parts.at(-1) === '_refresh') return { status: 200, body: { _shards: { total: 1, successful: 1, failed: 0 } } };
    if (parts.at(-1) === '_rollover' && parts.length === 2) {
      const s = streams.get(parts[0]!);
      if (!s) return { status: 404, body: errorBody(404, 'index_not_found_exception', `no such index [${parts[0]}]`) };
      return {
        status: 200,
        body: {
          acknowledged: true,
          shards_acknowledged: false,
          old_index: backingName(parts[0]!, s.backing.length),
          new_index: backingName(parts[0]!, s.backing.length + 1),
          rolled_over: false,
          dry_run: false,
          lazy: true,
          conditions: {},
        },
      };
    }
    const [api, name] = [parts[0], parts[1] ?? ''];
    const store = api === '_index_template' ? indexTemplates : api === '_component_template' ? componentTemplates : undefined;
    if (store) {
      if (method === 'PUT' || method === 'POST') {
        store.set(name, body);
        return { status: 200, body: { acknowledged: true } };
      }
      const t = store.get(name);
      if (!t)
        return {
          status: 404,
          body: errorBody(404, 'resource_not_found_exception', `${api === '_index_template' ? 'index' : 'component'} template matching [${name}] not found`),
        };
      return {
        status: 200,
        body: api === '_index_template' ? { index_templates: [{ name, index_template: t }] } : { component_templates: [{ name, component_template: t }] },
      };
    }
    if (api === '_ilm' && parts[1] === 'policy') {
      const policyName = parts[2] ?? '';
      if (method === 'PUT') {
        ilmPolicies.set(policyName, body.policy as Record<string, unknown>);
        return { status: 200, body: { acknowledged: true } };
      }
      const p = ilmPolicies.get(policyName);
      if (!p) return { status: 404, body: errorBody(404, 'resource_not_found_exception', `Lifecycle policy not found: ${policyName}`) };
      return {
        status: 200,
        body: {
          [policyName]: {
            version: 1,
            modified_date: '2025-11-21T00:00:00.000Z',
            policy: p,
            in_use_by: { indices: [], data_streams: [], composable_templates: [] },
          },
        },
      };
    }
    if (api === '_data_stream') {
      if (method === 'PUT') {
        if (streams.has(name)) return { status: 400, body: errorBody(400, 'resource_already_exists_exception', `data_stream [${name}] already exists`) };
        if (!createStream(name))
          return { status: 400, body: errorBody(400, 'illegal_argument_exception', `no matching index template found for data stream [${name}]`) };
        return { status: 200, body: { acknowledged: true } };
      }
      const found = [...streams].filter(([n]) => matchesPattern(name || '*', n));
      // A wildcard that matches nothing is an empty list; a missing concrete name is a 404.
      if (found.length === 0 && !(name || '*').includes('*'))
        return { status: 404, body: errorBody(404, 'index_not_found_exception', `no such index [${name}]`) };
      return {
        status: 200,
        body: {
          data_streams: found.map(([n, s]) => ({
            name: n,
            timestamp_field: { name: '@timestamp' },
            indices: s.backing.map((_, g) => ({ index_name: backingName(n, g + 1) })),
            generation: s.backing.length,
            status: 'GREEN',
            template: s.template,
            hidden: false,
            system: false,
          })),
        },
      };
    }
    return { status: 400, body: errorBody(400, 'illegal_argument_exception', `fake-es does not answer ${method} ${path}`) };
  };

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://fake');
      const gzip = req.headers['content-encoding'] === 'gzip';
      const raw = Buffer.concat(chunks);
      const text = (gzip ? gunzipSync(raw) : raw).toString('utf8');
      requests.push({ method: req.method ?? 'GET', path: url.pathname, query: Object.fromEntries(url.searchParams), gzip });
      const answer = (status: number, body: unknown) => {
        res.writeHead(status, PRODUCT_HEADERS);
        res.end(JSON.stringify(body));
      };
      const drop = takeFault('drop', url.pathname);
      if (drop?.kind === 'drop' && !drop.after) {
        req.socket.destroy();
        return;
      }
      const failing = takeFault('request', url.pathname);
      if (failing && failing.kind === 'request') {
        answer(
          failing.status,
          errorBody(
            failing.status,
            failing.type ?? (failing.status === 429 ? 'es_rejected_execution_exception' : 'unavailable_shards_exception'),
            'injected whole-request failure',
          ),
        );
        return;
      }
      let result: { status: number; body: unknown };
      try {
        result = route(req.method ?? 'GET', url.pathname, url.searchParams, text);
      } catch (e) {
        // A request the fake cannot read is a test bug: answer it loudly rather than crash the server.
        result = { status: 500, body: errorBody(500, 'fake_es_exception', (e as Error).message) };
      }
      if (drop?.kind === 'drop') {
        // Applied, then the connection breaks in the middle of the answer.
        res.writeHead(result.status, PRODUCT_HEADERS);
        res.write(JSON.stringify(result.body).slice(0, 10));
        setImmediate(() => req.socket.destroy());
        return;
      }
      const delay = takeFault('delay', url.pathname);
      const send = () => answer(result.status, result.body);
      if (delay && delay.kind === 'delay') setTimeout(send, delay.ms);
      else send();
    });
  });
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    streams,
    indexTemplates,
    componentTemplates,
    ilmPolicies,
    requests,
    items,
    fault(f) {
      faults.push({ ...f, left: 'times' in f && f.times !== undefined ? f.times : f.kind === 'item' ? Infinity : 1, hits: new Map() });
    },
    unfired: () => faults.filter((f) => (f.kind === 'item' ? f.hits.size === 0 : f.left > 0)),
    rollover(name) {
      streams.get(name)?.backing.push(new Map());
    },
    storedByStream: () => Object.fromEntries([...streams].map(([n, s]) => [n, s.backing.reduce((k, b) => k + b.size, 0)])),
    stored: () => [...streams.values()].reduce((n, s) => n + s.backing.reduce((k, b) => k + b.size, 0), 0),
    documents: () => [...streams].flatMap(([stream, s]) => s.backing.flatMap((b) => [...b].map(([id, source]) => ({ stream, id, source })))),
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
