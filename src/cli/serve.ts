import { availableParallelism } from 'node:os';
import type { CommandModule } from 'yargs';
import { loadServeConfig, resolveServeOptions, TOKEN_ENV } from '../server/config.js';
import { startServer } from '../server/server.js';
import { stopOnSignals } from '../server/shutdown.js';

interface ServeArgs {
  port?: number;
  host?: string;
  store?: string;
  out?: string;
  es?: string;
  'es-config'?: string;
  dlq?: string;
  'data-dir'?: string;
  'key-file'?: string;
  digests?: boolean;
  pipeline?: string[];
  format?: string;
  searches?: string;
  token?: string[];
  auth: boolean;
  'protect-metrics'?: boolean;
  config?: string;
  'tls-cert'?: string;
  'tls-key'?: string;
  workers?: number;
  'max-body-bytes'?: number;
  'max-in-flight-bytes'?: number;
  'max-connections'?: number;
  'headers-timeout-ms'?: number;
  'request-timeout-ms'?: number;
  'min-body-bytes-per-second'?: number;
  'es-version'?: string;
  'detect-every'?: string;
  'detect-look-back'?: string;
  webhook?: string;
}

/** A server transforms for as long as it runs: one worker per core pays back its start-up (~1 s each). */
const defaultWorkers = () => (availableParallelism() >= 2 ? availableParallelism() : 0);

const log = (m: string) => process.stderr.write(`auditline serve: ${m}\n`);

export const serveCommand: CommandModule<object, ServeArgs> = {
  command: 'serve',
  describe: 'Receive logs over HTTP (/v1/ingest, and an Elasticsearch-compatible /_bulk for log shippers); answer only once they are stored',
  builder: (y) =>
    y
      .option('port', { type: 'number', describe: 'port to listen on (default 9200; 0 picks one)' })
      .option('host', { type: 'string', describe: 'address to listen on (default 127.0.0.1)' })
      .option('store', { type: 'string', describe: 'DuckDB file (default <data-dir>/auditline.duckdb)' })
      .option('out', { type: 'string', describe: 'write NDJSON to DIR/<location>/<date>.ndjson instead of the store' })
      .option('es', { type: 'string', describe: 'Elasticsearch URL instead of the store (after auditline es setup)' })
      .option('es-config', { type: 'string', describe: 'Elasticsearch clusters per location (YAML) instead of the store' })
      .option('dlq', { type: 'string', describe: 'dead-letter file (default <data-dir>/dead-letter.ndjson)' })
      .option('data-dir', { type: 'string', describe: 'folder of the store, dead-letter file and HMAC key (default auditline-data)' })
      .option('key-file', { type: 'string', describe: 'HMAC key file (else AUDITLINE_HMAC_KEY, else <data-dir>/hmac.key)' })
      .option('digests', {
        type: 'boolean',
        describe:
          'seal the store: chain a digest of every write, signed with <data-dir>/signing.key or AUDITLINE_SIGNING_KEY_FILE when present (auditline verify)',
      })
      .option('pipeline', { type: 'string', array: true, describe: 'bundled pipeline name or YAML path (default: all bundled, chosen by host)' })
      .option('format', { type: 'string', describe: 'skip format detection' })
      .option('searches', { type: 'string', describe: 'folder of saved searches and rules for /api/searches and /api/findings (default: the bundled ones)' })
      .option('token', {
        type: 'string',
        array: true,
        describe: `accepted credential: Bearer T, or basic auth with any user and T as password (else ${TOKEN_ENV}, else auth.tokens in --config)`,
      })
      .option('auth', { type: 'boolean', default: true, describe: '--no-auth runs without credentials (refused by default when no token is set)' })
      .option('protect-metrics', { type: 'boolean', describe: '/metrics needs credentials too' })
      .option('config', { type: 'string', describe: 'YAML configuration file; flags and the environment override it' })
      .option('tls-cert', { type: 'string', describe: 'PEM certificate: serve HTTPS (with --tls-key)' })
      .option('tls-key', { type: 'string', describe: 'PEM private key of --tls-cert' })
      .option('workers', { type: 'number', describe: 'transform worker threads (0: main thread; default one per core)' })
      .option('max-body-bytes', { type: 'number', describe: 'largest request body, as sent and inflated (default 32 MiB); 413 beyond' })
      .option('max-in-flight-bytes', { type: 'number', describe: 'input in flight before requests get 429 (default 64 MiB)' })
      .option('max-connections', { type: 'number', describe: 'open connections at most; idle ones are closed first, then new ones get 503 (default 512)' })
      .option('headers-timeout-ms', { type: 'number', describe: 'time to receive a request line and headers; 408 beyond (default 30000)' })
      .option('request-timeout-ms', { type: 'number', describe: 'time to receive a whole request; 408 beyond (default 120000)' })
      .option('min-body-bytes-per-second', { type: 'number', describe: 'a body slower than this over 10 s is cut with 408 (default 1)' })
      .option('es-version', { type: 'string', describe: 'version.number reported to shippers (default 8.19.0)' })
      .option('detect-every', { type: 'string', describe: 'run every detection rule on this schedule, e.g. 5m (default 5m when any detect option is set)' })
      .option('detect-look-back', { type: 'string', describe: 'each scheduled run covers this much time before now, e.g. 1h (default 1h)' })
      .option('webhook', { type: 'string', describe: 'POST each new finding of scheduled detection to this URL as JSON' }) as never,
  handler: async (args) => {
    const loaded = args.config === undefined ? undefined : loadServeConfig(args.config);
    const options = resolveServeOptions(
      {
        host: args.host,
        port: args.port,
        store: args.store,
        out: args.out,
        es: args.es,
        esConfig: args['es-config'],
        dlq: args.dlq,
        dataDir: args['data-dir'],
        keyFile: args['key-file'],
        digests: args.digests,
        pipelines: args.pipeline,
        format: args.format,
        searches: args.searches,
        workers: args.workers,
        token: args.token,
        // yargs gives `auth: true` by default; only an explicit --no-auth turns it off.
        noAuth: args.auth ? undefined : true,
        protectMetrics: args['protect-metrics'],
        tlsCert: args['tls-cert'],
        tlsKey: args['tls-key'],
        maxBodyBytes: args['max-body-bytes'],
        maxInFlightBytes: args['max-in-flight-bytes'],
        maxConnections: args['max-connections'],
        headersTimeoutMs: args['headers-timeout-ms'],
        requestTimeoutMs: args['request-timeout-ms'],
        minBodyBytesPerSecond: args['min-body-bytes-per-second'],
        esVersion: args['es-version'],
        detectEvery: args['detect-every'],
        detectLookBack: args['detect-look-back'],
        webhook: args.webhook,
      },
      loaded,
      process.env,
      defaultWorkers(),
    );
    const server = await startServer(options, { log });
    stopOnSignals(() => server.close(), log);
    log(
      `listening on ${server.url} (store ${options.out ?? options.es ?? options.esConfig ?? options.store ?? `${options.dataDir}/auditline.duckdb`}, ${options.workers} workers, auth ${options.noAuth ? 'off' : `${options.tokens.length} token(s)`}${options.detect ? `, detection every ${options.detect.everyMs / 1000} s over ${options.detect.lookBackMs / 1000} s` : ''})`,
    );
  },
};
