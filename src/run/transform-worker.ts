import { parentPort, workerData } from 'node:worker_threads';
import { loadPipelines } from '../transforms/classify/compile-pipeline.js';
import { formatByName } from '../formats/registry.js';
import { hmacKeyFromBytes } from '../secrets/hmac-key.js';
import { lineBatchOf, type InputChunk } from '../sources/file.js';
import { createRedactor } from '../transforms/redact/index.js';
import { createTransformer } from './line-chain.js';
import { createEventValidator } from '../transforms/validate/validate.js';
import { packEvents, transferablesOf } from './event-codec.js';
import type { WorkerInit, WorkerResult } from './worker-pool.js';

/** A transform thread: compiles the same pipelines, redactor and validator once, then answers one message per batch. */
const init = workerData as WorkerInit;
const key = hmacKeyFromBytes(init.keyMaterial);
const transform = createTransformer({
  pipelines: loadPipelines(init.pipelines),
  forcedPipeline: init.forcedPipeline,
  format: init.format === undefined ? undefined : formatByName(init.format),
  redactor: createRedactor({ key, extraFields: init.extraFields }),
  validate: createEventValidator(),
  keyId: key.id,
});

parentPort!.on('message', (msg: { seq: number; input: InputChunk }) => {
  try {
    const { source, events, rejects, counts } = transform(lineBatchOf(msg.input, init.maxLineBytes));
    const result: WorkerResult = { source, packed: packEvents(events), rejects, counts };
    parentPort!.postMessage({ seq: msg.seq, result }, transferablesOf(result.packed));
  } catch (e) {
    parentPort!.postMessage({ seq: msg.seq, error: (e as Error).message });
  }
});
