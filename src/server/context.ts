import type { IncomingMessage } from 'node:http';
import type { DuckDBConnection } from '@duckdb/node-api';
import type { Engine } from '../run/engine.js';
import type { ServerMetrics } from './metrics.js';

/** What `GET /` reports: shippers read `version.number` (Logstash needs >= 7, Filebeat compares it with its own). */
export interface ClusterInfo {
  name: string;
  uuid: string;
  version: string;
}

export interface Limits {
  /** Largest request body, as sent and once inflated. */
  maxBodyBytes: number;
  maxLineBytes: number;
  /** What 429 and 503 answers tell the sender to wait. */
  retryAfterSeconds: number;
}

/** The server's state a route may read or change; readiness is derived from it. */
export interface ServerState {
  /** The last acknowledgement failed because the store did; cleared by the next one that succeeds. */
  storeFailing: boolean;
  stopping: boolean;
}

/** What the query routes read: the store the server writes, through connections on its own DuckDB instance. */
export interface QuerySource {
  /** A new read connection (the route closes it); undefined when the server writes NDJSON, not a store. */
  connect: (() => Promise<DuckDBConnection>) | undefined;
  /** Folder of saved searches and detection rules. */
  searchesDir: string;
  /** Findings already reported (the same ledger `auditline detect` keeps). */
  findingsFile: string;
}

export interface AppContext {
  engine: Engine;
  query: QuerySource;
  metrics: ServerMetrics;
  limits: Limits;
  cluster: ClusterInfo;
  state: ServerState;
  /** A name for a request's source: its route, a number, and the index when there is one (bounded, plain characters). */
  sourceName(kind: string, index?: string): string;
}

/** What a route answers: the app adds the headers every answer carries. */
export interface Reply {
  status: number;
  body: string;
  headers?: Record<string, string>;
  /** Defaults to application/json. */
  contentType?: string;
  /**
   * Sent after `body`, chunk by chunk as the sender reads them (answers too large to hold, such as an
   * export); `body` then carries no length. A failure midway cuts the connection, so the reader
   * sees a broken answer, never a short one taken for whole. Only for GET and POST routes (a HEAD
   * answer would carry the stream).
   */
  stream?: AsyncIterable<string>;
}

export interface RouteInput {
  req: IncomingMessage;
  params: Record<string, string | undefined>;
  query: URLSearchParams;
}

export type RouteHandler = (input: RouteInput, ctx: AppContext) => Reply | Promise<Reply>;

export interface RouteDef {
  methods: readonly ('GET' | 'HEAD' | 'POST' | 'PUT')[];
  path: string;
  /** Open routes (health) answer without credentials; everything else needs them. */
  open?: boolean;
  handler: RouteHandler;
}

export function json(status: number, value: unknown, headers?: Record<string, string>): Reply {
  return { status, body: JSON.stringify(value), headers };
}
