import type { ActivityTrackerEvent } from '../model/event.js';
import type { RejectCode } from '../model/records.js';
import type { LineIds } from '../transforms/build/ids.js';
import type { CompiledPipeline } from '../transforms/classify/compile-pipeline.js';

/**
 * How an event built from a classified request (transforms/build/event.ts, keys of
 * REQUEST_EVENT_LAYOUT) was made. `from-record`: every value it copied came from the record the chain
 * redacted, so the redaction pass after the build looks only at what the build composed;
 * `with-defaults`: a pipeline's defaults filled some of them in after that, and the whole event is walked.
 */
export type BuiltRequest = 'from-record' | 'with-defaults';

/** What one input record becomes. Formats never throw on bad records: they return a reject. */
export type FormatResult =
  | { kind: 'event'; event: ActivityTrackerEvent; built?: BuiltRequest }
  | { kind: 'filtered'; reason: string }
  | { kind: 'reject'; code: RejectCode; reason: string };

export type Rejection = Extract<FormatResult, { kind: 'reject' }>;

export interface FormatContext {
  pipelines: CompiledPipeline[];
  /** True when the user named the pipeline(s) with --pipeline: hosts need not match. */
  forcedPipeline: boolean;
  source: string;
  line: number;
  ids: LineIds;
  keyId: string | undefined;
}

/** An envelope removed (or a reason why it could not be). */
export type Unwrapped = { ok: true; record: Record<string, unknown> } | { ok: false; code: RejectCode; reason: string };

/** What every input format has: a name (`--format`, the summary) and how a record becomes an event. */
interface InputFormatBase {
  name: string;
  toEvent(record: Record<string, unknown>, ctx: FormatContext): FormatResult;
}

/**
 * An input format over parsed JSON records. Adding a format is one file and one line
 * in formats/registry.ts. `detect` must be cheap: it runs on every record.
 */
export interface JsonInputFormat extends InputFormatBase {
  detect(record: Record<string, unknown>): boolean;
  /**
   * Part of parsing, so it runs BEFORE redaction: removes envelopes (archive `_source` rows,
   * LogDNA `_line` text, legacy `payload` wrappers) so that redaction sees the fields under their
   * own names. It moves structure only; nothing it reads may reach an output or a reason text.
   */
  unwrap?(record: Record<string, unknown>): Unwrapped;
}

/**
 * An input format over lines that are not JSON (access logs): chosen by parsing, never by
 * detection on a record. `parseText` also runs before redaction; `toEvent` then receives the
 * redacted record.
 */
export interface TextInputFormat extends InputFormatBase {
  /** One line to a record; undefined when the line is not in this format. */
  parseText(line: string): Record<string, unknown> | undefined;
  /** A text line carries no envelope: the record `parseText` gives is already the request. */
  unwrap?: undefined;
}

export type InputFormat = JsonInputFormat | TextInputFormat;

export function isTextFormat(format: InputFormat): format is TextInputFormat {
  return 'parseText' in format;
}
