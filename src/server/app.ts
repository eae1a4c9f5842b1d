import type { IncomingMessage, ServerResponse } from 'node:http';
import FindMyWay, { type HTTPMethod } from 'find-my-way';
import type { Authenticate } from './auth.js';
import type { AppContext, Reply, RouteDef } from './context.js';
import { errorBody, HttpError, httpErrorOf } from './http-error.js';
import { loadPage, PAGE_HEADERS, type PageFile, type PageFiles } from './page.js';

/** Headers every answer carries: the official clients reject a 2xx without the product header, Logstash will not start. */
const PRODUCT_HEADERS = { 'X-Elastic-Product': 'Elasticsearch' } as const;
const JSON_TYPE = 'application/json';
/** An answer is data, never a document to render or a script to run, even when a browser opens it directly. */
const API_HEADERS = { 'X-Content-Type-Options': 'nosniff', 'Content-Security-Policy': "default-src 'none'; frame-ancestors 'none'" } as const;
const UNMATCHED = 'unmatched';
/** The metrics' route label of every file of the page (one label, not one per file name). */
const PAGE_ROUTE = 'page';

export interface AppOptions {
  routes: readonly RouteDef[];
  /** Undefined: authentication is off (the operator chose to run open). */
  authenticate: Authenticate | undefined;
  /** Where server-side failures are reported (never with credentials or record content). */
  log: (message: string) => void;
  /** The analysts' page served at `/` (default: the built one in dist/ui, when there is one). */
  page?: PageFiles;
}

interface Matched {
  def: RouteDef;
}

/**
 * The request handler: one route table (find-my-way), credentials checked before any body is
 * read, every answer with the product header and counted by route pattern and status, failures
 * turned into one status for the whole request.
 */
export function createApp(ctx: AppContext, opts: AppOptions): (req: IncomingMessage, res: ServerResponse) => void {
  const router = FindMyWay({ ignoreTrailingSlash: true, ignoreDuplicateSlashes: true });
  for (const def of opts.routes) {
    for (const method of def.methods) router.on(method as HTTPMethod, def.path, () => undefined, { def } satisfies Matched);
  }

  const page = opts.page ?? loadPage(undefined, { open: opts.authenticate === undefined });

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://auditline');
    const file = page.match(req.method, url.pathname, req.headers.accept);
    if (file) {
      sendFile(req, res, file, ctx.state.stopping);
      ctx.metrics.request(PAGE_ROUTE, req.method ?? '', 200);
      return;
    }
    const found = router.find((req.method ?? 'GET') as HTTPMethod, url.pathname);
    const def = (found?.store as Matched | undefined)?.def;
    const route = def?.path ?? UNMATCHED;
    let reply: Reply;
    try {
      if (!def) throw new HttpError(404, 'no_handler_found_exception', `no handler found for ${req.method} on this path`);
      if (!def.open && opts.authenticate && !opts.authenticate(req.headers.authorization)) {
        ctx.metrics.unauthorized();
        throw new HttpError(401, 'security_exception', 'missing or wrong credentials', { 'WWW-Authenticate': 'Basic realm="auditline", Bearer' });
      }
      reply = await def.handler({ req, params: found?.params ?? {}, query: url.searchParams }, ctx);
    } catch (e) {
      // (`req.destroyed` says nothing here: a request read to its end is destroyed too.)
      if (!req.complete && !(e instanceof HttpError)) {
        // The sender went away mid-body: nothing entered the engine, nobody is left to answer.
        ctx.metrics.request(route, req.method ?? '', 499);
        return;
      }
      const error = httpErrorOf(e, ctx.limits.retryAfterSeconds);
      if (error.status === 503) ctx.state.storeFailing = true;
      if (error.status === 429) ctx.metrics.refused(route, 'backpressure');
      else if (error.status === 503) ctx.metrics.refused(route, 'store_failure');
      else if (error.status === 413) ctx.metrics.refused(route, 'too_large');
      else if (error.status >= 500) ctx.metrics.refused(route, 'internal');
      if (error.status >= 500) opts.log(`${req.method} ${route}: ${error.status} ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}`);
      reply = { status: error.status, body: errorBody(error), headers: error.headers };
    }
    if (reply.stream) await sendStream(res, reply, ctx.state.stopping);
    else send(req, res, reply, ctx.state.stopping);
    ctx.metrics.request(route, req.method ?? '', reply.status);
  };

  return (req, res) => {
    handle(req, res).catch((e: unknown) => {
      opts.log(`unhandled: ${e instanceof Error ? e.message : String(e)}`);
      if (!res.headersSent) res.destroy();
    });
  };
}

function headersOf(reply: Reply, stopping: boolean, length: number | undefined): Record<string, string | number> {
  const headers: Record<string, string | number> = { ...PRODUCT_HEADERS, ...API_HEADERS, 'Content-Type': reply.contentType ?? JSON_TYPE, ...reply.headers };
  if (length !== undefined) headers['Content-Length'] = length;
  // While stopping, each answer closes its connection, so keep-alive senders reconnect elsewhere or later.
  if (stopping) headers.Connection = 'close';
  return headers;
}

/** A file of the page: no product header (it is not an Elasticsearch answer), the page's security headers. */
function sendFile(req: IncomingMessage, res: ServerResponse, file: PageFile, stopping: boolean): void {
  if (res.destroyed) return;
  res.writeHead(200, {
    ...PAGE_HEADERS,
    'Content-Type': file.contentType,
    'Content-Length': file.body.length,
    'Cache-Control': file.cacheControl,
    ...(stopping ? { Connection: 'close' } : {}),
  });
  res.end(req.method === 'HEAD' ? undefined : file.body);
}

function send(req: IncomingMessage, res: ServerResponse, reply: Reply, stopping: boolean): void {
  if (res.destroyed) return;
  res.writeHead(reply.status, headersOf(reply, stopping, Buffer.byteLength(reply.body)));
  res.end(req.method === 'HEAD' ? undefined : reply.body);
}

/**
 * Chunked, at the reader's pace (a slow reader holds the stream, not the server's memory). The
 * stream is always iterated, even for a reader already gone, so that its own cleanup (closing a
 * store connection) runs.
 */
async function sendStream(res: ServerResponse, reply: Reply, stopping: boolean): Promise<void> {
  if (!res.destroyed) {
    res.writeHead(reply.status, headersOf(reply, stopping, undefined));
    if (reply.body !== '') res.write(reply.body);
  }
  try {
    for await (const chunk of reply.stream!) {
      if (res.destroyed) break;
      if (!res.write(chunk)) await new Promise<void>((resolve) => (res.destroyed ? resolve() : res.once('drain', resolve).once('close', resolve)));
    }
    res.end();
  } catch (e) {
    // Headers are gone: only a cut connection (no final chunk) tells the reader the answer is broken.
    res.destroy();
    throw e;
  }
}
