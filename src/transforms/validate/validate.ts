import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Ajv } from 'ajv';
import standalone from 'ajv/dist/standalone/index.js';
import { describeErrors, type ValidateEvent } from './describe.js';

export type { ValidateEvent } from './describe.js';

/** The Activity Tracker profile schema lives with the Elasticsearch mappings: one field list for every store. */
export const EVENT_SCHEMA_PATH = fileURLToPath(new URL('../../../mappings/activity-tracker.schema.json', import.meta.url));

const AJV_OPTIONS = { allErrors: true, strict: false } as const;

/**
 * Compiles the schema once (ajv generates a validator function) and returns a check
 * that yields undefined for a valid event and a short error text otherwise.
 */
export function createEventValidator(schemaPath = EVENT_SCHEMA_PATH): ValidateEvent {
  const validate = new Ajv(AJV_OPTIONS).compile(readSchema(schemaPath));
  return (event) => (validate(event) ? undefined : describeErrors(validate.errors ?? []));
}

/**
 * The same validator as JavaScript (ajv's standalone code), compiled once on the main thread for
 * worker threads (standalone.ts): compiling the schema cost each worker ~65 ms of CPU at start,
 * and loading ajv itself ~50 ms more.
 */
export function eventValidatorSource(schemaPath = EVENT_SCHEMA_PATH): string {
  const ajv = new Ajv({ ...AJV_OPTIONS, code: { source: true } });
  return standalone.default(ajv, ajv.compile(readSchema(schemaPath)));
}

function readSchema(schemaPath: string): object {
  return JSON.parse(readFileSync(schemaPath, 'utf8')) as object;
}
