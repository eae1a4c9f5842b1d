/**
 * What redacted values look like, and how the stage recognises its own output (and Vault's),
 * so that redacting twice changes nothing.
 *
 * - a whole value: `hmac-sha256:<64 hex>`
 * - a segment of text: `[redacted:<kind> hmac-sha256:<64 hex>]`
 */
import type { RedactionCounts } from './types.js';

export const FINGERPRINT_PREFIX = 'hmac-sha256:';
export const MARK_PREFIX = '[redacted:';
const SHA256_HEX_DIGITS = 64;
const FINGERPRINT_LENGTH = FINGERPRINT_PREFIX.length + SHA256_HEX_DIGITS;

/** Detector kinds (count labels of text segments and key-material values). */
export type DetectorKind =
  | 'bearer-token'
  | 'basic-auth'
  | 'jwt'
  | 'pem-private-key'
  | 'ibm-api-key'
  | 'aws-access-key'
  | 'aws-secret-key'
  | 'kv-secret'
  | 'url-credentials'
  | 'key-material';

/** State of one redaction call: the key, the caller's tallies, and how many values this call redacted. */
export interface RedactContext {
  readonly fingerprint: (value: string) => string;
  counts: RedactionCounts;
  redacted: number;
}

export function tally(ctx: RedactContext, label: string): void {
  ctx.counts[label] = (ctx.counts[label] ?? 0) + 1;
  ctx.redacted++;
}

function isLowerHex(s: string, from: number, to: number): boolean {
  for (let i = from; i < to; i++) {
    const c = s.charCodeAt(i);
    if (!((c >= 48 && c <= 57) || (c >= 97 && c <= 102))) return false;
  }
  return true;
}

/** `hmac-sha256:<64 lower-case hex>` exactly: our whole-value output, or a Vault audit hash. */
export function isFingerprint(s: string): boolean {
  return s.length === FINGERPRINT_LENGTH && s.startsWith(FINGERPRINT_PREFIX) && isLowerHex(s, FINGERPRINT_PREFIX.length, s.length);
}

/** Does `s` hold, at `at`, a whole `[redacted:<kind> hmac-sha256:<hex>]` mark? Returns its end, or -1. */
export function markEndAt(s: string, at: number): number {
  if (!s.startsWith(MARK_PREFIX, at)) return -1;
  const space = s.indexOf(' ', at + MARK_PREFIX.length);
  if (space < 0) return -1;
  const fpStart = space + 1;
  const end = fpStart + FINGERPRINT_LENGTH;
  if (s.charCodeAt(end) !== 93 /* ] */) return -1;
  if (!s.startsWith(FINGERPRINT_PREFIX, fpStart) || !isLowerHex(s, fpStart + FINGERPRINT_PREFIX.length, end)) return -1;
  return end + 1;
}

/** A value that is already redacted: a fingerprint, or exactly one mark. */
export function isRedacted(s: string): boolean {
  return isFingerprint(s) || (s.startsWith(MARK_PREFIX) && markEndAt(s, 0) === s.length);
}

/** The whole-value form; counts it. */
export function fingerprintValue(ctx: RedactContext, value: string, label: string): string {
  tally(ctx, label);
  return ctx.fingerprint(value);
}

/** The in-text form; counts it. */
export function markSegment(ctx: RedactContext, kind: DetectorKind, secret: string): string {
  tally(ctx, kind);
  return `${MARK_PREFIX}${kind} ${ctx.fingerprint(secret)}]`;
}
