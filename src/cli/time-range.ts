import { AuditlineError } from '../errors.js';

const UNIT_MS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/** `24h`, `7d`, `30m` (relative to now) or an ISO 8601 instant, to epoch milliseconds. */
export function parseInstant(value: string, flag: string, now = Date.now()): number {
  const rel = /^(\d+)([smhdw])$/.exec(value);
  if (rel) return now - Number(rel[1]) * UNIT_MS[rel[2]!]!;
  const ms = Date.parse(value);
  if (Number.isNaN(ms)) throw new AuditlineError('AL_CLI_USAGE', `${flag}: "${value}" is neither a duration like 24h nor an ISO 8601 time`);
  return ms;
}
