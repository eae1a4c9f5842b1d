import type { Secret } from '../secrets/secret.js';

/** Everything `serve` runs with, after the config file, the environment and the flags are merged. */
export interface ServeOptions {
  host: string;
  port: number;
  /** DuckDB file (default `<dataDir>/auditline.duckdb`). */
  store?: string;
  /** NDJSON folder instead of the store. */
  out?: string;
  /** Elasticsearch instead of the store: one cluster (`es`) or a configuration file of clusters per location (`esConfig`). */
  es?: string;
  esConfig?: string;
  dlq?: string;
  dataDir: string;
  keyFile?: string;
  /** Seal the DuckDB store (digests signed with the data folder's Ed25519 key when there is one). */
  digests: boolean;
  pipelines?: string[];
  format?: string;
  /** Folder of saved searches and detection rules the query routes run (default: the bundled ones). */
  searchesDir?: string;
  /** Transform worker threads (0: the main thread). */
  workers: number;
  /** Accepted credentials; any one will do. */
  tokens: Secret<string>[];
  /** Run without credentials (the operator asked for it; refused otherwise when no token is set). */
  noAuth: boolean;
  /** `/metrics` needs credentials too. */
  protectMetrics: boolean;
  tls?: { cert: string; key: string };
  limits: ServeLimits;
  cluster: { name: string; version: string };
  /** Detection on a schedule over the store (absent: none). */
  detect?: DetectScheduleOptions;
  /** Where the HMAC key may come from; wrapped because it holds secrets and options get logged. */
  env: Secret<NodeJS.ProcessEnv>;
}

export interface DetectScheduleOptions {
  /** Time between two runs of every rule. */
  everyMs: number;
  /** Each run covers [now - lookBackMs, now). */
  lookBackMs: number;
  /** Each new finding is POSTed here as JSON, one request per finding. */
  webhook?: URL;
}

/** When only some detect settings are given: every 5 minutes over the last hour. */
export const DEFAULT_DETECT_EVERY = '5m';
export const DEFAULT_DETECT_LOOK_BACK = '1h';

export interface ServeLimits {
  /** Largest request body, as sent and once inflated. Default 32 MiB: Logstash cuts bulks at 20 MiB, Filebeat and Fluent Bit far below. */
  maxBodyBytes: number;
  /** The engine's bound on input in flight; beyond it requests get 429. Default 64 MiB (the engine's). */
  maxInFlightBytes: number;
  /** Longer lines (documents) are dead-lettered as line_too_long. Default 1 MiB. */
  maxLineBytes: number;
  /** Time to receive a request's headers. Default 30 s. */
  headersTimeoutMs: number;
  /** Time to receive a whole request. Default 120 s (Vector's own timeout is 60 s). */
  requestTimeoutMs: number;
  /** Idle keep-alive connections are closed after this. Default 65 s, above the 60 s most shippers keep them. */
  keepAliveTimeoutMs: number;
  /**
   * Open connections at most. At the cap, idle ones (keep-alive between requests, or connected and
   * silent) are closed first, then a new one is answered 503 and closed. Default 512: under the
   * 1,024 descriptors a process gets by default, with room for the store and files; a shipper keeps
   * a few connections (Logstash at most 100 per host).
   */
  maxConnections: number;
  /**
   * A request body arriving slower than this many bytes a second over `bodyRateWindowMs` is answered
   * 408 and its connection closed. Default 1: a sender trickling a byte every few seconds would
   * otherwise hold a connection and its buffer for the whole request timeout, and no shipper sends
   * that slowly.
   */
  minBodyBytesPerSecond: number;
  /** The window the body rate is measured over. Default 10 s, so a pause of a few seconds on a busy link is no cut. */
  bodyRateWindowMs: number;
  /** On SIGTERM, how long requests in flight may take before their connections are cut. Default 30 s (Kubernetes' grace period). */
  shutdownGraceMs: number;
  /** `Retry-After` of 429 and 503 answers. Default 1 s. */
  retryAfterSeconds: number;
}

export const DEFAULT_LIMITS: ServeLimits = {
  maxBodyBytes: 32 * 1024 * 1024,
  maxInFlightBytes: 64 * 1024 * 1024,
  maxLineBytes: 1024 * 1024,
  headersTimeoutMs: 30_000,
  requestTimeoutMs: 120_000,
  keepAliveTimeoutMs: 65_000,
  maxConnections: 512,
  minBodyBytesPerSecond: 1,
  bodyRateWindowMs: 10_000,
  shutdownGraceMs: 30_000,
  retryAfterSeconds: 1,
};

/** The last 8.x minor: Filebeat and Logstash of any 8.x accept it; 9.x Beats allow older versions by default. */
export const DEFAULT_ES_VERSION = '8.19.0';
export const DEFAULT_PORT = 9200;
export const DEFAULT_HOST = '127.0.0.1';
