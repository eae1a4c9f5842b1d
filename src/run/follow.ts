import { setTimeout as sleep } from 'node:timers/promises';
import { loadHmacKey } from '../secrets/hmac-key.js';
import { loadFollowState } from '../sources/follow-state.js';
import { Follower, type FileRead } from '../sources/follow.js';
import { openEngine, type Engine } from './engine.js';
import { autoWorkers, type IngestOptions } from './ingest.js';
import { localOutputsOf, openChosenDeadLetter, openChosenSink } from './sink-choice.js';
import { prepareTransform } from './setup.js';
import { addSource, emptySummary, type RunSummary } from './summary.js';
import { createTransformPool } from './transform-pool.js';

export interface FollowOptions extends Omit<IngestOptions, 'stdin' | 'batchLines' | 'onProgress'> {
  /** Offsets of the followed files (default `<dataDir>/follow-state.json`) */
  statePath?: string;
  /** How often followed files are looked at for new lines. Default 1,000 ms, as `tail -F`. */
  pollMs?: number;
  /** How often folders and globs are listed again (default 5,000 ms) */
  rescanMs?: number;
  /** How long a rotated-away or deleted file must stay unchanged before it is let go (default 10,000 ms) */
  releaseAfterMs?: number;
  /** Files rotated, truncated, copied or let go, for the operator's log */
  onNotice?: (message: string) => void;
  /** After each cycle whose lines were committed and whose offsets were saved */
  onCommit?: (summary: RunSummary) => void;
}

export const DEFAULT_POLL_MS = 1000;

/**
 * A follower's lines wait for their write at most this long. Each cycle waits for its lines to be
 * durable before the next one starts, so the wait is added to every cycle; a write per cycle per
 * poll is small enough for the store.
 */
const FOLLOW_MAX_WAIT_MS = 200;

export function defaultStatePath(dataDir: string): string {
  return `${dataDir}/follow-state.json`;
}

/**
 * Follows files until `signal` aborts: each poll, every file with new complete lines is read as
 * one engine source, and its offset is saved only once the engine has acknowledged every line
 * before it, so a restart (or a crash) resumes without losing or repeating a line. On abort the
 * lines already read are finished, the offsets saved, and the summary of the whole run returned.
 */
export async function runFollow(opts: FollowOptions, signal: AbortSignal): Promise<RunSummary> {
  const started = performance.now();
  const key = loadHmacKey({ dataDir: opts.dataDir, keyFile: opts.keyFile, env: opts.env ?? process.env });
  const setup = prepareTransform({ pipelines: opts.pipelines, format: opts.format, key, maxLineBytes: opts.maxLineBytes });
  const statePath = opts.statePath ?? defaultStatePath(opts.dataDir);
  const { storeName, dlqPath } = localOutputsOf(opts);
  const follower = new Follower({
    paths: opts.paths,
    statePath,
    state: await loadFollowState(statePath),
    exclude: [opts.dataDir, statePath, storeName, dlqPath, ...(opts.keyFile ? [opts.keyFile] : [])],
    maxLineBytes: opts.maxLineBytes,
    chunkBytes: opts.chunkBytes,
    rescanMs: opts.rescanMs,
    releaseAfterMs: opts.releaseAfterMs,
    onNotice: opts.onNotice,
  });
  const summary = emptySummary(storeName, dlqPath);
  let engine: Engine | undefined;
  try {
    let reads = await follower.scan();
    // The first cycle may be a large backlog; after that a follower reads what was just written.
    const backlog = reads.reduce((n, r) => n + r.pendingBytes, 0);
    const sink = await openChosenSink(opts);
    summary.store = sink.name;
    engine = openEngine({
      pool: createTransformPool({
        workers: opts.workers ?? autoWorkers(backlog),
        init: setup.workerInit,
        makeLocal: setup.makeTransform,
        maxLineBytes: opts.maxLineBytes,
      }),
      sink,
      deadLetter: openChosenDeadLetter(opts),
      redactor: setup.makeRedactor(),
      maxLineBytes: opts.maxLineBytes,
      writes: { maxWaitMs: FOLLOW_MAX_WAIT_MS },
    });
    for (;;) {
      const failure = await cycle(engine, reads, summary, signal);
      await follower.save();
      if (failure) throw failure.reason;
      if (reads.length > 0) opts.onCommit?.(summary);
      if (signal.aborted) break;
      // A backlog is read cycle after cycle; otherwise new lines are gathered for one poll.
      if (!reads.some((r) => r.more)) await sleep(opts.pollMs ?? DEFAULT_POLL_MS, undefined, { signal }).catch(() => undefined);
      if (signal.aborted) break;
      reads = await follower.scan();
    }
  } finally {
    try {
      await engine?.close();
    } finally {
      await follower.close();
    }
  }
  summary.durationMs = performance.now() - started;
  summary.linesPerSecond = summary.linesRead / (summary.durationMs / 1000);
  return summary;
}

/**
 * Reads every planned file concurrently (the engine bounds memory across them) and commits each
 * file whose lines are all durable. A file the store failed is not committed: its lines are read
 * again by the next run, and the failure ends this one once the others' offsets are saved.
 */
async function cycle(engine: Engine, reads: FileRead[], summary: RunSummary, signal: AbortSignal): Promise<PromiseRejectedResult | undefined> {
  const results = await Promise.allSettled(
    reads.map(async (read) => {
      const input = engine.source(read.name);
      for await (const chunk of read.chunks(() => signal.aborted)) await input.push(chunk);
      engine.flush();
      const tally = await input.end();
      await read.commit();
      addSource(summary, read.name, tally);
    }),
  );
  return results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
}
