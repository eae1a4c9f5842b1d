import type { Unwrapped } from '../format.js';

/**
 * The envelopes Activity Tracker events arrive in (reference 5.2, 5.3), removed before
 * redaction so every field is redacted under its own name (`payload` is also the name of
 * Key Protect's key material, and a secret field: left wrapped, the whole event would be
 * fingerprinted). Order, outermost first:
 *
 *   archive row   {"_source": {"_ts":…, "o_initiator": {"o_host": {…}}, "eventTime": …}}
 *   LogDNA line   {"_line": "<the event as JSON text>", "_ts":…, "_app":…, "_host":…}
 *   legacy        {"payload": {<CADF fields>}, …}
 *
 * LogDNA's `_ts`, `_app` and `_host` (from any level) are kept under `auditline.logdna`; the
 * other `_`-prefixed line identifiers are LogDNA's, not the event's, and are dropped.
 */

export interface LogdnaMeta {
  /** `_ts`: epoch milliseconds LogDNA received the line */
  ts?: number;
  /** `_app`: in Activity Tracker, the CRN of the service instance */
  app?: string;
  /** `_host`: in Activity Tracker, the emitting service's name */
  host?: string;
}

const ARCHIVE_PREFIX = 'o_';

export function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** A JSON object parsed from text, or undefined (no message: the text may hold secrets). */
export function parseJsonObject(text: string): Record<string, unknown> | undefined {
  try {
    const v: unknown = JSON.parse(text);
    return isPlainObject(v) ? v : undefined;
  } catch {
    return undefined;
  }
}

/** `o_initiator` → `initiator` at every depth, for object values only (scalars keep their names). */
export function flattenArchiveNames(value: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value)) {
    const nested = isPlainObject(v) ? flattenArchiveNames(v) : v;
    const plain = key.startsWith(ARCHIVE_PREFIX) && isPlainObject(v) ? key.slice(ARCHIVE_PREFIX.length) : key;
    // A row holding both spellings keeps the plain one.
    if (plain !== key && Object.prototype.hasOwnProperty.call(value, plain)) continue;
    out[plain] = nested;
  }
  return out;
}

function collectLogdna(from: Record<string, unknown>, into: LogdnaMeta): void {
  const ts = typeof from._ts === 'string' && /^\d+$/.test(from._ts) ? Number(from._ts) : from._ts;
  if (typeof ts === 'number' && into.ts === undefined) into.ts = ts;
  if (typeof from._app === 'string' && into.app === undefined) into.app = from._app;
  if (typeof from._host === 'string' && into.host === undefined) into.host = from._host;
}

/** A legacy `payload` wrapper holds the CADF fields themselves. */
function isCadfPayload(v: unknown): v is Record<string, unknown> {
  return isPlainObject(v) && (typeof v.action === 'string' || v.eventTime !== undefined || isPlainObject(v.initiator));
}

export function unwrapActivityTrackerRecord(record: Record<string, unknown>): Unwrapped {
  const logdna: LogdnaMeta = {};
  let current = record;
  if (isPlainObject(current._source)) {
    collectLogdna(current, logdna);
    current = flattenArchiveNames(current._source);
  }
  if (typeof current._line === 'string') {
    collectLogdna(current, logdna);
    const inner = parseJsonObject(current._line);
    if (inner) current = inner;
    // A line whose text is not JSON (LogDNA truncates at 16 KB) may still carry parsed fields beside it.
    else if (typeof current.action !== 'string') return { ok: false, code: 'invalid_event', reason: 'LogDNA _line does not hold a JSON object' };
  }
  collectLogdna(current, logdna);

  const event: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(current)) if (!key.startsWith('_')) event[key] = v;

  let payload: unknown = event.payload;
  if (typeof payload === 'string') payload = parseJsonObject(payload) ?? payload;
  if (isCadfPayload(payload)) {
    delete event.payload;
    // LogDNA promoted the payload's fields to the top level; so do we (the payload wins).
    Object.assign(event, payload);
  }

  // A stored event re-ingested (export → ingest) keeps the LogDNA metadata of its first ingest;
  // the rest of `auditline` is recomputed.
  const carried = isPlainObject(event.auditline) && isPlainObject(event.auditline.logdna) ? event.auditline.logdna : undefined;
  delete event.auditline;
  const hasMeta = logdna.ts !== undefined || logdna.app !== undefined || logdna.host !== undefined;
  if (hasMeta || carried) event.auditline = { logdna: hasMeta ? logdna : carried };
  return { ok: true, record: event };
}
