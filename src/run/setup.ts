import { loadPipelines, type CompiledPipeline } from '../transforms/classify/compile-pipeline.js';
import { AuditlineError } from '../errors.js';
import { formatByName, formatNames } from '../formats/registry.js';
import type { HmacKey } from '../secrets/hmac-key.js';
import { createRedactor } from '../transforms/redact/index.js';
import type { Redactor } from '../transforms/redact/types.js';
import { createTransformer, type TransformBatch } from './line-chain.js';
import { createEventValidator, eventValidatorSource } from '../transforms/validate/validate.js';
import type { WorkerInit } from './worker-pool.js';

export interface TransformSetup {
  pipelines: CompiledPipeline[];
  /** Builds a transform on the calling thread (the main thread, or a worker from `init`). */
  makeTransform: () => TransformBatch;
  /** The redactor of the calling thread, for what the engine itself dead-letters. */
  makeRedactor: () => Redactor;
  maxLineBytes: number | undefined;
  /** The same setup as plain data, for worker threads. */
  workerInit: WorkerInit;
}

/** Everything configuration decides about the transform, validated before any input is read. */
export function prepareTransform(opts: { pipelines?: string[]; format?: string; key: HmacKey; maxLineBytes?: number }): TransformSetup {
  const names = opts.pipelines ?? [];
  const pipelines = loadPipelines(names);
  const format = opts.format === undefined ? undefined : formatByName(opts.format);
  if (opts.format !== undefined && !format) {
    throw new AuditlineError('AL_CLI_USAGE', `unknown --format "${opts.format}" (known: ${formatNames().join(', ')})`);
  }
  const extraFields = [...new Set(pipelines.flatMap((p) => p.config.redaction?.fields ?? []))];
  let validatorSource: string | undefined;
  return {
    pipelines,
    maxLineBytes: opts.maxLineBytes,
    makeRedactor: () => createRedactor({ key: opts.key, extraFields }),
    makeTransform: () =>
      createTransformer({
        pipelines,
        forcedPipeline: names.length > 0,
        format,
        redactor: createRedactor({ key: opts.key, extraFields }),
        validate: createEventValidator(),
        keyId: opts.key.id,
      }),
    workerInit: {
      pipelines: pipelines.map((p) => ({ file: p.file, config: p.config })),
      // Read when a worker starts (workerData is copied property by property, getters read): a run on
      // one thread never compiles it.
      get eventValidator() {
        return (validatorSource ??= eventValidatorSource());
      },
      forcedPipeline: names.length > 0,
      format: opts.format,
      extraFields,
      keyMaterial: opts.key.material.reveal(),
      maxLineBytes: opts.maxLineBytes,
    },
  };
}
