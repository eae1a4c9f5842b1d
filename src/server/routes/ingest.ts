import type { InputChunk } from '../../sources/file.js';
import { ByteChunker } from '../../sources/chunks.js';
import { readJsonArrayBatches } from '../../sources/json-array.js';
import type { LineBatch } from '../../sources/lines.js';
import { countsOf } from '../../run/summary.js';
import { readBody } from '../body.js';
import { json, type AppContext, type Reply, type RouteDef, type RouteInput } from '../context.js';
import { submit } from '../submit.js';

const ROUTE = 'ingest';

/** Media types read as one JSON array; every other type (NDJSON, JSON lines, text/plain) is read as lines. */
const ARRAY_TYPES = new Set(['application/json']);

/**
 * `POST /v1/ingest`: a body of NDJSON, a JSON array or text lines (access logs), gzip or deflate,
 * through the same chain as a file's lines, for one named pipeline (`?pipeline=` or the
 * `X-Auditline-Pipeline` header; an unknown name dead-letters each line as `no_pipeline`) or by host. Answers that request's exact counts once every line is
 * durable.
 */
async function ingest({ req, query }: RouteInput, ctx: AppContext): Promise<Reply> {
  // One pipeline for the whole body, by query parameter or header; without one, each line's host picks.
  const header = req.headers['x-auditline-pipeline'];
  const pipeline = query.get('pipeline') ?? (typeof header === 'string' ? header : undefined);
  const started = performance.now();
  const body = await readBody(req, ctx.limits.maxBodyBytes);
  const name = ctx.sourceName(ROUTE);
  const mediaType = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  const batches = ARRAY_TYPES.has(mediaType) && startsWithBracket(body) ? await arrayBatches(name, body, ctx) : lineChunks(name, body, ctx);
  if (pipeline !== undefined) for (const b of batches) b.pipeline = pipeline;
  ctx.metrics.linesReceived(
    ROUTE,
    batches.reduce((n, b) => n + linesIn(b), 0),
  );
  const result = await submit(ctx.engine, name, batches, { retryAfterSeconds: ctx.limits.retryAfterSeconds, state: ctx.state });
  ctx.metrics.acknowledged(ROUTE, result, (performance.now() - started) / 1000);
  return json(200, {
    ...countsOf(result),
    deadLetteredBy: result.deadLetteredBy,
    filteredBy: result.filteredBy,
    byLocation: result.byLocation,
    byAction: result.byAction,
  });
}

function startsWithBracket(body: Buffer): boolean {
  for (const byte of body) {
    // Skip a byte-order mark and white space.
    if (byte === 0x20 || byte === 0x0a || byte === 0x0d || byte === 0x09 || byte === 0xef || byte === 0xbb || byte === 0xbf) continue;
    return byte === 0x5b;
  }
  return false;
}

function lineChunks(name: string, body: Buffer, ctx: AppContext): InputChunk[] {
  const chunker = new ByteChunker(name, ctx.limits.maxLineBytes);
  return [...chunker.push(body), ...chunker.end()];
}

async function arrayBatches(name: string, body: Buffer, ctx: AppContext): Promise<LineBatch[]> {
  const batches: LineBatch[] = [];
  for await (const b of readJsonArrayBatches(name, once(body), 'array', { maxLineBytes: ctx.limits.maxLineBytes })) batches.push(b);
  return batches;
}

async function* once(body: Buffer): AsyncGenerator<Buffer> {
  yield body;
}

/** Lines in a batch, for the "received" count (a byte chunk's lines are counted by the transform). */
function linesIn(b: InputChunk): number {
  if ('lines' in b) return b.lines.length;
  let n = 0;
  for (const byte of b.bytes) if (byte === 0x0a) n++;
  return n + (b.last && b.bytes.length > 0 && b.bytes[b.bytes.length - 1] !== 0x0a ? 1 : 0);
}

export const ingestRoutes: readonly RouteDef[] = [{ methods: ['POST'], path: '/v1/ingest', handler: ingest }];
