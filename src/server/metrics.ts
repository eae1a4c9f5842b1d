import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { EngineStats, SourceResult } from '../run/engine.js';
import type { ConnectionCut } from './connection-guard.js';

/**
 * Distinct values one label may take before further ones are counted as `other`. Locations and
 * actions come from the data (an already-formed event names its own action), so a sender could
 * otherwise grow the series without bound; a real deployment has a few dozen of each.
 */
export const MAX_LABEL_VALUES = 200;
const OTHER = 'other';

/** Keeps a label to at most MAX_LABEL_VALUES values, the first ones seen. */
class BoundedLabel {
  private readonly seen = new Set<string>();

  constructor(private readonly max = MAX_LABEL_VALUES) {}

  of(value: string): string {
    if (this.seen.has(value)) return value;
    if (this.seen.size >= this.max) return OTHER;
    this.seen.add(value);
    return value;
  }
}

/** Buckets of the time from a request's first batch to its acknowledgement (writes are cut after at most 200 ms). */
const ACK_BUCKETS_SECONDS = [0.01, 0.025, 0.05, 0.1, 0.2, 0.3, 0.5, 1, 2, 5, 10, 30];

export interface ServerMetrics {
  readonly registry: Registry;
  /** A request answered; `route` is the route pattern (never the URL), `status` the HTTP status. */
  request(route: string, method: string, status: number): void;
  unauthorized(): void;
  linesReceived(route: string, lines: number): void;
  /** A request's lines acknowledged: outcomes, events by location and action, dead letters by reason, redactions by kind. */
  acknowledged(route: string, result: SourceResult, seconds: number): void;
  /** A request refused as a whole before or after its lines entered the engine (`backpressure`, `store_failure`, ...). */
  refused(route: string, reason: 'backpressure' | 'store_failure' | 'too_large' | 'internal'): void;
  /** A connection cut or refused before a route answered it (slow headers or body, too many connections, ...). */
  connectionCut(reason: ConnectionCut): void;
  /** Where the number of open connections is read from (set once the server exists). */
  readConnections(open: () => number): void;
  /** A scheduled detection cycle ended (`ok`, or `failed` when it threw); `newFindings` were raised for the first time. */
  detectionCycle(outcome: 'ok' | 'failed', newFindings: number): void;
  /** A finding posted to the webhook: `delivered` (2xx) or `failed` (another status, a network error, a timeout). */
  webhookDelivery(outcome: 'delivered' | 'failed'): void;
}

