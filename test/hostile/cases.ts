import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RejectCode } from '../../src/model/records.js';

/** Real Key Protect lines: each one alone becomes one event. */
export const REAL = readFileSync(join(import.meta.dirname, '../../fixtures/raw/key-protect.ndjson'), 'utf8')
  .trim()
  .split('\n');

/** A real line with text inserted right after the first occurrence of `anchor`. */
export function insertAfter(line: string, anchor: string, text: string): string {
  const at = line.indexOf(anchor);
  if (at === -1) throw new Error(`anchor ${anchor} not in line`);
  return line.slice(0, at + anchor.length) + text + line.slice(at + anchor.length);
}

/** The levels the issue asks for; well past the redaction walk's MAX_DEPTH and JSON.stringify's stack. */
export const DEEP = 100_000;
export const deepObject = (levels: number) => `${'{"a":'.repeat(levels)}1${'}'.repeat(levels)}`;
export const deepArray = (levels: number) => `${'['.repeat(levels)}${']'.repeat(levels)}`;

/** A bearer token that must never reach the store or the dead-letter file, whichever duplicate key holds it. */
export const DUPLICATE_SECRET = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJkdXBsaWNhdGUta2V5LXNlY3JldCJ9.c2lnbmF0dXJlLW9mLXRoZS1kdXBsaWNhdGU';

/** A hostile input file: its bytes and what every one of its lines must come to. */
export interface HostileCase {
  name: string;
  bytes: Buffer;
  linesRead: number;
  events: number;
  rejects: Partial<Record<RejectCode, number>>;
  filtered?: number;
}

const lines = (...ls: (string | Buffer)[]) => Buffer.concat(ls.map((l) => Buffer.concat([typeof l === 'string' ? Buffer.from(l) : l, Buffer.from('\n')])));

export const PROTO_KEYS = '"__proto__":{"polluted":"yes"},"constructor":{"prototype":{"polluted":"yes"}},"prototype":{"polluted":"yes"},';

export function hostileCases(): HostileCase[] {
  const [r0, r1, r2, r3, r4, r5, r6, r7, r8, r9] = REAL as [string, string, string, string, string, string, string, string, string, string];
  const userAgent = '"user-agent":"';
  return [
    {
      name: 'invalid-utf8',
      // Bytes that are no UTF-8 inside a value (decoded as U+FFFD), and a line of nothing but such bytes.
      bytes: lines(
        Buffer.concat([
          Buffer.from(r0.slice(0, r0.indexOf(userAgent) + userAgent.length)),
          Buffer.from([0xc3, 0x28, 0xff, 0xfe, 0xed, 0xa0, 0x80]),
          Buffer.from(r0.slice(r0.indexOf(userAgent) + userAgent.length)),
        ]),
        Buffer.from([0xff, 0xfe, 0x80, 0x81, 0xc0, 0xaf]),
      ),
      linesRead: 2,
      events: 1,
      rejects: { malformed_json: 1 },
    },
    {
      name: 'nul-bytes',
      // An escaped NUL and a lone surrogate in a value (valid JSON), a raw NUL inside a string
      // (JSON forbids control characters there), and a line of NULs alone.
      bytes: lines(insertAfter(r1, userAgent, '\\u0000nul\\ud800'), insertAfter(r2, userAgent, '\u0000'), '\u0000\u0000\u0000\u0000'),
      linesRead: 3,
      events: 1,
      rejects: { malformed_json: 2 },
    },
    {
      name: 'bom',
      // Editors put a byte-order mark first; neither JSON.parse nor the JSON streamer takes one.
      bytes: Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), lines(r3, r4)]),
      linesRead: 2,
      events: 2,
      rejects: {},
    },
    {
      name: 'crlf',
      bytes: Buffer.from(`${[r5, r6, r7].join('\r\n')}\r\n\r\n`),
      linesRead: 4,
      events: 3,
      rejects: {},
      filtered: 1,
    },
    {
      name: 'deep-nesting',
      // 100,000 levels: the whole record, inside a real record's headers, an array inside a real
      // record, and a top-level array (not a record at all); then a real line, so the batch goes on.
      bytes: lines(
        deepObject(DEEP),
        insertAfter(r8, '"headers":{', `"x-deep":${deepObject(DEEP)},`),
        insertAfter(r8, '"req":{', `"deep":${deepArray(DEEP)},`),
        deepArray(DEEP),
        r9,
      ),
      linesRead: 5,
      events: 1,
      rejects: { nested_too_deep: 3, not_an_object: 1 },
    },
    {
      name: 'big-numbers',
      // Beyond 2^53 and past a double's range where a time or status must be exact; the same
      // numbers in fields nobody reads are harmless (1e400 parses to Infinity, stored as null).
      bytes: lines(
        r0.replace(/"time":\d+/, `"time":${2 ** 53 + 2}`),
        r0.replace(/"time":\d+/, '"time":1e400'),
        r0.replace(/"statusCode":\d+/, '"statusCode":1e400'),
        r0.replace(/"statusCode":\d+/, '"statusCode":-1e400'),
        insertAfter(r1, '"level":30,', '"big":123456789012345678901234567890,"huge":1e400,"tiny":-1e400,"small":1e-400,'),
      ),
      linesRead: 5,
      events: 1,
      rejects: { missing_field: 4 },
    },
    {
      name: 'duplicate-keys',
      // JSON.parse keeps the last of duplicate keys; the secret in the first one is gone from the
      // record but still in the line: a line that is dead-lettered keeps its text, redacted.
      bytes: lines(
        insertAfter(r2, '"level":30,', '"time":1,"req":{"url":"/elsewhere"},'),
        insertAfter(r3, '"headers":{', `"authorization":"Bearer ${DUPLICATE_SECRET}",`),
        insertAfter(r4, '"level":30,', `"req":{"headers":{"authorization":"Bearer ${DUPLICATE_SECRET}"}},"time":"not a time","time":"still not",`).replace(
          /"time":\d+,/,
          '',
        ),
      ),
      linesRead: 3,
      events: 2,
      rejects: { missing_field: 1 },
    },
    {
      name: 'prototype-keys',
      // __proto__, constructor and prototype at the top, in req, in the headers and in an array.
      bytes: lines(
        insertAfter(r5, '{', PROTO_KEYS),
        insertAfter(r6, '"req":{', PROTO_KEYS),
        insertAfter(r7, '"headers":{', PROTO_KEYS),
        insertAfter(r8, '{', `"list":[{${PROTO_KEYS.slice(0, -1)}}],`),
        `{${PROTO_KEYS}"req":{${PROTO_KEYS.slice(0, -1)}}}`,
      ),
      linesRead: 5,
      events: 4,
      rejects: { no_pipeline: 1 },
    },
  ];
}
