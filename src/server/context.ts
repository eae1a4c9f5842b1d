import type { IncomingMessage } from 'node:http';
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

export interface AppContext {
  engine: Engine;
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
