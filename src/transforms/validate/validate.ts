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
 * ajv counts a string's length for `minLength`/`maxLength` in code points (`ucs2length`, a loop over
 * every character), unless told to read `.length`. Whether a string is empty is the same either way,
 * so a schema whose only length limits are `minLength` 0 or 1 (the event schema's six) gets the
 * same verdicts and error texts from `.length`: 1.44 against 2.43 us an event (the bench corpus's
 * events, one process, taking turns). Any other length limit keeps ajv's count.
 */
export function ajvOptions(schema: object) {
  if (!onlyEmptinessLimits(schema)) return AJV_OPTIONS;
  // `unicode` is deprecated in ajv 8 (it warns once per instance); that warning alone is dropped.
  return { ...AJV_OPTIONS, unicode: false, logger: { log: console.log, warn: warnUnlessUnicodeNotice, error: console.error } };
}

function warnUnlessUnicodeNotice(...args: unknown[]): void {
  if (typeof args[0] === 'string' && args[0].startsWith('DEPRECATED: option unicode.')) return;
  console.warn(...args);
}

/** True when no `maxLength` appears anywhere in the schema and every `minLength` is 0 or 1. */
function onlyEmptinessLimits(node: unknown): boolean {
  if (typeof node !== 'object' || node === null) return true;
  if (Array.isArray(node)) return node.every(onlyEmptinessLimits);
  for (const [key, value] of Object.entries(node)) {
    if (key === 'maxLength') return false;
    if (key === 'minLength' && !(value === 0 || value === 1)) return false;
    if (!onlyEmptinessLimits(value)) return false;
  }
  return true;
}

/**
 * Compiles the schema once (ajv generates a validator function) and returns a check
 * that yields undefined for a valid event and a short error text otherwise.
 */
export function createEventValidator(schemaPath = EVENT_SCHEMA_PATH): ValidateEvent {
  const schema = readSchema(schemaPath);
  const validate = new Ajv(ajvOptions(schema)).compile(schema);
  return (event) => (validate(event) ? undefined : describeErrors(validate.errors ?? []));
}

/**
 * The same validator as JavaScript (ajv's standalone code), compiled once on the main thread for
 * worker threads (standalone.ts): compiling the schema cost each worker ~65 ms of CPU at start,
 * and loading ajv itself ~50 ms more.
 */
export function eventValidatorSource(schemaPath = EVENT_SCHEMA_PATH): string {
  const schema = readSchema(schemaPath);
  const ajv = new Ajv({ ...ajvOptions(schema), code: { source: true } });
  return standalone.default(ajv, ajv.compile(schema));
}

function readSchema(schemaPath: string): object {
  return JSON.parse(readFileSync(schemaPath, 'utf8')) as object;
}
