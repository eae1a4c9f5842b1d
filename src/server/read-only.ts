import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { Engine } from '../run/engine.js';
import { BUNDLED_SEARCHES_DIR } from '../searches/load.js';
import { Secret } from '../secrets/secret.js';
import { openReadOnlyInstance } from '../sinks/duckdb/read.js';
import { createApp } from './app.js';
import { createAuthenticator } from './auth.js';
import type { AppContext } from './context.js';
import { createMetrics } from './metrics.js';
import { DEFAULT_LIMITS } from './options.js';
import { eventRoutes } from './routes/events.js';
import { findingRoutes } from './routes/findings.js';
import { listen, listeningUrl } from './listen.js';
import { healthRoutes } from './routes/health.js';
import { searchRoutes } from './routes/searches.js';

export interface ReadOnlyOptions {
  store: string;
  /** Loopback unless asked otherwise: the page and its token are for the person at this machine. */
  host: string;
  port: number;
  searchesDir?: string;
  /** Where the findings ledger is (`<dataDir>/findings.ndjson`, as `detect` keeps it). */
  dataDir: string;
  /** Default: a new random token for each start. */
  token?: string;
}

export interface ReadOnlyServer {
  /** `http://host:port` */
  url: string;
  /** The page's address with the token in the fragment, which the browser never sends to the server. */
  pageUrl: string;
  http: Server;
  close(): Promise<void>;
}

/** Random bytes of a generated token: as strong as an HMAC key. */
const TOKEN_BYTES = 32;

/**
 * Nothing here may reach the engine: this server has no ingest route. A stub that fails loudly
 * keeps the shared context type honest about it.
 */
const NO_ENGINE = new Proxy({} as Engine, {
  get() {
    throw new Error('the read-only server has no engine');
  },
});

/**
 * `auditline ui`: the page and the query routes over a store no other process writes, opened
 * read-only (DuckDB refuses it while a writer holds it; the error names that process), with no
 * ingest routes. A new token each start unless one is given.
 */
export async function startReadOnlyServer(opts: ReadOnlyOptions): Promise<ReadOnlyServer> {
  const instance = await openReadOnlyInstance(opts.store);
  const token = opts.token ?? randomBytes(TOKEN_BYTES).toString('base64url');
  const ctx: AppContext = {
    engine: NO_ENGINE,
    query: { connect: () => instance.connect(), searchesDir: opts.searchesDir ?? BUNDLED_SEARCHES_DIR, findingsFile: `${opts.dataDir}/findings.ndjson` },
    metrics: createMetrics(() => NO_ENGINE.stats()),
    limits: { maxBodyBytes: DEFAULT_LIMITS.maxBodyBytes, maxLineBytes: DEFAULT_LIMITS.maxLineBytes, retryAfterSeconds: DEFAULT_LIMITS.retryAfterSeconds },
    cluster: { name: 'auditline-ui', version: '0', uuid: 'auditline-ui' },
    state: { storeFailing: false, stopping: false },
    sourceName: (kind) => kind,
  };
  const handler = createApp(ctx, {
    routes: [...healthRoutes(true).filter((r) => r.path !== '/metrics'), ...eventRoutes, ...searchRoutes, ...findingRoutes],
    authenticate: createAuthenticator([new Secret(token)]),
    log: (m) => process.stderr.write(`auditline ui: ${m}\n`),
  });
  const http = createServer(handler);
  try {
    await listen(http, opts.port, opts.host);
  } catch (e) {
    instance.closeSync();
    throw e;
  }
  const url = listeningUrl(http, 'http');
  return {
    url,
    pageUrl: `${url}/#token=${token}`,
    http,
    async close() {
      ctx.state.stopping = true;
      await new Promise<void>((resolve) => {
        http.close(() => resolve());
        http.closeAllConnections();
      });
      instance.closeSync();
    },
  };
}
