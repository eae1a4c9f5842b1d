import { errors } from '@elastic/elasticsearch';
import { COMMITTED, DUPLICATE, rejected, type EventOutcome } from '../sink.js';

/**
 * The bulk path's pure steps: events to `create` actions, actions cut into requests by bytes,
 * a bulk response (or a failed request) to one outcome per event.
 */

/** One event on its way to a data stream; `slot` is its position in the sink's write. */
export interface BulkItem {
  slot: number;
  stream: string;
  id: string;
  json: string;
}

export interface BulkRequest {
  items: BulkItem[];
  /** NDJSON, an action line and the document per item, without the final newline (the client's serialiser adds it) */
  body: string;
  bytes: number;
}

/**
 * `create`, never `index`: an existing `_id` answers 409 instead of being overwritten, which is how
 * a re-run is recognised as duplicates and how a stored audit event is never replaced.
 */
export function actionLine(stream: string, id: string): string {
  return JSON.stringify({ create: { _index: stream, _id: id } });
}

/** Cuts items into requests of at most `maxBytes` (uncompressed); an item larger than that goes alone. */
export function planRequests(items: readonly BulkItem[], maxBytes: number): BulkRequest[] {
  const requests: BulkRequest[] = [];
  let lines: string[] = [];
  let current: BulkItem[] = [];
  let bytes = 0;
  const cut = () => {
    if (current.length === 0) return;
    requests.push({ items: current, body: lines.join('\n'), bytes });
    lines = [];
    current = [];
    bytes = 0;
  };
  for (const item of items) {
    const action = actionLine(item.stream, item.id);
    const size = Buffer.byteLength(action) + Buffer.byteLength(item.json) + 2;
    if (bytes + size > maxBytes) cut();
    lines.push(action, item.json);
    current.push(item);
    bytes += size;
  }
  cut();
  return requests;
}

/** A rejection's reason is kept short: Elasticsearch's reasons can quote whole documents or stack traces. */
const MAX_REASON_CHARS = 1000;

interface ItemError {
  type?: string;
  reason?: string;
  caused_by?: { type?: string; reason?: string };
}

function reasonOf(error: ItemError | undefined, status: number): string {
  const parts = [error?.reason, error?.caused_by?.reason ? `caused by ${error.caused_by.type ?? 'error'}: ${error.caused_by.reason}` : undefined].filter(
    Boolean,
  );
  const text = parts.length > 0 ? parts.join('; ') : `HTTP ${status}`;
  return text.length > MAX_REASON_CHARS ? `${text.slice(0, MAX_REASON_CHARS)}…` : text;
}

/**
 * One item of a bulk answer. 2xx stored; 409 already there; 429 and 5xx worth sending again
 * (the engine's retry policy decides when and how often); every other status is final (a
 * mapping conflict, a document the stream cannot take).
 */
export function itemOutcome(item: unknown): EventOutcome {
  const result = (item as { create?: { status?: unknown; error?: ItemError } } | null)?.create;
  const status = typeof result?.status === 'number' ? result.status : 0;
  if (status >= 200 && status < 300) return COMMITTED;
  if (status === 409) return DUPLICATE;
  const code = result?.error?.type ?? (status === 0 ? 'malformed_item' : `http_${status}`);
  return rejected(code, reasonOf(result?.error, status), status === 429 || status >= 500);
}

/** Outcomes of a bulk answer, item by item; undefined when the answer does not have one item per action. */
export function outcomesOf(response: unknown, count: number): EventOutcome[] | undefined {
  const items = (response as { items?: unknown } | null)?.items;
  if (!Array.isArray(items) || items.length !== count) return undefined;
  return items.map(itemOutcome);
}

/** What a failed request (no bulk answer to read) means for its items. */
export interface RequestFailure {
  reason: string;
  /** The same request may succeed later: connection failures, timeouts, 429 and 5xx */
  retriable: boolean;
  /**
   * The cluster may have applied it: it never answered (timeout, connection dropped) or a proxy
   * answered for it (502, 504). An item sent again then finds its own first copy (409).
   */
  inDoubt: boolean;
}

export function requestFailure(error: unknown): RequestFailure {
  if (error instanceof errors.ResponseError) {
    const status = error.statusCode ?? 0;
    const type = (error.body as { error?: { type?: string } } | undefined)?.error?.type;
    const reason = `HTTP ${status}${type ? ` ${type}` : ''}: ${clip(error.message)}`;
    return { reason, retriable: status === 429 || status >= 500, inDoubt: status === 502 || status === 504 };
  }
  if (error instanceof errors.TimeoutError || error instanceof errors.ConnectionError || error instanceof errors.NoLivingConnectionsError) {
    return { reason: `${error.name}: ${clip(error.message)}`, retriable: true, inDoubt: true };
  }
  // A malformed answer, a product check that failed, a body that cannot be serialised: sending again would not help.
  return {
    reason: `${(error as Error).name ?? 'Error'}: ${clip((error as Error).message ?? String(error))}`,
    retriable: false,
    inDoubt: error instanceof errors.DeserializationError,
  };
}

function clip(text: string): string {
  return text.length > MAX_REASON_CHARS ? `${text.slice(0, MAX_REASON_CHARS)}…` : text;
}
