import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer as createHttpServer, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { AuditlineError } from '../errors.js';
import { openEngine, type Engine } from '../run/engine.js';
import { defaultStorePath, openChosenSink } from '../run/sink-choice.js';
import { prepareTransform } from '../run/setup.js';
import { createTransformPool } from '../run/transform-pool.js';
import { loadHmacKey } from '../secrets/hmac-key.js';
import { loadSigningKey } from '../secrets/signing-key.js';
import { openDeadLetter } from '../sinks/dead-letter.js';
import { openDuckDbSink, type DuckDbSink } from '../sinks/duckdb/sink.js';
import { BUNDLED_SEARCHES_DIR } from '../searches/load.js';
import { openNdjsonSink } from '../sinks/ndjson.js';
import type { EventSink } from '../sinks/sink.js';
import { createApp } from './app.js';
import { listen, listeningUrl } from './listen.js';
import { createAuthenticator } from './auth.js';
import type { AppContext, ServerState } from './context.js';
import { startDetectScheduler, type DetectScheduler } from './detect-schedule.js';
import { guardConnections } from './connection-guard.js';
import { createMetrics } from './metrics.js';
import type { ServeOptions } from './options.js';
import { esCompatRoutes } from './routes/es-compat.js';
import { eventRoutes } from './routes/events.js';
import { findingRoutes } from './routes/findings.js';
import { searchRoutes } from './routes/searches.js';
import { healthRoutes } from './routes/health.js';
import { ingestRoutes } from './routes/ingest.js';

export interface RunningServer {
  /** `http://host:port` as bound (the port chosen by the system when 0 was asked for). */
  readonly url: string;
  readonly engine: Engine;
  readonly http: Server;
  /** Scheduled detection, when the options ask for it (`runNow()` runs a cycle at once). */
  readonly detection: DetectScheduler | undefined;
  /**
   * Stops accepting, lets the requests in flight finish and be answered (after `graceMs` the
   * connections still open are cut and their senders resend), then drains and closes the engine.
   */
  close(graceMs?: number): Promise<void>;
}

export interface StartOptions {
  /** Wraps the store the options name (tests slow it down or make it fail for a while). */
  wrapSink?: (sink: EventSink) => EventSink;
  log?: (message: string) => void;
  /** The clock scheduled detection takes its look-back window from (tests fix it on their fixtures' day). */
  now?: () => number;
}

/** Bounds of how often node:http looks for connections past their header or request timeout. */
const MIN_CHECK_INTERVAL_MS = 50;
const MAX_CHECK_INTERVAL_MS = 1000;

/** The longest part of an index name kept in a source name (dead-letter entries carry it). */
const MAX_INDEX_IN_NAME = 64;

/**
 * Builds everything `serve` runs (key, transform, store, engine, routes) and listens. Nothing is
 * bound until the store is open, so a locked store fails the start instead of the first request.
 */
