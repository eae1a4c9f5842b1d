import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { AuditlineError } from '../errors.js';
import type { Rejected, BatchCounts, TransformedBatch } from '../model/records.js';
import type { InputChunk } from '../sources/file.js';
import { unpackEvents, type PackedEvents } from './event-codec.js';

/** Everything a worker needs to build the same transform as the main thread: names and data, no functions. */
export interface WorkerInit {
  pipelines: string[];
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

export interface TransformWorker {
  transform(input: InputChunk): Promise<TransformedBatch>;
  terminate(): Promise<void>;
}

/**
 * The worker runs compiled JavaScript. Under the test runner this module is loaded
 * from TypeScript sources, so the compiled copy in dist/ (built by `npm test`'s pretest) is used.
 */
function workerScript(): URL {
  const sibling = new URL('./transform-worker.js', import.meta.url);
  if (existsSync(fileURLToPath(sibling))) return sibling;
  const built = new URL('../../dist/run/transform-worker.js', import.meta.url);
  if (existsSync(fileURLToPath(built))) return built;
  throw new AuditlineError('AL_INTERNAL', 'transform worker script not found: run `npm run build` first');
}

/** A worker holds two batches at most; a cap keeps V8 from growing its heap with uncollected garbage. */
const WORKER_HEAP_MB = 128;
/**
 * The young generation is most of a worker's memory: V8's default let two workers peak at 358-364 MB
 * on 300k lines (transform-2-workers stage), 16 MB gave 295-308 MB for 0-3% more CPU; 8 MB gave 254 MB
 * but 10% more CPU (more scavenges). The old-generation cap made no difference at 64 or 128.
 */
const WORKER_YOUNG_MB = 16;

export function startWorkers(count: number, init: WorkerInit): TransformWorker[] {
  const script = workerScript();
  return Array.from({ length: count }, () => {
    const worker = new Worker(script, { workerData: init, resourceLimits: { maxOldGenerationSizeMb: WORKER_HEAP_MB, maxYoungGenerationSizeMb: WORKER_YOUNG_MB } });
    let seq = 0;
    const waiting = new Map<number, { resolve: (r: TransformedBatch) => void; reject: (e: unknown) => void }>();
    const failAll = (e: unknown) => {
      for (const w of waiting.values()) w.reject(e);
      waiting.clear();
    };
    worker.on('message', (msg: { seq: number; result?: WorkerResult; error?: string }) => {
      const w = waiting.get(msg.seq);
      if (!w) return;
      waiting.delete(msg.seq);
      if (msg.result) {
        const { source, packed, rejects, counts } = msg.result;
        w.resolve({ source, events: unpackEvents(packed), rejects, counts });
      }
      else w.reject(new AuditlineError('AL_INTERNAL', `transform worker failed: ${msg.error}`));
    });
    worker.on('error', failAll);
    worker.on('exit', (code) => {
      if (waiting.size > 0) failAll(new AuditlineError('AL_INTERNAL', `transform worker exited with code ${code}`));
    });
    return {
      transform(input) {
        const id = seq++;
        return new Promise<TransformedBatch>((resolve, reject) => {
          waiting.set(id, { resolve, reject });
          // Byte chunks own their memory (sources/chunks.ts): moved to the worker, not copied.
          worker.postMessage({ seq: id, input }, 'bytes' in input ? [input.bytes.buffer as ArrayBuffer] : []);
        });
      },
      terminate: async () => {
        await worker.terminate();
      },
    };
  });
}
