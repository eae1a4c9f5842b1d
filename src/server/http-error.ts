import { AuditlineError, type ErrorCode } from '../errors.js';
import { SinkError } from '../sinks/sink.js';

/**
 * A request answered with an error status as a whole. `type` is the Elasticsearch error type
 * the body carries (shippers log it); the status decides what the shipper does next.
 */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly type: string,
    message: string,
    /** Extra response headers (`Retry-After`, `WWW-Authenticate`). */
    readonly headers: Record<string, string> = {},
    /** Our code when the failure is one of ours: a CLI reading through the server exits as it would locally. */
    readonly code?: ErrorCode,
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

/** The body of an error answer, shaped as Elasticsearch's so shippers log something useful. */
export function errorBody(e: HttpError): string {
  const code = e.code === undefined ? {} : { auditline_code: e.code };
  return JSON.stringify({ error: { root_cause: [{ type: e.type, reason: e.message }], type: e.type, reason: e.message, ...code }, status: e.status });
}

/**
 * Statuses of our own errors that a query can cause: the request named something that is not there
 * or asked for something invalid. Anything else of ours is a server fault (500).
 */
const STATUS_BY_CODE: Partial<Record<ErrorCode, number>> = {
  AL_SEARCH_NOT_FOUND: 404,
  AL_SEARCH_PARAM: 400,
  AL_SEARCH_INVALID: 400,
  AL_CLI_USAGE: 400,
};

/**
 * What a failed acknowledgement becomes: a store that failed is a 503 the shipper retries (the
 * ids make the resend harmless); anything else is our bug, a 500. Decided by class and code,
 * never by message text; the message is ours and carries no record content.
 */
export function httpErrorOf(e: unknown, retryAfterSeconds: number): HttpError {
  if (e instanceof HttpError) return e;
  if (e instanceof AuditlineError && STATUS_BY_CODE[e.code] !== undefined) {
    return new HttpError(
      STATUS_BY_CODE[e.code]!,
      e.code === 'AL_SEARCH_NOT_FOUND' ? 'resource_not_found_exception' : 'illegal_argument_exception',
      e.message,
      {},
      e.code,
    );
  }
  if (e instanceof SinkError || (e instanceof AuditlineError && e.code === 'AL_SINK_IO')) {
    return new HttpError(503, 'unavailable_shards_exception', `the store did not commit this request; send it again (${e.message})`, {
      'Retry-After': String(retryAfterSeconds),
    });
  }
  return new HttpError(500, 'internal_server_error', 'internal error; see the server log');
}
