import type { StoredEvent } from './fields.js';

export type { StoredEvent };

/**
 * What moves between stages. A line is read once, becomes at most one stored event,
 * or one reject, or one filtered count: that is the accounting invariant.
 */

/** Why a line went to the dead-letter file. Closed set; each is documented in docs/errors.md. */
export const REJECT_CODES = {
  line_too_long: 'The line is longer than --max-line-bytes; it was not parsed.',
  malformed_json: 'The line is not valid JSON (truncated, binary garbage, ...).',
  not_an_object: 'The line is valid JSON but not an object.',
  no_pipeline: 'No pipeline claims the record (host matches no pipeline and none was forced).',
  unclassified: 'The pipeline has no route, catch-all or ignore rule for the method and path.',
  missing_field: 'A field the pipeline needs (method, URL, status, time) is missing or of the wrong type.',
  invalid_event: 'The built or normalised event failed the Activity Tracker JSON Schema.',
  nested_too_deep: 'The record nests objects or arrays deeper than 256 levels; no log line has reason to, and walking it could exhaust the stack.',
  unsupported_format: 'The record looks like none of the known input formats.',
  invalid_cadf: 'The event is not a valid CADF event under the rules pycadf applies (validate --profile cadf).',
  sink_rejected: 'The sink refused the event (for example a mapping error in Elasticsearch), or kept failing after the retry policy.',
  internal_error: 'The transform failed on the batch holding the line twice (a worker crashed or threw); the line was not processed.',
  source_truncated: 'The input ends in the middle of its compression stream (a cut .gz); the lines before the damage were processed.',
  source_unreadable: 'Reading the input failed part way (an I/O error); the lines before the failure were processed.',
  source_decompression_limit:
    'A .gz input inflated past its size or ratio limit (a gzip bomb); the lines before the limit were processed, the rest was not read.',
} as const;

export type RejectCode = keyof typeof REJECT_CODES;

/** One entry of the dead-letter file. `text` is the redacted line; `lineFingerprint` is keyed, never a plain hash. */
export interface Rejected {
  code: RejectCode;
  reason: string;
  source: string;
  line: number;
  lineFingerprint: string;
  text?: string;
  details?: unknown;
  /** The event a sink refused (`sink_rejected`): its id, and its JSON as `text`. */
  eventId?: string;
}

/** Tallies one batch (and, summed, one run) contributes to the summary. */
export interface BatchCounts {
  linesRead: number;
  filtered: number;
  /** filtered lines by reason (ignore rule, blank line) */
  filteredBy: Record<string, number>;
  redactions: Record<string, number>;
  byFormat: Record<string, number>;
}

export interface TransformedBatch {
  source: string;
  events: StoredEvent[];
  rejects: Rejected[];
  counts: BatchCounts;
}
