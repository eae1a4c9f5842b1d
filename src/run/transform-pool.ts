import type { TransformedBatch } from '../model/records.js';
import { lineBatchOf, type InputChunk } from '../sources/file.js';
import type { TransformBatch } from './line-chain.js';
import { startWorkers, type WorkerInit } from './worker-pool.js';

/** Results of one source's batches, handed back in submission order whatever thread made them. */
export interface OrderedResults {
  /** Queues a batch; resolves when another may be submitted (in-flight work is bounded). */
  submit(input: InputChunk): Promise<void>;
  /** Completed results at the head of the order, without waiting. */
  takeReady(): TransformedBatch[];
  /** Waits for every submitted batch. */
  takeAll(): Promise<TransformedBatch[]>;
}

export interface TransformPool {
  ordered(): OrderedResults;
  close(): Promise<void>;
}

export interface PoolOptions {
  workers: number;
  init: WorkerInit;
  makeLocal: () => TransformBatch;
  maxLineBytes?: number;
}

export function createTransformPool(opts: PoolOptions): TransformPool {
  return opts.workers > 0 ? workerPool(opts) : localPool(opts.makeLocal(), opts.maxLineBytes);
}

/** The transform on the calling thread: synchronous, so results are ready at once. */
function localPool(transform: TransformBatch, maxLineBytes: number | undefined): TransformPool {
  return {
    ordered() {
      let ready: TransformedBatch[] = [];
      const take = () => {
        const out = ready;
        ready = [];
        return out;
      };
      return {
        async submit(input) {
          ready.push(transform(lineBatchOf(input, maxLineBytes)));
        },
        takeReady: take,
        takeAll: async () => take(),
      };
    },
    close: async () => undefined,
  };
}

/** Batches go to worker threads round-robin; at most two per worker are in flight, so memory stays bounded. */
function workerPool(opts: PoolOptions): TransformPool {
  const workers = startWorkers(opts.workers, opts.init);
  const maxInFlight = opts.workers * 2;
  let next = 0;
  return {
    ordered() {
      const pending: { promise: Promise<TransformedBatch>; result?: TransformedBatch }[] = [];
      return {
        async submit(input) {
          const worker = workers.at(next++ % workers.length)!;
          const slot: (typeof pending)[number] = { promise: worker.transform(input) };
          slot.promise.then(
            (r) => {
              slot.result = r;
            },
            () => undefined,
          );
          pending.push(slot);
          if (pending.length >= maxInFlight) await pending[0]!.promise;
        },
        takeReady() {
          const out: TransformedBatch[] = [];
          while (pending[0]?.result) out.push(pending.shift()!.result!);
          return out;
        },
        async takeAll() {
          const all = await Promise.all(pending.map((p) => p.promise));
          pending.length = 0;
          return all;
        },
      };
    },
    close: async () => {
      await Promise.all(workers.map((w) => w.terminate()));
    },
  };
}
