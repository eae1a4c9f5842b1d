import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { PipelineConfig } from '../config/pipeline-schema.js';
import { AuditlineError } from '../errors.js';
import type { Rejected, BatchCounts, TransformedBatch } from '../model/records.js';
import type { InputChunk } from '../sources/file.js';
import { unpackEvents, type PackedEvents } from './event-codec.js';

/**
 * Everything a worker needs to build the same transform as the main thread: data, no functions. What
 * the main thread already loaded and checked travels as it is, so a worker does not parse the pipeline
 * files or compile the event schema again (~0.45 s of CPU per worker start, with the modules that
 * would load for it).
 */
export interface WorkerInit {
  /** The pipelines' configurations as loaded on the main thread, in its order. */
  pipelines: { file: string; config: PipelineConfig }[];
  /** The event validator as ajv's standalone code (transforms/validate/validate.ts `eventValidatorSource`). */
  eventValidator: string;
  forcedPipeline: boolean;
  format: string | undefined;
  extraFields: string[];
  /** The HMAC key travels to the worker in memory only (workerData), never through a file or the environment. */
  keyMaterial: Uint8Array;
  maxLineBytes: number | undefined;
}

/** A transformed batch as it crosses back: events packed (event-codec.ts), the rest cloned. */
export interface WorkerResult {
  source: string;
  packed: PackedEvents;
  rejects: Rejected[];
  counts: BatchCounts;
}

/** Transform threads that answer one message per batch; a thread that dies is replaced. */
export interface WorkerPool {
  /**
   * `alone`: run on a thread with no other batch, so that if the thread dies this batch is the
   * cause; the engine retries a batch that way, and other batches lost with the thread are not
   * blamed for it.
   */
  transform(input: InputChunk, alone?: boolean): Promise<TransformedBatch>;
  /** Threads started to replace one that died. */
  readonly restarts: number;
  /** Batches the threads hold at once. */
  readonly capacity: number;
  terminate(): Promise<void>;
}

/**
 * The worker runs compiled JavaScript. Under the test runner this module is loaded
 * from TypeScript sources, so the compiled copy in dist/ (built by `npm test`'s pretest) is used.
 */
export function defaultWorkerScript(): URL {
  const sibling = new URL('./transform-worker.js', import.meta.url);
  if (existsSync(fileURLToPath(sibling))) return sibling;
  const built = new URL('../../dist/run/transform-worker.js', import.meta.url);
  if (existsSync(fileURLToPath(built))) return built;
  throw new AuditlineError('AL_INTERNAL', 'transform worker script not found: run `npm run build` first');
}

/**
 * Batches a thread holds at once: one running, one waiting, so it never idles between messages.
 * The rest wait on the main thread as the bytes they are, not as copies in a thread's queue.
 */
const BATCHES_PER_THREAD = 2;

interface Waiting {
  resolve: (r: TransformedBatch) => void;
  reject: (e: unknown) => void;
}

interface Slot {
  worker: Worker;
  waiting: Map<number, Waiting>;
  /** Runs a batch alone: takes no other until it is done. */
  alone: boolean;
}

interface Queued extends Waiting {
  input: InputChunk;
  alone: boolean;
}

/**
 * Batches go to the thread with the fewest batches in flight. A thread that exits or fails fails
 * the batches it held (the engine retries them once elsewhere) and a new thread takes its place,
 * so no batch ever waits on a dead thread.
 */
export function startWorkerPool(count: number, init: WorkerInit, script: URL = defaultWorkerScript()): WorkerPool {
  let seq = 0;
  let restarts = 0;
  let closing = false;

  const start = (): Slot => {
    // No `resourceLimits`: the CLI's V8 heap flags (cli/node-flags.ts) override a worker's own, so a worker has
    // the main thread's limits (test/cli/node-flags.test.ts). Forced to 40 MB old and 16 MB young generation,
    // the CLI took ~35% more CPU for no less peak RSS (docs/decisions/2026-12-04-worker-count.md).
    const worker = new Worker(script, { workerData: init });
    const slot: Slot = { worker, waiting: new Map(), alone: false };
    const died = (e: unknown) => {
      const index = slots.indexOf(slot);
      if (index === -1) return; // already replaced (an error is followed by an exit)
      const waiting = [...slot.waiting.values()];
      slot.waiting.clear();
      if (!closing) {
        slots[index] = start();
        restarts++;
      } else slots.splice(index, 1);
      for (const w of waiting) w.reject(e);
      dispatch();
    };
    worker.on('message', (msg: { seq: number; result?: WorkerResult; error?: string }) => {
      const w = slot.waiting.get(msg.seq);
      if (!w) return;
      slot.waiting.delete(msg.seq);
      if (slot.waiting.size === 0) slot.alone = false;
      if (msg.result) {
        const { source, packed, rejects, counts } = msg.result;
        w.resolve({ source, events: unpackEvents(packed), rejects, counts });
      } else w.reject(new AuditlineError('AL_INTERNAL', `transform failed: ${msg.error}`));
      dispatch();
    });
    worker.on('error', (e) => died(new AuditlineError('AL_INTERNAL', `transform worker failed: ${e.message}`)));
    worker.on('exit', (code) => died(new AuditlineError('AL_INTERNAL', `transform worker exited with code ${code}`)));
    return slot;
  };

  const slots: Slot[] = Array.from({ length: count }, start);
  const queue: Queued[] = [];

  /** The least busy thread that may take the batch now, if any. */
  const slotFor = (alone: boolean): Slot | undefined => {
    let best: Slot | undefined;
    for (const s of slots) {
      if (s.alone || (alone && s.waiting.size > 0) || s.waiting.size >= BATCHES_PER_THREAD) continue;
      if (!best || s.waiting.size < best.waiting.size) best = s;
    }
    return best;
  };

  const send = (slot: Slot, q: Queued) => {
    const id = seq++;
    slot.waiting.set(id, q);
    if (q.alone) slot.alone = true;
    // Not transferred: the engine keeps the bytes to retry the batch if this thread dies. A byte
    // chunk's bytes are shared memory (sources/chunks.ts) and cross without a copy; lines are cloned.
    slot.worker.postMessage({ seq: id, input: q.input });
  };

  function dispatch(): void {
    while (queue.length > 0) {
      const slot = slotFor(queue[0]!.alone);
      if (!slot) return;
      send(slot, queue.shift()!);
    }
  }

  return {
    transform(input, alone = false) {
      return new Promise<TransformedBatch>((resolve, reject) => {
        queue.push({ input, alone, resolve, reject });
        dispatch();
      });
    },
    get restarts() {
      return restarts;
    },
    capacity: count * BATCHES_PER_THREAD,
    async terminate() {
      closing = true;
      await Promise.all(slots.map((s) => s.worker.terminate()));
    },
  };
}
