import { formatByName } from '../formats/registry.js';
import { hmacKeyFromBytes } from '../secrets/hmac-key.js';
import { lineBatchOf, type InputChunk } from '../sources/file.js';
import { loadPipelines } from '../transforms/classify/compile-pipeline.js';
import { createRedactor } from '../transforms/redact/index.js';
import { createEventValidator } from '../transforms/validate/validate.js';
import { packEvents, transferablesOf } from './event-codec.js';
import { createTransformer } from './line-chain.js';
import type { WorkerInit, WorkerResult } from './worker-pool.js';

export interface WorkerRequest {
  seq: number;
  input: InputChunk;
}

export type WorkerReply = { seq: number; result: WorkerResult } | { seq: number; error: string };

/**
 * What a transform thread does with each message: compiles the same pipelines, redactor and
 * validator as the main thread once, then answers one reply per batch.
 */
export function createWorkerHandler(init: WorkerInit, reply: (msg: WorkerReply, transfer: ArrayBuffer[]) => void): (msg: WorkerRequest) => void {
  const key = hmacKeyFromBytes(init.keyMaterial);
  const transform = createTransformer({
    pipelines: loadPipelines(init.pipelines),
    forcedPipeline: init.forcedPipeline,
    format: init.format === undefined ? undefined : formatByName(init.format),
    redactor: createRedactor({ key, extraFields: init.extraFields }),
    validate: createEventValidator(),
    keyId: key.id,
  });
  return (msg) => {
    try {
      const { source, events, rejects, counts } = transform(lineBatchOf(msg.input, init.maxLineBytes));
      const result: WorkerResult = { source, packed: packEvents(events), rejects, counts };
      reply({ seq: msg.seq, result }, transferablesOf(result.packed));
    } catch (e) {
      reply({ seq: msg.seq, error: (e as Error).message }, []);
    }
  };
}
