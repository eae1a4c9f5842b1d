import { availableParallelism } from 'node:os';
import type { Readable } from 'node:stream';
import { loadHmacKey } from '../secrets/hmac-key.js';
import { DEFAULT_TUNING } from '../sinks/duckdb/sink.js';
import { expandInputs, isDamage, readInputChunks } from '../sources/file.js';
import { openEngine, type SourceInput } from './engine.js';
import { localOutputsOf, openChosenDeadLetter, openChosenSink, type SinkChoice } from './sink-choice.js';
import { addSource, emptySummary, type RunSummary } from './summary.js';
import { prepareTransform } from './setup.js';
import { createTransformPool } from './transform-pool.js';

export interface IngestOptions extends SinkChoice {
  paths: string[];
  /** Bundled pipeline names or YAML paths; default every bundled pipeline, selected by host. */
  pipelines?: string[];
  /** Skip format detection. */
  format?: string;
  keyFile?: string;
  maxLineBytes?: number;
  /** Elements per batch of a JSON document (arrays, search responses) */
  batchLines?: number;
  /** Bytes per chunk of a line file (sources/chunks.ts); small values exercise ordering in tests */
  chunkBytes?: number;
  /** Transform worker threads; 0 runs the transform on the main thread; default autoWorkers(). */
  workers?: number;
  stdin?: Readable;
  onProgress?: (p: { bytesRead: number; bytesTotal: number | undefined; linesRead: number }) => void;
}

/** Below this much input, starting workers (~1-2 s each to compile pipelines) costs more than it saves. */
const WORKERS_MIN_INPUT_BYTES = 32 * 1024 * 1024;

/**
 * One transform worker per core for large or unknown-size (stdin) input; the main thread reads and loads.
 * JSON arrays too, now that the byte scanner (sources/json-scan.ts) cuts their elements at a few µs each:
 * a 2 GB array into DuckDB took 93 µs of CPU per element on the main thread alone, 99 µs with two
 * workers, and finished 1.7 times sooner with them (843 → 498 s on a loaded 2-core VM), for 300 → 470
 * MiB peak RSS then; 355 MiB with two workers since the store drops DuckDB's row-group descriptions every
 * 524k rows (sinks/duckdb/tuning.ts).
 */
export function autoWorkers(bytesTotal: number | undefined, cores = availableParallelism()): number {
  if (cores < 2) return 0;
  return bytesTotal === undefined || bytesTotal >= WORKERS_MIN_INPUT_BYTES ? cores : 0;
}

/**
 * A batch run has nobody waiting on one batch's acknowledgement, so its writes are cut by size
 * (a DuckDB row group per location, or 16,384 events); the wait only bounds how long the last
 * events of a slow input (a trickle on stdin) sit before they are written. A shorter wait cuts
 * writes below a row group per table whenever the transform is slower than ~16k lines/s per
 * second waited, and those go through DuckDB's WAL and checkpoints instead of straight into the file.
 */
const BATCH_MAX_WAIT_MS = 5000;

/**
 * Input in flight for a batch run: 16 MiB, not the engine's 32. Nearly all of it is the write being
 * gathered (staged in the sink) and the one committing; with ~1 KB lines over five locations a write is
 * ~14k events (~12.7 MB of input). The figures below were taken with each write's events held on the
 * main heap (~1.9 KB each), as whole writes.
 * 200k lines into DuckDB with two workers, three interleaved rounds against 24 MiB: CPU 0.88, 0.95,
 * 1.11, peak RSS 339-349 against 350-364 MiB; the CLI over 0.5 GB of lines 369 against 392 MiB (main
 * heap at most 80 against 105 MB). A write that needs more than the bound (every location short of a
 * row group) is cut when the source stalls (engine.ts cutIfStalled).
 */
const INGEST_MAX_IN_FLIGHT_BYTES = 16 * 1024 * 1024;

/**
 * The batch job on the engine: each source's chunks are pushed in order (the engine's
 * in-flight bound slows reading to the sink's pace), a damaged source costs only its damaged
 * part, and the summary sums what the engine acknowledged per source, each checked by the
 * accounting invariant.
 */
export async function runIngest(opts: IngestOptions): Promise<RunSummary> {
  const started = performance.now();
  const key = loadHmacKey({ dataDir: opts.dataDir, keyFile: opts.keyFile, env: opts.env ?? process.env });
  const setup = prepareTransform({ pipelines: opts.pipelines, format: opts.format, key, maxLineBytes: opts.maxLineBytes });
  const sources = await expandInputs(opts.paths, opts.stdin);
  const bytesTotal = sources.every((s) => s.bytes !== undefined) ? sources.reduce((n, s) => n + (s.bytes ?? 0), 0) : undefined;

  const { dlqPath } = localOutputsOf(opts);
  const sink = await openChosenSink(opts);
  const workers = opts.workers ?? autoWorkers(bytesTotal);
  const engine = openEngine({
    pool: createTransformPool({ workers, init: setup.workerInit, makeLocal: setup.makeTransform, maxLineBytes: opts.maxLineBytes }),
    sink,
    deadLetter: openChosenDeadLetter(opts),
    redactor: setup.makeRedactor(),
    maxLineBytes: opts.maxLineBytes,
    maxInFlightBytes: INGEST_MAX_IN_FLIGHT_BYTES,
    writes: { rowsPerLocation: DEFAULT_TUNING.rowGroupRows, maxWaitMs: BATCH_MAX_WAIT_MS },
  });

  const summary = emptySummary(sink.name, dlqPath);
  let bytesRead = 0;
  const finished: Promise<void>[] = [];
  let failure: unknown;
  try {
    let previous: SourceInput | undefined;
    for (const [index, source] of sources.entries()) {
      // In input order, so that a line in two files is stored with the first file's provenance.
      const input = engine.source(source.name, { after: previous });
      previous = input;
      const onBytes = (n: number) => {
        bytesRead += n;
      };
      for await (const item of readInputChunks(source, {
        maxLineBytes: opts.maxLineBytes,
        batchLines: opts.batchLines,
        chunkBytes: opts.chunkBytes,
        onBytes,
      })) {
        if (isDamage(item)) {
          input.damage(item);
          summary.damaged.push({ source: source.name, code: item.code, line: item.line, reason: item.reason });
        } else await input.push(item);
        opts.onProgress?.({ bytesRead, bytesTotal, linesRead: engine.stats().acknowledged.linesRead });
      }
      finished.push(
        input.end({ flush: index === sources.length - 1 }).then(
          (tally) => addSource(summary, source.name, tally),
          (e: unknown) => {
            failure ??= e;
          },
        ),
      );
    }
    await Promise.all(finished);
    if (failure) throw failure;
  } finally {
    await engine.close();
  }
  summary.durationMs = performance.now() - started;
  summary.linesPerSecond = summary.linesRead / (summary.durationMs / 1000);
  return summary;
}
