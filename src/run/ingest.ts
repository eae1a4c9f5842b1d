import type { Readable } from 'node:stream';
import PQueue from 'p-queue';
import { AuditlineError } from '../errors.js';
import { loadHmacKey } from '../secrets/hmac-key.js';
import { openDeadLetter } from '../sinks/dead-letter.js';
import { openDuckDbSink } from '../sinks/duckdb/sink.js';
import { openNdjsonSink } from '../sinks/ndjson.js';
import type { EventSink } from '../sinks/sink.js';
import { expandInputs, readLineBatches } from '../sources/file.js';
import { accountingHolds, addBatchCounts, addTo, emptySummary, type RunSummary } from './summary.js';
import { prepareTransform } from './setup.js';
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
  batchLines?: number;
  /** Transform worker threads; 0 runs the transform on the main thread. */
  workers?: number;
  stdin?: Readable;
  env?: NodeJS.ProcessEnv;
  onProgress?: (p: { bytesRead: number; bytesTotal: number | undefined; linesRead: number }) => void;
}

/** Sink writes waiting behind the one in progress: enough to overlap transform and commit, little enough to bound memory. */
const MAX_PENDING_WRITES = 2;

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
  const setup = prepareTransform({ pipelines: opts.pipelines, format: opts.format, key });
  const sources = await expandInputs(opts.paths, opts.stdin);
  const bytesTotal = sources.every((s) => s.bytes !== undefined) ? sources.reduce((n, s) => n + (s.bytes ?? 0), 0) : undefined;

  const storeName = opts.out ?? opts.store ?? defaultStorePath(opts.dataDir);
  const dlqPath = opts.dlq ?? `${opts.dataDir}/dead-letter.ndjson`;
  const sink: EventSink = opts.out ? openNdjsonSink(opts.out) : await openDuckDbSink(storeName);
  const deadLetter = openDeadLetter(dlqPath);
  const pool: TransformPool = createTransformPool({ workers: opts.workers ?? 0, init: setup.workerInit, makeLocal: setup.makeTransform });

  const summary = emptySummary(sink.name, dlqPath);
  const writes = new PQueue({ concurrency: 1 });
  let writeFailure: unknown;
  let bytesRead = 0;

  try {
    for (const source of sources) {
      const results = pool.ordered();
      const drain = async (wait: boolean) => {
        for (const out of wait ? await results.takeAll() : results.takeReady()) {
          const counts = addBatchCounts(summary, source.name, out.counts);
          for (const r of out.rejects) summary.deadLetteredBy[r.code] = (summary.deadLetteredBy[r.code] ?? 0) + 1;
          counts.deadLettered += out.rejects.length;
          summary.deadLettered += out.rejects.length;
          deadLetter.write(out.rejects);
          await writes.onSizeLessThan(MAX_PENDING_WRITES);
          writes
            .add(async () => {
              const w = await sink.write(out.events);
              counts.eventsIndexed += w.indexed;
              counts.duplicatesSkipped += w.duplicates;
              summary.eventsIndexed += w.indexed;
              summary.duplicatesSkipped += w.duplicates;
              addTo(summary.byLocation, w.byLocation);
              addTo(summary.byAction, w.byAction);
            })
            .catch((e: unknown) => {
              writeFailure ??= e;
            });
          if (writeFailure) throw writeFailure;
        }
      };
      for await (const batch of readLineBatches(source, {
        maxLineBytes: opts.maxLineBytes,
        batchLines: opts.batchLines,
        onBytes: (n) => {
          bytesRead += n;
        },
      })) {
        await results.submit(batch);
        await drain(false);
        opts.onProgress?.({ bytesRead, bytesTotal, linesRead: summary.linesRead });
      }
      await drain(true);
    }
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
