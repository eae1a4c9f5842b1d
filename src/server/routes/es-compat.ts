import type { SourceResult } from '../../run/engine.js';
import { bulkAnswer, parseBulk, rawRecordOf, toLineBatches } from '../bulk.js';
import { readBody } from '../body.js';
import { json, type AppContext, type Reply, type RouteDef, type RouteInput } from '../context.js';
import { HttpError } from '../http-error.js';
import { submit } from '../submit.js';

/**
 * The Elasticsearch-compatible receiver: what Fluent Bit, Vector, Filebeat, Logstash, rsyslog,
 * syslog-ng and the official clients call (shippers.md has what each sends and checks). Setup
 * calls (templates, ILM, data streams, aliases) are answered as "already there" so shippers skip
 * them; no route accepts a POST it does not process.
 */

const BULK_ROUTE = 'bulk';

function info(ctx: AppContext): Reply {
  return json(200, {
    name: 'auditline',
    cluster_name: ctx.cluster.name,
    cluster_uuid: ctx.cluster.uuid,
    version: {
      number: ctx.cluster.version,
      build_flavor: 'default',
      build_type: 'auditline',
      lucene_version: '9.12.0',
      minimum_wire_compatibility_version: '7.17.0',
      minimum_index_compatibility_version: '7.0.0',
    },
    tagline: 'You Know, for Search',
  });
}

const LICENSE = { status: 'active', type: 'basic', mode: 'basic', uid: 'auditline', issued_to: 'auditline', issuer: 'auditline' };

function health(ctx: AppContext): Reply {
  const status = ctx.state.storeFailing ? 'red' : 'green';
  return json(200, {
    cluster_name: ctx.cluster.name,
    status,
    timed_out: false,
    number_of_nodes: 1,
    number_of_data_nodes: 1,
    active_shards: 1,
    active_primary_shards: 1,
    unassigned_shards: 0,
  });
}

/** 200 with an empty object: a HEAD or GET reads as "exists", a PUT as done. */
const exists = (): Reply => json(200, {});
const acknowledged = (): Reply => json(200, { acknowledged: true });

async function bulk({ req, params }: RouteInput, ctx: AppContext): Promise<Reply> {
  const started = performance.now();
  const body = (await readBody(req, ctx.limits.maxBodyBytes)).toString('utf8');
  const parsed = parseBulk(body, params.index);
  const name = ctx.sourceName(BULK_ROUTE, params.index);
  const records = parsed.docs.map(rawRecordOf);
  const result = await ingestRecords(ctx, name, records, BULK_ROUTE, started);
  return { status: 200, body: bulkAnswer(parsed.actions, result.lines ?? [], performance.now() - started) };
}

/** One document (rsyslog without bulk mode): 201 stored, 200 already stored or ignored, 400 (an error body with `status`) dead-lettered. */
async function singleDocument({ req, params }: RouteInput, ctx: AppContext): Promise<Reply> {
  const started = performance.now();
  const index = params.index!;
  const body = (await readBody(req, ctx.limits.maxBodyBytes)).toString('utf8').trim();
  if (body === '') throw new HttpError(400, 'parse_exception', 'request body is required');
  const result = await ingestRecords(ctx, ctx.sourceName('doc', index), [rawRecordOf(body)], 'doc', started);
  const outcome = result.lines?.[0];
  const head = { _index: index, ...(params.id === undefined ? {} : { _id: params.id }) };
  if (outcome?.status === 'indexed') return json(201, { ...head, result: 'created', _shards: { total: 1, successful: 1, failed: 0 } });
  if (outcome?.status === 'dead_lettered') throw new HttpError(400, outcome.code, outcome.reason);
  return json(200, { ...head, result: 'noop', _shards: { total: 1, successful: 1, failed: 0 } });
}

async function ingestRecords(ctx: AppContext, name: string, records: string[], route: string, started: number): Promise<SourceResult> {
  const batches = toLineBatches(name, records, ctx.limits.maxLineBytes);
  ctx.metrics.linesReceived(route, records.length);
  const result = await submit(ctx.engine, name, batches, { lineOutcomes: true, retryAfterSeconds: ctx.limits.retryAfterSeconds, state: ctx.state });
  ctx.metrics.acknowledged(route, result, (performance.now() - started) / 1000);
  return result;
}

const SETUP_PATHS = [
  '/_index_template/:name',
  '/_component_template/:name',
  '/_ilm/policy/:name',
  '/_data_stream/:name',
  '/_template/:name',
  '/_alias/:name',
  '/_ingest/pipeline/:name',
];

export const esCompatRoutes: readonly RouteDef[] = [
  { methods: ['GET', 'HEAD'], path: '/', handler: (_i, ctx) => info(ctx) },
  { methods: ['GET'], path: '/_license', handler: () => json(200, { license: LICENSE }) },
  { methods: ['GET'], path: '/_xpack', handler: () => json(200, { build: {}, features: {}, license: LICENSE }) },
  { methods: ['GET'], path: '/_cluster/health', handler: (_i, ctx) => health(ctx) },
  { methods: ['GET'], path: '/_cluster/health/:index', handler: (_i, ctx) => health(ctx) },
  {
    methods: ['GET'],
    path: '/_cat/health',
    handler: (_i, ctx) => json(200, [{ cluster: ctx.cluster.name, status: ctx.state.storeFailing ? 'red' : 'green' }]),
  },
  { methods: ['POST', 'PUT'], path: '/_bulk', handler: bulk },
  { methods: ['POST', 'PUT'], path: '/:index/_bulk', handler: bulk },
  { methods: ['POST'], path: '/:index/_doc', handler: singleDocument },
  { methods: ['POST', 'PUT'], path: '/:index/_doc/:id', handler: singleDocument },
  { methods: ['POST', 'PUT'], path: '/:index/_create/:id', handler: singleDocument },
  // Every write is durable before it is answered, so a refresh has nothing left to do.
  { methods: ['POST', 'GET'], path: '/_refresh', handler: () => json(200, { _shards: { total: 1, successful: 1, failed: 0 } }) },
  { methods: ['POST', 'GET'], path: '/:index/_refresh', handler: () => json(200, { _shards: { total: 1, successful: 1, failed: 0 } }) },
  ...SETUP_PATHS.map((path): RouteDef => ({ methods: ['GET', 'HEAD'], path, handler: exists })),
  ...SETUP_PATHS.map((path): RouteDef => ({ methods: ['PUT'], path, handler: acknowledged })),
  // Logstash's ILM alias and index checks: HEAD /<alias> (exists) and PUT /<index> (created).
  { methods: ['HEAD'], path: '/:index', handler: exists },
  { methods: ['PUT'], path: '/:index', handler: acknowledged },
];
