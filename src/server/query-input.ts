import { HttpError } from './http-error.js';

/**
 * The query routes' inputs, checked before anything is read: unknown parameters are refused (a
 * misspelt filter must not silently widen an audit query), values are typed, and a bad one is a
 * 400 naming it.
 */

const UNIT_MS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

export function badRequest(message: string): HttpError {
  return new HttpError(400, 'illegal_argument_exception', message);
}

/** `24h`, `7d`, `30m` (before now) or an ISO 8601 instant, to epoch milliseconds; the CLI's `--since` forms. */
export function parseInstant(value: string, name: string, now: number): number {
  const rel = /^(\d+)([smhdw])$/.exec(value);
  if (rel) return now - Number(rel[1]) * UNIT_MS[rel[2]!]!;
  const ms = Date.parse(value);
  if (Number.isNaN(ms)) throw badRequest(`${name}: "${value}" is neither a duration like 24h nor an ISO 8601 time`);
  return ms;
}

export function optionalInstant(value: string | undefined, name: string, now: number): number | undefined {
  return value === undefined ? undefined : parseInstant(value, name, now);
}

/** A positive integer at most `max`, or undefined when absent. */
export function optionalCount(value: string | number | undefined, name: string, max: number): number | undefined {
  if (value === undefined) return undefined;
  const n = typeof value === 'number' ? value : /^\d+$/.test(value) ? Number(value) : NaN;
  if (!Number.isInteger(n) || n < 1 || n > max) throw badRequest(`${name} must be an integer from 1 to ${max}, not "${String(value)}"`);
  return n;
}

export function oneOf<T extends string>(value: string | undefined, name: string, allowed: readonly T[]): T | undefined {
  if (value === undefined) return undefined;
  if (!(allowed as readonly string[]).includes(value)) throw badRequest(`${name} must be one of ${allowed.join(', ')}, not "${value}"`);
  return value as T;
}

export function optionalBoolean(value: string | undefined, name: string): boolean | undefined {
  if (value === undefined) return undefined;
  if (value !== 'true' && value !== 'false') throw badRequest(`${name} must be true or false, not "${value}"`);
  return value === 'true';
}

/** The single values of a query string, refusing names not in `known` and repeats of names not in `repeatable`. */
export function queryValues(
  query: URLSearchParams,
  known: readonly string[],
  repeatable: readonly string[] = [],
): { one: Record<string, string | undefined>; many: Record<string, string[]> } {
  const one: Record<string, string | undefined> = {};
  const many: Record<string, string[]> = {};
  for (const name of new Set(query.keys())) {
    if (!known.includes(name)) throw badRequest(`unknown query parameter "${name}" (known: ${known.join(', ')})`);
    const values = query.getAll(name);
    if (repeatable.includes(name)) many[name] = values;
    else if (values.length > 1) throw badRequest(`query parameter "${name}" given ${values.length} times`);
    else one[name] = values[0];
  }
  return { one, many };
}

/** A JSON object body with only `known` keys. */
export function jsonObject(body: Buffer, known: readonly string[]): Record<string, unknown> {
  if (body.length === 0) return {};
  let value: unknown;
  try {
    value = JSON.parse(body.toString('utf8'));
  } catch {
    throw badRequest('the body is not JSON');
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw badRequest('the body must be a JSON object');
  for (const key of Object.keys(value)) if (!known.includes(key)) throw badRequest(`unknown key "${key}" in the body (known: ${known.join(', ')})`);
  return value as Record<string, unknown>;
}

/** A string member of a body, or undefined. */
export function stringMember(body: Record<string, unknown>, key: string): string | undefined {
  const v = body[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') throw badRequest(`"${key}" must be a string`);
  return v;
}
