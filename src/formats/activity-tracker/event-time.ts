/**
 * Activity Tracker `eventTime` in every spelling real events use (reference 1.7):
 * `2020-03-11T09:28:35.15+0000`, `2020-03-08T12:22:01+00:00`, `2020-03-22T09:36:07Z`,
 * `2019-12-11T16:00:58-06:00`, plus Vault's RFC3339Nano. Parsed by hand, not by Date.parse:
 * engines differ on `+0000` and two-digit fractions, and Date drops digits past milliseconds.
 */
import { isoBody } from '../../transforms/build/iso-time.js';

export interface EventInstant {
  /** Epoch milliseconds (what the stores index). */
  ms: number;
  /** The stored form: UTC, `+0000`, at least three fraction digits, finer digits kept. */
  eventTime: string;
  /** The same instant for `@timestamp` (UTC, `Z`, milliseconds). */
  timestamp: string;
}

const ISO_LIKE = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2}):(\d{2})(?:[.,](\d{1,9}))? ?(Z|z|UTC|GMT|[+-]\d{2}(?::?\d{2})?)?$/;
const MS_DIGITS = 3;
const MINUTE_MS = 60_000;

/**
 * Parses an event time. A missing offset means UTC (the profile says eventTime is UTC); an
 * epoch-milliseconds number is accepted too. Undefined when the value is not a real instant
 * (`2020-02-30` is refused rather than rolled over).
 */
export function parseEventTime(value: unknown): EventInstant | undefined {
  if (typeof value === 'number') return Number.isNaN(new Date(value).getTime()) ? undefined : fromParts(value, '');
  if (typeof value !== 'string') return undefined;
  const m = ISO_LIKE.exec(value.trim());
  if (!m) return undefined;
  const [, y, mo, d, h, mi, s, fraction = '', zone = 'Z'] = m as unknown as [string, string, string, string, string, string, string, string?, string?];
  const wholeSeconds = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s));
  const check = new Date(wholeSeconds);
  if (
    check.getUTCFullYear() !== Number(y) ||
    check.getUTCMonth() !== Number(mo) - 1 ||
    check.getUTCDate() !== Number(d) ||
    check.getUTCHours() !== Number(h) ||
    check.getUTCMinutes() !== Number(mi) ||
    check.getUTCSeconds() !== Number(s)
  ) {
    return undefined;
  }
  const offset = offsetMinutes(zone);
  if (offset === undefined) return undefined;
  return fromParts(wholeSeconds - offset * MINUTE_MS, fraction);
}

function offsetMinutes(zone: string): number | undefined {
  if (zone === 'Z' || zone === 'z' || zone === 'UTC' || zone === 'GMT') return 0;
  const sign = zone.startsWith('-') ? -1 : 1;
  const digits = zone.slice(1).replace(':', '');
  const hours = Number(digits.slice(0, 2));
  const minutes = digits.length > 2 ? Number(digits.slice(2)) : 0;
  if (hours > 23 || minutes > 59) return undefined;
  return sign * (hours * 60 + minutes);
}

/** `wholeMs` may carry milliseconds already (epoch input); `fraction` is the digits after the point. */
function fromParts(wholeMs: number, fraction: string): EventInstant {
  const iso = isoBody(wholeMs); // YYYY-MM-DDTHH:mm:ss.sss (toISOString without the Z, faster)
  const seconds = iso.slice(0, 19);
  const digits = fraction === '' ? iso.slice(20, 23) : fraction.padEnd(MS_DIGITS, '0');
  // Trailing zeros past the milliseconds say nothing; the first three digits are always written.
  const kept = digits.slice(0, MS_DIGITS) + withoutTrailingZeros(digits.slice(MS_DIGITS));
  const ms = Date.parse(`${seconds}.${digits.slice(0, MS_DIGITS)}Z`);
  return { ms, eventTime: `${seconds}.${kept}+0000`, timestamp: `${seconds}.${digits.slice(0, MS_DIGITS)}Z` };
}

/** A loop, not `/0+$/`: that expression retries from every zero of a run, quadratic in the run. */
function withoutTrailingZeros(digits: string): string {
  let end = digits.length;
  while (end > 0 && digits.charCodeAt(end - 1) === 0x30) end--;
  return digits.slice(0, end);
}
