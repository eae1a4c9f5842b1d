import type { ErrorObject } from 'ajv';

export type ValidateEvent = (event: unknown) => string | undefined;

/** The short error text of an invalid event: its first five errors, without the schema's `if` bookkeeping. */
export function describeErrors(errors: ErrorObject[]): string {
  return errors
    .filter((e) => e.keyword !== 'if')
    .slice(0, 5)
    .map((e) => `${e.instancePath || '/'} ${e.message ?? e.keyword}`)
    .join('; ');
}
