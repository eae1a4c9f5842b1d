import { availableParallelism } from 'node:os';
import type { Readable } from 'node:stream';
import PQueue from 'p-queue';
import { AuditlineError } from '../errors.js';
import { loadHmacKey } from '../secrets/hmac-key.js';
import { openDeadLetter } from '../sinks/dead-letter.js';
import { DEFAULT_TUNING, openDuckDbSink } from '../sinks/duckdb/sink.js';
import { openNdjsonSink } from '../sinks/ndjson.js';
import type { TransformedBatch } from '../model/records.js';
import type { EventSink } from '../sinks/sink.js';
import { expandInputs, readInputChunks } from '../sources/file.js';
import { isJsonDocumentName } from '../sources/json-array.js';
import { accountingHolds, addBatchCounts, addTo, emptySummary, type RunSummary } from './summary.js';
import { prepareTransform } from './setup.js';
import { SinkBatch, type SinkBatchPolicy } from './sink-batch.js';
import { createTransformPool, type TransformPool } from './transform-pool.js';

export interface IngestOptions {
  paths: string[];
  /** Bundled pipeline names or YAML paths; default every bundled pipeline, selected by host. */
  pipelines?: string[];
  /** Skip format detection. */
  format?: string;
  /** DuckDB file (default `<dataDir>/auditline.duckdb`); ignored when `out` is set. */
  store?: string;
  /** NDJSON output folder instead of the store. */
  out?: string;
  /** Dead-letter file (default `<dataDir>/dead-letter.ndjson`). */
  dlq?: string;
  dataDir: string;
  keyFile?: string;
  maxLineBytes?: number;
  /** Elements per batch of a JSON document (arrays, search responses) */
  batchLines?: number;
  /** Bytes per chunk of a line file (sources/chunks.ts); small values exercise ordering in tests */
  chunkBytes?: number;
  /** Transform worker threads; 0 runs the transform on the main thread; default autoWorkers(). */
  workers?: number;
  stdin?: Readable;
  env?: NodeJS.ProcessEnv;
  onProgress?: (p: { bytesRead: number; bytesTotal: number | undefined; linesRead: number }) => void;
}

/** Sink writes waiting behind the one in progress: one overlaps transform and commit; more only holds memory. */
const MAX_PENDING_WRITES = 1;
/**
 * When a sink write is cut (run/sink-batch.ts): once each location has a DuckDB row group (2,048 rows),
 * at 16,384 events at most. 16,384 against a fixed 8,192 over the bench corpus's five-plus locations, where
 * 8,192 left each table under a row group: sink alone on 400k events, 20.8k → 27.6k rows/s and 389 → 335 MiB
 * peak RSS (`node dist/bench/duckdb-load.js --batch N`); whole run on 1M lines without workers, 150 → 127 s
 * of CPU and 507 → 448 MB. 32,768 was faster still (31.9k) but 420 MiB.
 */
const SINK_BATCH_POLICY: SinkBatchPolicy = { rowsPerLocation: DEFAULT_TUNING.rowGroupRows, maxEvents: 16_384 };

/** Below this much input, starting workers (~1-2 s each to compile pipelines) costs more than it saves. */
const WORKERS_MIN_INPUT_BYTES = 32 * 1024 * 1024;

/**
 * One transform worker per core for large or unknown-size (stdin) input; the main thread reads and loads.
 * None for JSON documents: stream-json on the main thread is their bottleneck, and workers cost memory for
 * little gain (256 MB array into DuckDB: 42 s / 300 MB peak RSS without workers, 36 s / 455 MB with two).
 */
export function autoWorkers(bytesTotal: number | undefined, cores = availableParallelism(), onlyJsonDocuments = false): number {
  if (cores < 2 || onlyJsonDocuments) return 0;
  return bytesTotal === undefined || bytesTotal >= WORKERS_MIN_INPUT_BYTES ? cores : 0;
}

export function defaultStorePath(dataDir: string): string {
  return `${dataDir}/auditline.duckdb`;
}

/**
 * The batch job: sources → line batches → transform (main thread or workers) →
 * dead-letter file and sink. Reading waits on the sink (backpressure); nothing is
 * dropped; the accounting invariant is checked per source before returning.
 */
