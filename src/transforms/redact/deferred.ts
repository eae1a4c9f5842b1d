/**
 * Fingerprints of a record's secrets, computed only where they reach an output. The record pass
 * finds and counts every secret, as always, but writes a stand-in of the fingerprint's exact
 * shape (`hmac-sha256:` + 64 lower-case hex digits: a nonce drawn per redactor, then the
 * secret's number) instead of computing the HMAC. Most secrets never reach an output (the
 * bearer token of every request header is dropped by the build): on the bench corpus 20 of
 * 32,822 fingerprints did, at ~2 us each. What does reach one is resolved to the real
 * fingerprint, where the text can still be reached:
 *
 * - the built event: the redactor's event pass, before it redacts anything (built-event.ts,
 *   index.ts);
 * - reasons of rejects: `redactText`, before the detectors;
 * - the record itself, dead-lettered as `JSON.stringify(record)`: a `toJSON` (not enumerable)
 *   on the record resolves it in place first.
 *
 * The stand-in has the fingerprint's characters (lower-case hex, one letter at least, so it
 * never reads as a port number), so whatever the build does with it (lower-case a host,
 * upper-case a method, split a CRN on `:`, decode a URL) it does as it would with the
 * fingerprint; an upper-cased stand-in resolves to the upper-cased fingerprint. The raw values
 * stay in memory only, as long as the record holding their stand-ins.
 */
import { randomBytes } from 'node:crypto';
import { AuditlineError } from '../../errors.js';
import { FINGERPRINT_PREFIX } from './marks.js';
import { MAX_DEPTH } from './walk.js';

const HEX_DIGITS = 64;
/** Hex digits of the secret's number; the nonce takes the rest. */
const NUMBER_DIGITS = 16;
const NONCE_DIGITS = HEX_DIGITS - NUMBER_DIGITS;
const HEX_RADIX = 16;

/** The secrets one record deferred: stand-in number `first + i` is `raw[i]`. */
interface DeferredSecrets {
  first: number;
  raw: string[];
}

export interface DeferredFingerprints {
  /** Starts a record: stand-ins of an earlier record no longer resolve through `resolveText`. */
  begin(): void;
  /** The stand-in of `value`'s fingerprint (what the record pass writes instead of it). */
  standIn(value: string): string;
  /** Whether the current record deferred anything (else nothing can hold a stand-in). */
  pending(): boolean;
  /** `s` with every stand-in of the current record replaced by its fingerprint. */
  resolveText(s: string): string;
  /** Resolves, in place, every string inside an object or array (an event, request data). */
  resolveDeep(value: object): void;
  /** Makes `JSON.stringify(record)` resolve the record first, when it holds stand-ins. */
  seal(record: object): void;
}

export function createDeferredFingerprints(fingerprint: (value: string) => string): DeferredFingerprints {
  // A letter first: an all-digit stand-in after `hmac-sha256:` would read as a `:port` to strip.
  const nonce = `a${randomBytes(NONCE_DIGITS / 2)
    .toString('hex')
    .slice(1)}`;
  const nonceUpper = nonce.toUpperCase();
  const head = FINGERPRINT_PREFIX + nonce;
  let next = 0;
  let current: DeferredSecrets = { first: 0, raw: [] };

  const resolveWith = (secrets: DeferredSecrets, s: string): string => {
    if (s.length < HEX_DIGITS) return s;
    return replaceStandIns(replaceStandIns(s, nonce, false), nonceUpper, true);

    function replaceStandIns(text: string, needle: string, upper: boolean): string {
      let at = text.indexOf(needle);
      if (at < 0) return text;
      let out = '';
      let last = 0;
      while (at >= 0) {
        const digits = text.slice(at + NONCE_DIGITS, at + HEX_DIGITS);
        const n = Number.parseInt(digits, HEX_RADIX) - secrets.first;
        const raw = digits.length === NUMBER_DIGITS ? secrets.raw[n] : undefined;
        // Only this redactor writes its nonce, and a record's stand-ins are resolved while it is current.
        if (raw === undefined) throw new AuditlineError('AL_INTERNAL', 'a deferred fingerprint was read after its record');
        // A secret found around an earlier one's mark (`token=Bearer [redacted:...]`) holds its stand-in.
        const hex = fingerprint(resolveWith(secrets, raw)).slice(FINGERPRINT_PREFIX.length);
        out += text.slice(last, at) + (upper ? hex.toUpperCase() : hex);
        last = at + HEX_DIGITS;
        at = text.indexOf(needle, last);
      }
      return out + text.slice(last);
    }
  };

  const resolveDeepWith = (secrets: DeferredSecrets, value: object, depth: number): void => {
    if (Array.isArray(value)) {
      for (let i = 0; i < value.length; i++) {
        const v: unknown = value[i];
        if (typeof v === 'string') {
          const r = resolveWith(secrets, v);
          if (r !== v) value[i] = r;
        } else if (typeof v === 'object' && v !== null && depth < MAX_DEPTH) resolveDeepWith(secrets, v, depth + 1);
      }
      return;
    }
    const obj = value as Record<string, unknown>;
    for (const key in obj) {
      const v = obj[key];
      if (typeof v === 'string') {
        const r = resolveWith(secrets, v);
        if (r !== v) obj[key] = r;
      } else if (typeof v === 'object' && v !== null && depth < MAX_DEPTH) resolveDeepWith(secrets, v, depth + 1);
    }
  };

  return {
    begin() {
      current = { first: next, raw: [] };
    },
    standIn(value) {
      current.raw.push(value);
      return head + (next++).toString(HEX_RADIX).padStart(NUMBER_DIGITS, '0');
    },
    pending: () => current.raw.length > 0,
    resolveText: (s) => resolveWith(current, s),
    resolveDeep: (value) => resolveDeepWith(current, value, 0),
    seal(record) {
      if (current.raw.length === 0) return;
      const secrets = current;
      Object.defineProperty(record, 'toJSON', {
        value(this: object) {
          resolveDeepWith(secrets, this, 0);
          return this;
        },
        configurable: true,
        writable: true,
        enumerable: false,
      });
    },
  };
}
