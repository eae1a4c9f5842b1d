import { createRequire } from 'node:module';
import type { ValidateFunction } from 'ajv';
import { describeErrors, type ValidateEvent } from './describe.js';

/** What ajv's standalone code requires: its small runtime helpers (`ajv/dist/runtime/*`), not ajv itself. */
const requireRuntime = createRequire(import.meta.url);

/**
 * The event validator of a worker thread, from the code the main thread generated
 * (`eventValidatorSource` in validate.ts; it comes through `WorkerInit`, never from input): the
 * same checks and error texts as `createEventValidator`, without compiling the schema again.
 */
export function eventValidatorFromSource(source: string): ValidateEvent {
  const module = { exports: {} as unknown };
  // ajv's standalone output is a CommonJS module body: it assigns `module.exports` and calls `require`.
  new Function('module', 'exports', 'require', source)(module, module.exports, requireRuntime);
  const validate = module.exports as ValidateFunction;
  return (event) => (validate(event) ? undefined : describeErrors(validate.errors ?? []));
}