export async function runIngest(opts: IngestOptions): Promise<RunSummary> {
  const started = performance.now();
  const key = loadHmacKey({ dataDir: opts.dataDir, keyFile: opts.keyFile, env: opts.env ?? process.env });
  const setup = prepareTransform({ pipelines: opts.pipelines, format: opts.format, key, maxLineBytes: opts.maxLineBytes });
  const sources = await expandInputs(opts.paths, opts.stdin);
  const bytesTotal = sources.every((s) => s.bytes !== undefined) ? sources.reduce((n, s) => n + (s.bytes ?? 0), 0) : undefined;

  const storeName = opts.out ?? opts.store ?? defaultStorePath(opts.dataDir);
  const dlqPath = opts.dlq ?? `${opts.dataDir}/dead-letter.ndjson`;
  const sink: EventSink = opts.out ? openNdjsonSink(opts.out) : await openDuckDbSink(storeName);
  const deadLetter = openDeadLetter(dlqPath);
  const pool: TransformPool = createTransformPool({ workers: opts.workers ?? autoWorkers(bytesTotal, undefined, sources.every((s) => isJsonDocumentName(s.name))), init: setup.workerInit, makeLocal: setup.makeTransform, maxLineBytes: opts.maxLineBytes });

  const summary = emptySummary(sink.name, dlqPath);
  const writes = new PQueue({ concurrency: 1 });
  let writeFailure: unknown;
  let bytesRead = 0;
  // Transform batches are small (latency, worker messages); sink writes are large (one commit each).
  const pending = new SinkBatch(SINK_BATCH_POLICY);

  const flush = async () => {
    if (pending.size === 0) return;
    const { events, bySource: submitted } = pending.take();
    await writes.onSizeLessThan(MAX_PENDING_WRITES);
    if (writeFailure) throw writeFailure;
    writes
      .add(async () => {
        const w = await sink.write(events);
        for (const [source, n] of submitted) {
          const counts = summary.sources[source]!;
          const indexed = w.bySource[source] ?? 0;
          counts.eventsIndexed += indexed;
          counts.duplicatesSkipped += n - indexed;
        }
        summary.eventsIndexed += w.indexed;
        summary.duplicatesSkipped += w.duplicates;
        addTo(summary.byLocation, w.byLocation);
        addTo(summary.byAction, w.byAction);
      })
      .catch((e: unknown) => {
        writeFailure ??= e;
      });
  };

  const account = async (out: TransformedBatch) => {
    const counts = addBatchCounts(summary, out.source, out.counts);
    for (const r of out.rejects) summary.deadLetteredBy[r.code] = (summary.deadLetteredBy[r.code] ?? 0) + 1;
    counts.deadLettered += out.rejects.length;
    summary.deadLettered += out.rejects.length;
    deadLetter.write(out.rejects);
    pending.add(out.source, out.events);
    if (pending.full()) await flush();
  };

  try {
    for (const source of sources) {
      const results = pool.ordered();
      const onBytes = (n: number) => {
        bytesRead += n;
      };
      for await (const batch of readInputChunks(source, { maxLineBytes: opts.maxLineBytes, batchLines: opts.batchLines, chunkBytes: opts.chunkBytes, onBytes })) {
        await results.submit(batch);
        for (const out of results.takeReady()) await account(out);
        opts.onProgress?.({ bytesRead, bytesTotal, linesRead: summary.linesRead });
      }
      for (const out of await results.takeAll()) await account(out);
    }
    await flush();
    await writes.onIdle();
    if (writeFailure) throw writeFailure;
  } finally {
    await pool.close();
    await writes.onIdle();
    await sink.close();
    deadLetter.close();
  }

  for (const [name, counts] of Object.entries(summary.sources)) {
    if (!accountingHolds(counts)) {
      throw new AuditlineError('AL_INTERNAL', `accounting invariant broken for ${name}: ${JSON.stringify(counts)}`);
    }
  }
  summary.durationMs = performance.now() - started;
  summary.linesPerSecond = summary.linesRead / (summary.durationMs / 1000);
  return summary;
}
