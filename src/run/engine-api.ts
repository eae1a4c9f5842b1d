import type { RejectCode } from '../model/records.js';
import type { DeadLetterSink } from '../sinks/dead-letter.js';
import type { EventSink } from '../sinks/sink.js';
import type { InputChunk, SourceDamage } from '../sources/file.js';
import type { Redactor } from '../transforms/redact/types.js';
import type { RetryPolicy } from './retry-policy.js';
import type { Tally } from './summary.js';
import type { TransformPool } from './transform-pool.js';

/** The engine as its users see it: what they configure, push and get back (engine.ts builds it). */

/** When the engine cuts the events waiting for the sink into one write. */
export interface WritePolicy {
  /** Rows per location that make a write worth cutting (a DuckDB row group). */
  rowsPerLocation: number;
  /** Never hold more events than this. */
  maxEvents: number;
  /** Cut a write this long after its first batch arrived, however little it holds, so low traffic is acknowledged promptly. */
  maxWaitMs: number;
}

/**
 * 2,048 rows per location: a DuckDB row group, compressed straight into the file. 16,384 events at
 * most: against a fixed 8,192 over five-plus locations, the sink alone loaded 20.8k → 27.6k rows/s and
 * 389 → 335 MiB peak RSS. 200 ms: a shipper's single line is acknowledged well under a second.
 */
export const DEFAULT_WRITE_POLICY: WritePolicy = { rowsPerLocation: 2048, maxEvents: 16_384, maxWaitMs: 200 };

/**
 * 32 MiB of input in flight across all sources: two full writes of ~1 KB lines (16,384 each), so
 * one write commits while the next fills, and memory stays flat whatever the number of submitters.
 * An event holds ~3.5 KB of heap on the main thread: 64 MiB (~70k events) ran the 256 MB heap out.
 */
export const DEFAULT_MAX_IN_FLIGHT_BYTES = 32 * 1024 * 1024;

export interface EngineOptions {
  pool: TransformPool;
  sink: EventSink;
  deadLetter: DeadLetterSink;
  /** Redacts and fingerprints what the engine itself dead-letters (failed batches, sink rejections). */
  redactor: Redactor;
  maxLineBytes?: number;
  maxInFlightBytes?: number;
  writes?: Partial<WritePolicy>;
  retry?: RetryPolicy;
  /**
   * What becomes of events the sink still refuses as retriable when the policy gives up: the
   * dead-letter file (a batch run goes on), or a failed acknowledgement (a server answers 5xx so
   * the shipper sends them again).
   */
  onRetriesExhausted?: 'dead-letter' | 'fail';
  /**
   * A write that fails as a whole stops the engine (a batch run ends with the sink's error), or
   * fails only the batches in it (a server answers 503 for them and goes on, so it recovers
   * without a restart once the store does). Default: stop.
   */
  onWriteFailure?: 'stop' | 'fail-batches';
}

/** What became of one line of a source, for receivers that answer per line (an Elasticsearch `_bulk`). */
export type LineOutcome =
  /** `eventId`: the id the line's event is stored under */
  | { readonly status: 'indexed' | 'duplicate'; readonly eventId: string }
  | { readonly status: 'filtered' }
  | { readonly status: 'dead_lettered'; readonly code: RejectCode; readonly reason: string };

export interface SourceOptions {
  /** Keep every line's outcome (`SourceResult.lines`); costs an entry per line, so only receivers that answer per line ask. */
  lineOutcomes?: boolean;
  /**
   * A source of the same run whose events reach the sink first: this source's batches join writes only
   * once that source has ended and all of its batches have. A batch run passes its previous input, so a
   * line found in two files is stored with the earlier file's provenance (the later copy is the
   * duplicate) however the workers interleave.
   */
  after?: SourceInput;
}

/** A source's exact counts once every line is acknowledged, and each line's outcome when asked for. */
export interface SourceResult extends Tally {
  /** `lines[n - 1]` is the outcome of line n */
  lines?: LineOutcome[];
}

export interface EndOptions {
  /**
   * Cut the write as soon as this source's last batch joins it, instead of waiting for size or the
   * maximum wait. Default true: a request or a follower's read is answered at once. A batch run
   * passes false for all but its last input, so a folder of small files still makes full writes.
   */
  flush?: boolean;
}

/** One input feeding the engine: a file, stdin, a request body. */
export interface SourceInput {
  readonly name: string;
  /** Resolves once the batch is admitted (in-flight bytes under the bound); rejects once the engine has failed. */
  push(input: InputChunk): Promise<void>;
  /** The source broke off (a truncated .gz, an I/O error): one dead-letter entry for what was lost. */
  damage(damage: Omit<SourceDamage, 'kind'>): void;
  /**
   * No more input. Resolves when every line pushed is durably accounted for (stored, dead-lettered,
   * a duplicate or filtered), with the source's exact counts; rejects if any of it was not.
   */
  end(options?: EndOptions): Promise<SourceResult>;
}

export interface EngineStats {
  inFlightBytes: number;
  peakInFlightBytes: number;
  maxInFlightBytes: number;
  writes: number;
  /** Sink writes tried again (whole writes, or the retriable part of one) */
  writeRetries: number;
  /** Batches transformed again after a worker died or the transform threw */
  transformRetries: number;
  workerRestarts: number;
  /** Everything acknowledged so far, over all sources */
  acknowledged: Tally;
}

export interface Engine {
  source(name: string, options?: SourceOptions): SourceInput;
  /** Whether a push of this many bytes would be admitted now, without waiting (a server answers 429 otherwise). */
  admits(bytes: number): boolean;
  /** Cut the waiting events into a write now, without waiting for size or time. */
  flush(): void;
  stats(): EngineStats;
  /** Stops intake, drains everything submitted, closes the pool, the sink and the dead-letter file. */
  close(): Promise<void>;
}