/** Every series of `/metrics`, in a registry of its own (tests start many servers in one process). */
export function createMetrics(stats: () => EngineStats): ServerMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const requests = new Counter({
    name: 'auditline_http_requests_total',
    help: 'HTTP requests answered, by route pattern, method and status',
    labelNames: ['route', 'method', 'status'],
    registers: [registry],
  });
  const unauthorized = new Counter({
    name: 'auditline_http_unauthorized_total',
    help: 'Requests refused for missing or wrong credentials',
    registers: [registry],
  });
  const received = new Counter({
    name: 'auditline_lines_received_total',
    help: 'Lines (bulk documents, body lines) handed to the engine, by route',
    labelNames: ['route'],
    registers: [registry],
  });
  const lines = new Counter({
    name: 'auditline_lines_total',
    help: 'Lines acknowledged, by route and outcome (indexed, duplicate, dead_lettered, filtered)',
    labelNames: ['route', 'outcome'],
    registers: [registry],
  });
  // Two series rather than one by location and action: the tally counts each on its own.
  const byLocation = new Counter({
    name: 'auditline_events_indexed_by_location_total',
    help: 'Events stored, by location',
    labelNames: ['location'],
    registers: [registry],
  });
  const byAction = new Counter({
    name: 'auditline_events_indexed_by_action_total',
    help: 'Events stored, by action',
    labelNames: ['action'],
    registers: [registry],
  });
  const deadLetters = new Counter({
    name: 'auditline_dead_letters_total',
    help: 'Lines dead-lettered, by reject code',
    labelNames: ['reason'],
    registers: [registry],
  });
  const redactions = new Counter({ name: 'auditline_redactions_total', help: 'Values redacted, by kind', labelNames: ['kind'], registers: [registry] });
  const refusals = new Counter({
    name: 'auditline_requests_refused_total',
    help: 'Requests refused as a whole, by route and reason',
    labelNames: ['route', 'reason'],
    registers: [registry],
  });
  const ack = new Histogram({
    name: 'auditline_ack_seconds',
    help: "Time from a request's first batch entering the engine to every line being durable (commit latency as a sender sees it)",
    labelNames: ['route'],
    buckets: ACK_BUCKETS_SECONDS,
    registers: [registry],
  });
  const detectionCycles = new Counter({
    name: 'auditline_detection_cycles_total',
    help: 'Scheduled detection runs, by outcome (ok, failed)',
    labelNames: ['outcome'],
    registers: [registry],
  });
  const newFindings = new Counter({
    name: 'auditline_findings_new_total',
    help: 'Findings raised for the first time by scheduled detection',
    registers: [registry],
  });
  const webhook = new Counter({
    name: 'auditline_webhook_deliveries_total',
    help: 'Findings posted to the detection webhook, by outcome (delivered, failed)',
    labelNames: ['outcome'],
    registers: [registry],
  });
  const cuts = new Counter({
    name: 'auditline_connections_cut_total',
    help: 'Connections cut or refused before a route answered, by reason (header_timeout, request_timeout, slow_body, too_many_connections, idle_shed, bad_request)',
    labelNames: ['reason'],
    registers: [registry],
  });
  let openConnections: () => number = () => 0;
  new Gauge({
    name: 'auditline_http_connections',
    help: 'HTTP connections open now',
    registers: [registry],
    collect() {
      this.set(openConnections());
    },
  });
  const engineGauge = (name: string, help: string, read: (s: EngineStats) => number) =>
    new Gauge({
      name,
      help,
      registers: [registry],
      collect() {
        this.set(read(stats()));
      },
    });
  engineGauge('auditline_in_flight_bytes', 'Input bytes admitted and not yet acknowledged', (s) => s.inFlightBytes);
  engineGauge('auditline_in_flight_bytes_peak', 'The most input bytes ever in flight at once', (s) => s.peakInFlightBytes);
  engineGauge('auditline_in_flight_bytes_max', 'The bound on input bytes in flight; beyond it requests get 429', (s) => s.maxInFlightBytes);
  engineGauge('auditline_sink_writes', 'Store writes committed since start', (s) => s.writes);
  engineGauge('auditline_sink_write_retries', 'Store writes tried again', (s) => s.writeRetries);
  engineGauge('auditline_transform_retries', 'Batches transformed again after a worker died or the transform threw', (s) => s.transformRetries);
  engineGauge('auditline_worker_restarts', 'Transform worker threads replaced', (s) => s.workerRestarts);

  const locationLabel = new BoundedLabel();
  const actionLabel = new BoundedLabel();
  return {
    registry,
    request: (route, method, status) => requests.inc({ route, method, status: String(status) }),
    unauthorized: () => unauthorized.inc(),
    linesReceived: (route, n) => received.inc({ route }, n),
    acknowledged(route, r, seconds) {
      lines.inc({ route, outcome: 'indexed' }, r.eventsIndexed);
      lines.inc({ route, outcome: 'duplicate' }, r.duplicatesSkipped);
      lines.inc({ route, outcome: 'dead_lettered' }, r.deadLettered);
      lines.inc({ route, outcome: 'filtered' }, r.filtered);
      for (const [location, n] of Object.entries(r.byLocation)) byLocation.inc({ location: locationLabel.of(location) }, n);
      for (const [action, n] of Object.entries(r.byAction)) byAction.inc({ action: actionLabel.of(action) }, n);
      // Reject codes and redaction kinds are closed sets of our own.
      for (const [reason, n] of Object.entries(r.deadLetteredBy)) deadLetters.inc({ reason }, n ?? 0);
      for (const [kind, n] of Object.entries(r.redactions)) redactions.inc({ kind }, n);
      ack.observe({ route }, seconds);
    },
    refused: (route, reason) => refusals.inc({ route, reason }),
    connectionCut: (reason) => cuts.inc({ reason }),
    readConnections(open) {
      openConnections = open;
    },
    detectionCycle(outcome, n) {
      detectionCycles.inc({ outcome });
      newFindings.inc(n);
    },
    webhookDelivery: (outcome) => webhook.inc({ outcome }),
  };
}