export async function startServer(opts: ServeOptions, start: StartOptions = {}): Promise<RunningServer> {
  const log = start.log ?? ((m: string) => process.stderr.write(`auditline serve: ${m}\n`));
  if (opts.tokens.length === 0 && !opts.noAuth) {
    throw new AuditlineError('AL_CLI_USAGE', 'serve needs a token (--token, AUDITLINE_TOKEN or auth.tokens in --config); --no-auth runs it open');
  }
  const key = loadHmacKey({ dataDir: opts.dataDir, keyFile: opts.keyFile, env: opts.env.reveal() });
  const setup = prepareTransform({ pipelines: opts.pipelines, format: opts.format, key, maxLineBytes: opts.limits.maxLineBytes });
  const tls = opts.tls ? { cert: readTlsFile(opts.tls.cert), key: readTlsFile(opts.tls.key) } : undefined;
  const storeName = opts.out ?? opts.store ?? defaultStorePath(opts.dataDir);
  const toElasticsearch = opts.es !== undefined || opts.esConfig !== undefined;
  const store: DuckDbSink | undefined =
    opts.out || toElasticsearch
      ? undefined
      : await openDuckDbSink(storeName, {}, { digests: opts.digests, signer: loadSigningKey({ dataDir: opts.dataDir, env: opts.env.reveal() }) });
  // Elasticsearch through the loader ingest uses; the query routes read only the embedded store.
  const opened: EventSink =
    store ??
    (toElasticsearch
      ? await openChosenSink({ es: opts.es, esConfig: opts.esConfig, dataDir: opts.dataDir, env: opts.env.reveal() })
      : openNdjsonSink(opts.out!));
  const sink = start.wrapSink ? start.wrapSink(opened) : opened;
  const engine = openEngine({
    pool: createTransformPool({ workers: opts.workers, init: setup.workerInit, makeLocal: setup.makeTransform, maxLineBytes: opts.limits.maxLineBytes }),
    sink,
    deadLetter: openDeadLetter(opts.dlq ?? `${opts.dataDir}/dead-letter.ndjson`),
    redactor: setup.makeRedactor(),
    maxLineBytes: opts.limits.maxLineBytes,
    maxInFlightBytes: opts.limits.maxInFlightBytes,
    // A shipper waits for its answer: a write is cut after the engine's default wait, not a batch run's.
    onRetriesExhausted: 'fail',
    onWriteFailure: 'fail-batches',
  });

  const state: ServerState = { storeFailing: false, stopping: false };
  let requests = 0;
  const ctx: AppContext = {
    engine,
    // Reads go through the writer's own DuckDB instance: no other process may open the file meanwhile.
    query: { connect: store && (() => store.reader()), searchesDir: opts.searchesDir ?? BUNDLED_SEARCHES_DIR, findingsFile: `${opts.dataDir}/findings.ndjson` },
    metrics: createMetrics(() => engine.stats()),
    limits: { maxBodyBytes: opts.limits.maxBodyBytes, maxLineBytes: opts.limits.maxLineBytes, retryAfterSeconds: opts.limits.retryAfterSeconds },
    cluster: { name: opts.cluster.name, version: opts.cluster.version, uuid: clusterUuid(storeName) },
    state,
    sourceName: (kind, index) => `http:${kind}${index === undefined ? '' : `:${index.replace(/[^\w.-]/g, '_').slice(0, MAX_INDEX_IN_NAME)}`}:${++requests}`,
  };
  const handler = createApp(ctx, {
    routes: [...healthRoutes(opts.protectMetrics), ...ingestRoutes, ...esCompatRoutes, ...eventRoutes, ...searchRoutes, ...findingRoutes],
    authenticate: opts.noAuth ? undefined : createAuthenticator(opts.tokens),
    log,
  });
  // node:http checks its header and request timeouts every `connectionsCheckingInterval` (30 s by
  // default, so a 30 s headers timeout cut a slowloris sender only after up to 60 s).
  const connectionsCheckingInterval = Math.max(MIN_CHECK_INTERVAL_MS, Math.min(MAX_CHECK_INTERVAL_MS, opts.limits.headersTimeoutMs / 4));
  const httpOptions = { connectionsCheckingInterval };
  const http = tls ? createHttpsServer({ ...tls, ...httpOptions }, handler) : createHttpServer(httpOptions, handler);
  // Slow senders cannot hold a connection and its buffers for ever: headers, then the whole request, are timed.
  http.headersTimeout = opts.limits.headersTimeoutMs;
  http.requestTimeout = opts.limits.requestTimeoutMs;
  http.keepAliveTimeout = opts.limits.keepAliveTimeoutMs;
  const guard = guardConnections(http, opts.limits, (reason) => ctx.metrics.connectionCut(reason));
  ctx.metrics.readConnections(guard.open);

  try {
    await listen(http, opts.port, opts.host);
  } catch (e) {
    await engine.close();
    throw e;
  }
  const url = listeningUrl(http, tls ? 'https' : 'http');
  const detection = opts.detect ? startDetectScheduler(ctx, opts.detect, { log, now: start.now }) : undefined;

  let closing: Promise<void> | undefined;
  return {
    url,
    engine,
    http,
    detection,
    close(graceMs = opts.limits.shutdownGraceMs) {
      closing ??= (async () => {
        state.stopping = true;
        const closed = new Promise<void>((resolve) => http.close(() => resolve()));
        // Idle keep-alive connections would hold close() open; busy ones finish their request first.
        http.closeIdleConnections();
        const grace = setTimeout(() => http.closeAllConnections(), graceMs);
        grace.unref();
        await closed;
        clearTimeout(grace);
        guard.stop();
        // A detection run in progress reads the store: it ends before the store closes.
        await detection?.stop();
        await engine.close();
      })();
      return closing;
    },
  };
}

function readTlsFile(path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (cause) {
    throw new AuditlineError('AL_CONFIG_NOT_FOUND', `cannot read TLS file: ${(cause as Error).message}`, { file: path }, { cause });
  }
}

/** Stable for a store across restarts (Logstash reads it), and says nothing about the path. */
function clusterUuid(storeName: string): string {
  return createHash('sha256').update(`auditline:${storeName}`).digest('base64url').slice(0, 22);
}
