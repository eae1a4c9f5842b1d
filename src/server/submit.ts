import type { Engine, SourceResult } from '../run/engine.js';
import type { InputChunk } from '../sources/file.js';
import { bytesOf } from '../run/engine-records.js';
import type { ServerState } from './context.js';
import { HttpError } from './http-error.js';

export interface SubmitOptions {
  lineOutcomes?: boolean;
  retryAfterSeconds: number;
  /** Cleared when the store acknowledges: readiness follows the last write. */
  state: ServerState;
}

/**
 * Hands one request's batches to the engine as one source and waits until every line is durable.
 * The request is admitted whole or not at all: if the engine's in-flight bound has no room, the
 * answer is 429 for the whole request before any line enters (a shipper resends it whole; a per-item
 * 429 inside a 200 would be lost by Fluent Bit and syslog-ng). Rejects with the engine's error when
 * the store did not commit (the caller answers 503).
 */
export async function submit(engine: Engine, name: string, batches: readonly InputChunk[], opts: SubmitOptions): Promise<SourceResult> {
  const bytes = batches.reduce((n, b) => n + bytesOf(b), 0);
  const { maxInFlightBytes } = engine.stats();
  // A request larger than the whole bound is admitted when the engine is idle; its later batches wait their turn.
  if (!engine.admits(Math.min(bytes, maxInFlightBytes))) throw backpressure(opts.retryAfterSeconds);
  const source = engine.source(name, { lineOutcomes: opts.lineOutcomes });
  // Pushed together in one turn: admitted above, the first batches are granted at once and none can be overtaken.
  const pushed = Promise.all(batches.map((b) => source.push(b)));
  try {
    await pushed;
  } catch (e) {
    // The engine stopped taking input (closing, or a dead-letter file it cannot write): what was pushed still settles.
    await source.end().catch(() => undefined);
    throw e;
  }
  // A shipper waits for this answer before it sends again, so the engine cuts the write as soon as this
  // request's last batch has joined it rather than after its maximum wait (end()'s default).
  const result = await source.end();
  opts.state.storeFailing = false;
  return result;
}

export function backpressure(retryAfterSeconds: number): HttpError {
  return new HttpError(429, 'es_rejected_execution_exception', 'too much in flight; send this request again later', {
    'Retry-After': String(retryAfterSeconds),
  });
}
