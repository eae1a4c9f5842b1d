import type { CompiledPipeline } from '../config/compile-pipeline.js';
import type { ActivityTrackerEvent } from '../model/event.js';
import type { RejectCode } from '../model/records.js';
import type { LineIds } from '../transforms/build/ids.js';

/** What one input record becomes. Formats never throw on bad records: they return a reject. */
export type FormatResult =
  | { kind: 'event'; event: ActivityTrackerEvent }
  | { kind: 'filtered'; reason: string }
  | { kind: 'reject'; code: RejectCode; reason: string };

export interface FormatContext {
  pipelines: CompiledPipeline[];
  /** True when the user named the pipeline(s) with --pipeline: hosts need not match. */
  forcedPipeline: boolean;
  source: string;
  line: number;
  ids: LineIds;
  keyId: string | undefined;
}

/**
 * An input format over parsed JSON records. Adding a format is one file and one line
 * in formats/registry.ts. `detect` must be cheap: it runs on every record of a file
 * until the file's format is known.
 */
export interface JsonInputFormat {
  name: string;
  detect(record: Record<string, unknown>): boolean;
  toEvent(record: Record<string, unknown>, ctx: FormatContext): FormatResult;
}
