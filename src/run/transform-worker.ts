import { parentPort, workerData } from 'node:worker_threads';
import { loadPipelines } from '../config/compile-pipeline.js';
import { formatByName } from '../formats/registry.js';
import { hmacKeyFromBytes } from '../secrets/hmac-key.js';
import type { LineBatch } from '../sources/lines.js';
import { createRedactor } from '../transforms/redact/index.js';
import { createTransformer } from '../transforms/transform.js';
import { createEventValidator } from '../transforms/validate/validate.js';
import type { WorkerInit } from './worker-pool.js';

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

parentPort!.on('message', (msg: { seq: number; batch: LineBatch }) => {
  try {
    parentPort!.postMessage({ seq: msg.seq, result: transform(msg.batch) });
  } catch (e) {
    parentPort!.postMessage({ seq: msg.seq, error: (e as Error).message });
  }
});
