import type { JsonInputFormat } from '../format.js';
import { normaliseActivityTrackerEvent } from './normalise.js';
import { isPlainObject, unwrapActivityTrackerRecord } from './unwrap.js';

/**
 * Already-formed Activity Tracker events, one format per envelope so the summary counts each
 * shape. All three unwrap every envelope they find (a forced `--format activity-tracker` reads
 * archive rows and LogDNA lines too) and share one normaliser.
 */

function looksLikeEvent(r: Record<string, unknown>): boolean {
  // A request log line that happens to carry an `action` field is still a request log line.
  if (isPlainObject(r.req)) return false;
  if (typeof r.action === 'string' && (r.eventTime !== undefined || isPlainObject(r.initiator))) return true;
  const p = r.payload;
  return isPlainObject(p) && typeof p.action === 'string';
}

/** NDJSON exports, Event Routing files, legacy `payload` events, JSON array elements, re-ingested exports. */
export const activityTracker: JsonInputFormat = {
  name: 'activity-tracker',
  detect: looksLikeEvent,
  unwrap: unwrapActivityTrackerRecord,
  toEvent: (record, ctx) => normaliseActivityTrackerEvent(record, ctx, 'activity-tracker'),
};

/** Hourly `.json.gz` archive rows and search hits: `{"_source": {…, "o_initiator": {…}}}`. */
export const activityTrackerArchive: JsonInputFormat = {
  name: 'at-archive',
  detect: (r) => isPlainObject(r._source),
  unwrap: unwrapActivityTrackerRecord,
  toEvent: (record, ctx) => normaliseActivityTrackerEvent(record, ctx, 'at-archive'),
};

/** LogDNA / Mezmo export lines: `{"_line": "<event JSON>", "_ts": …, "_app": …, "_host": …}`. */
export const logdnaLine: JsonInputFormat = {
  name: 'logdna',
  detect: (r) => typeof r._line === 'string',
  unwrap: unwrapActivityTrackerRecord,
  toEvent: (record, ctx) => normaliseActivityTrackerEvent(record, ctx, 'logdna'),
};
