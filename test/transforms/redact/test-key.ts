import { createHmac } from 'node:crypto';
import { hmacKeyFromBytes, type HmacKey } from '../../../src/secrets/hmac-key.js';
import { createRedactor, type RedactorOptions } from '../../../src/transforms/redact/index.js';
import type { RedactionCounts, Redactor } from '../../../src/transforms/redact/types.js';

/** The documented test key: bytes 0x00..0x1f, `AUDITLINE_HMAC_KEY=000102...1f`. Never an installation's. */
export const TEST_KEY_HEX = '000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f';
export const testKey: HmacKey = hmacKeyFromBytes(Buffer.from(TEST_KEY_HEX, 'hex'));

/** The expected fingerprint, computed here with node:crypto, independently of the code under test. */
export function hmacOf(value: string): string {
  return `hmac-sha256:${createHmac('sha256', Buffer.from(TEST_KEY_HEX, 'hex')).update(value, 'utf8').digest('hex')}`;
}

/** The in-text form of a redacted segment. */
export function markOf(kind: string, value: string): string {
  return `[redacted:${kind} ${hmacOf(value)}]`;
}

export function testRedactor(opts: Partial<RedactorOptions> = {}): Redactor {
  return createRedactor({ key: testKey, ...opts });
}

/** Redacts a copy of `text` and returns the output with the counts it added. */
export function redactTextWithCounts(text: string, redactor: Redactor = testRedactor()): { out: string; counts: RedactionCounts } {
  const counts: RedactionCounts = {};
  return { out: redactor.redactText(text, counts), counts };
}

export function redactRecordCopy<T>(record: T, redactor: Redactor = testRedactor()): { out: T; counts: RedactionCounts; n: number } {
  const out = structuredClone(record);
  const counts: RedactionCounts = {};
  const n = redactor.redactRecord(out, counts);
  return { out, counts, n };
}
