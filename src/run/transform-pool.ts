import type { TransformedBatch } from '../model/records.js';
import { lineBatchOf, type InputChunk } from '../sources/file.js';
import type { TransformBatch } from './line-chain.js';
import { startWorkerPool, type WorkerInit } from './worker-pool.js';

/** Where the engine's transform runs: on the calling thread, or on worker threads. */
export interface TransformPool {
  /** `alone`: on a thread with nothing else in flight, so a crash there is this batch's own (worker-pool.ts). */
  transform(input: InputChunk, alone?: boolean): Promise<TransformedBatch>;
  /** Worker threads started to replace one that died. */
  readonly restarts: number;
  /** Batches it works on at once; the engine reads no further ahead than this. */
  readonly capacity: number;
  close(): Promise<void>;
}

export interface PoolOptions {
  workers: number;
  init: WorkerInit;
  makeLocal: () => TransformBatch;
  maxLineBytes?: number;
  /** The worker's script; tests pass one that crashes on purpose. */
  workerScript?: URL;
}

export function createTransformPool(opts: PoolOptions): TransformPool {
  if (opts.workers > 0) {
    const pool = startWorkerPool(opts.workers, opts.init, opts.workerScript);
    return {
      transform: (input, alone) => pool.transform(input, alone),
      get restarts() {
        return pool.restarts;
      },
      capacity: pool.capacity,
      close: () => pool.terminate(),
    };
  }
  const transform = opts.makeLocal();
  return {
    // Synchronous on this thread; a throw becomes a rejected promise like a worker's failure.
    transform: async (input) => transform(lineBatchOf(input, opts.maxLineBytes)),
    restarts: 0,
    capacity: 1,
    close: async () => undefined,
  };
}
