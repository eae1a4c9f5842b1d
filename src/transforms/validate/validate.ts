import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Ajv, type ErrorObject } from 'ajv';

/** The Activity Tracker profile schema lives with the Elasticsearch mappings: one field list for every store. */
export const EVENT_SCHEMA_PATH = fileURLToPath(new URL('../../../mappings/activity-tracker.schema.json', import.meta.url));

export type ValidateEvent = (event: unknown) => string | undefined;

/**
 * Compiles the schema once (ajv generates a validator function) and returns a check
 * that yields undefined for a valid event and a short error text otherwise.
 */
export function createEventValidator(schemaPath = EVENT_SCHEMA_PATH): ValidateEvent {
  const ajv = new Ajv({ allErrors: true, strict: false });
  const validate = ajv.compile(JSON.parse(readFileSync(schemaPath, 'utf8')) as object);
  return (event) => (validate(event) ? undefined : describeErrors(validate.errors ?? []));
}

function describeErrors(errors: ErrorObject[]): string {
  return errors
    .filter((e) => e.keyword !== 'if')
    .slice(0, 5)
    .map((e) => `${e.instancePath || '/'} ${e.message ?? e.keyword}`)
    .join('; ');
}
