import { formatByName } from '../formats/registry.js';
import { hmacKeyFromBytes } from '../secrets/hmac-key.js';
// Not sources/file.ts: its readers (globs, gzip, JSON arrays) cost a worker ~90 ms of CPU to load.
import { lineBatchOf, type InputChunk } from '../sources/chunks.js';
import { compileLoadedConfig } from '../transforms/classify/compiled-pipeline.js';
import { createRedactor } from '../transforms/redact/index.js';
import { eventValidatorFromSource } from '../transforms/validate/standalone.js';
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
 * validator as the main thread once (from what the main thread loaded: no pipeline file, YAML or
 * ajv is loaded here), then answers one reply per batch.
 */
export function createWorkerHandler(init: WorkerInit, reply: (msg: WorkerReply, transfer: ArrayBuffer[]) => void): (msg: WorkerRequest) => void {
  const key = hmacKeyFromBytes(init.keyMaterial);
  const transform = createTransformer({
    pipelines: init.pipelines.map((p) => compileLoadedConfig(p.file, p.config)),
    forcedPipeline: init.forcedPipeline,
    format: init.format === undefined ? undefined : formatByName(init.format),
    redactor: createRedactor({ key, extraFields: init.extraFields }),
    validate: eventValidatorFromSource(init.eventValidator),
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
