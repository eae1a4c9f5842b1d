import { AuditlineError, type ErrorContext } from '../errors.js';
import type { StoredEvent } from '../model/records.js';

/** What became of one event in a write. */
export type EventOutcome =
  | { readonly status: 'committed' }
  | { readonly status: 'duplicate' }
  | {
      readonly status: 'rejected';
      /** The sink's own stable code (an Elasticsearch error type, an HTTP status) */
      readonly code: string;
      readonly reason: string;
      /** Worth sending again later (a 429, a 5xx); otherwise it goes to the dead-letter file. */
      readonly retriable: boolean;
    };

export const COMMITTED: { readonly status: 'committed' } = Object.freeze({ status: 'committed' });
export const DUPLICATE: { readonly status: 'duplicate' } = Object.freeze({ status: 'duplicate' });

export function rejected(code: string, reason: string, retriable: boolean): EventOutcome {
  return { status: 'rejected', code, reason, retriable };
}

/**
 * A destination for events. `write` returns one outcome per event (`outcomes[i]` for
 * `events[i]`) and resolves only once every committed event is durable, so a caller can
 * acknowledge after commit. A failure of the whole write (nothing committed) throws a
 * `SinkError`. Events of one location are never written anywhere that holds another
 * location's events.
 */
export interface EventSink {
  readonly name: string;
  write(events: readonly StoredEvent[]): Promise<EventOutcome[]>;
  /**
   * Optional: a write that takes its events as they arrive (`StagedWrite`), so that the caller need
   * not hold them until the write is cut. One write is open at a time: the next is opened only
   * once the last one has committed or aborted.
   */
  openWrite?(): StagedWrite;
  close(): Promise<void>;
}

/** What a staged event became: a staged write never refuses an event on its own (a failure fails the whole write). */
export type StagedOutcome = typeof COMMITTED | typeof DUPLICATE;

/**
 * One write whose events arrive in parts. Nothing staged is durable before `commit` resolves (the
 * store's rows are not even visible; the NDJSON files' lines are, as a whole write's were before its
 * fsync); `commit` answers one outcome per staged event, in staging order. A failure of any part
 * fails the whole write: `stage` or `commit` throws a `SinkError`, nothing of the write is kept, and
 * the write is over (the caller no longer holds the events, so a staged write is never sent again).
 * Calls are made one after another, never concurrently.
 */
export interface StagedWrite {
  stage(events: readonly StoredEvent[]): Promise<void>;
  commit(): Promise<StagedOutcome[]>;
  /** Drops what was staged; safe after a failure. */
  abort(): Promise<void>;
}

/** A write that failed as a whole; `retriable` says whether the same write may succeed later. */
export class SinkError extends AuditlineError {
  readonly retriable: boolean;

  constructor(message: string, opts: { retriable: boolean; context?: ErrorContext; cause?: unknown }) {
    super('AL_SINK_IO', message, opts.context ?? {}, { cause: opts.cause });
    this.name = 'SinkError';
    this.retriable = opts.retriable;
  }
}

/** Groups events by location, keeping order inside each location, with each event's index in the write. */
export function byLocation(events: readonly StoredEvent[]): Map<string, { event: StoredEvent; index: number }[]> {
  const groups = new Map<string, { event: StoredEvent; index: number }[]>();
  for (let index = 0; index < events.length; index++) {
    const event = events[index]!;
    const g = groups.get(event.location);
    if (g) g.push({ event, index });
    else groups.set(event.location, [{ event, index }]);
  }
  return groups;
}

/** Location names become table and folder names: only [a-z0-9-] is allowed through. */
export function safeLocation(location: string): string {
  if (!/^[a-z0-9-]+$/.test(location)) throw new Error(`unsafe location name "${location}"`);
  return location;
}
