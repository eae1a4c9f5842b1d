import { inspect } from 'node:util';

/** What a secret prints as, wherever it ends up: logs, errors, JSON, the REPL. */
export const REDACTED = '[redacted]';

/**
 * A secret configuration value (HMAC key, Elasticsearch credentials, server tokens).
 * Every way of turning it into text gives `[redacted]`; only `reveal()` gives the value,
 * so a leak needs a deliberate call that stands out in review.
 *
 * The value sits in an ECMAScript private field: `Object.keys`, spreading, `structuredClone`
 * and `util.inspect` with `showHidden` cannot see it.
 */
export class Secret<T = string> {
  readonly #value: T;

  constructor(value: T) {
    this.#value = value;
  }

  /** The value itself. Call it at the last moment, where the value is used, and never log the result. */
  reveal(): T {
    return this.#value;
  }

  toString(): string {
    return REDACTED;
  }

  toJSON(): string {
    return REDACTED;
  }

  /** Template literals, `+` and `String()` all come here before `toString`. */
  [Symbol.toPrimitive](): string {
    return REDACTED;
  }

  [inspect.custom](): string {
    return REDACTED;
  }

  get [Symbol.toStringTag](): string {
    return 'Secret';
  }
}

export function isSecret(value: unknown): value is Secret<unknown> {
  return value instanceof Secret;
}

/** Wraps a value unless it is already a Secret (so configuration can be wrapped twice harmlessly). */
export function secret<T>(value: T | Secret<T>): Secret<T> {
  return value instanceof Secret ? value : new Secret(value);
}
