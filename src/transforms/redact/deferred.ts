/**
 * Fingerprints of a record's secrets, computed only where they reach an output. The record pass
 * finds and counts every secret, as always, but writes a stand-in of the fingerprint's exact
 * shape (`hmac-sha256:` + 64 lower-case hex digits: a nonce drawn per redactor, a letter, then
 * the secret's number) instead of computing the HMAC. Most secrets never reach an output (the
 * bearer token of every request header is dropped by the build): on the bench corpus 20 of
 * 32,822 fingerprints did, at ~2 us each. What does reach one is resolved to the real
 * fingerprint, where the text can still be reached:
 *
 * - the built event: the redactor's event pass, before it redacts anything (built-event.ts,
 *   index.ts);
 * - reasons of rejects: `redactText`, before the detectors;
 * - the record itself, when it is dead-lettered: `recordText` (index.ts) resolves it in place
 *   before it serialises it.
 *
 * The stand-in has the fingerprint's characters (lower-case hex, one letter at least, so it
 * never reads as a port number), so whatever the build does with it (lower-case a host,
 * upper-case a method, split a CRN on `:`, decode a URL) it does as it would with the
 * fingerprint; an upper-cased stand-in resolves to the upper-cased fingerprint. The raw values
 * stay in memory only, with the redactor, until the next record begins.
 */
import { randomBytes } from 'node:crypto';
import { AuditlineError } from '../../errors.js';
import { FINGERPRINT_PREFIX } from './marks.js';
import { MAX_DEPTH } from './walk.js';

const HEX_DIGITS = 64;
/** Decimal digits drawn per redactor (~133 bits): the same in either case, so one search finds a stand-in however the build cased it. */
const NONCE_DIGITS = 40;
/** Then one letter, which says how the text was cased (and keeps the stand-in from reading as a `:port`)... */
const CASE_LETTER = 'a';
/** ...then the secret's number, in hex. */
const NUMBER_DIGITS = HEX_DIGITS - NONCE_DIGITS - 1;
const HEX_RADIX = 16;
const DECIMAL = 10;

/** The secrets one record deferred: stand-in number `first + i` is `raw[i]`. */
interface DeferredSecrets {
  first: number;
  raw: string[];
}

export interface DeferredFingerprints {
  /** Starts a record: stand-ins of an earlier record no longer resolve. */
  begin(): void;
  /** The stand-in of `value`'s fingerprint (what the record pass writes instead of it). */
  standIn(value: string): string;
  /** Whether the current record deferred anything (else nothing can hold a stand-in). */
  pending(): boolean;
  /** `s` with every stand-in of the current record replaced by its fingerprint. */
  resolveText(s: string): string;
  /** Resolves, in place, every string inside an object or array (an event, request data, the record). */
  resolveDeep(value: object): void;
}

export function createDeferredFingerprints(fingerprint: (value: string) => string): DeferredFingerprints {
  const digits = randomBytes(NONCE_DIGITS);
  let nonce = '';
  for (const b of digits) nonce += String(b % DECIMAL);
  const head = FINGERPRINT_PREFIX + nonce + CASE_LETTER;
  let next = 0;
  let current: DeferredSecrets = { first: 0, raw: [] };

  const resolveText = (secrets: DeferredSecrets, s: string): string => {
    let at = s.length < HEX_DIGITS ? -1 : s.indexOf(nonce);
    if (at < 0) return s;
    let out = '';
    let last = 0;
    while (at >= 0) {
      const letter = s.charAt(at + NONCE_DIGITS);
      const number = s.slice(at + NONCE_DIGITS + 1, at + HEX_DIGITS);
      const raw =
        number.length === NUMBER_DIGITS && letter.toLowerCase() === CASE_LETTER ? secrets.raw[Number.parseInt(number, HEX_RADIX) - secrets.first] : undefined;
      // Only this redactor writes its nonce, and a record's stand-ins are resolved while it is current.
      if (raw === undefined) throw new AuditlineError('AL_INTERNAL', 'a deferred fingerprint was read after its record');
      // A secret found around an earlier one's mark (`token=Bearer [redacted:...]`) holds its stand-in.
      const hex = fingerprint(resolveText(secrets, raw)).slice(FINGERPRINT_PREFIX.length);
      out += s.slice(last, at) + (letter === CASE_LETTER ? hex : hex.toUpperCase());
      last = at + HEX_DIGITS;
      at = s.indexOf(nonce, last);
    }
    return out + s.slice(last);
  };

  const resolveDeep = (secrets: DeferredSecrets, value: object, depth: number): void => {
    if (Array.isArray(value)) {
      for (let i = 0; i < value.length; i++) {
        const v: unknown = value[i];
        if (typeof v === 'string') {
          const r = resolveText(secrets, v);
          if (r !== v) value[i] = r;
        } else if (typeof v === 'object' && v !== null && depth < MAX_DEPTH) resolveDeep(secrets, v, depth + 1);
      }
      return;
    }
    const obj = value as Record<string, unknown>;
    for (const key in obj) {
      const v = obj[key];
      if (typeof v === 'string') {
        const r = resolveText(secrets, v);
        if (r !== v) obj[key] = r;
      } else if (typeof v === 'object' && v !== null && depth < MAX_DEPTH) resolveDeep(secrets, v, depth + 1);
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
    resolveText: (s) => resolveText(current, s),
    resolveDeep: (value) => resolveDeep(current, value, 0),
  };
}
