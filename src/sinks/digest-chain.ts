import { hash } from 'node:crypto';
import type { StoredEvent } from '../model/records.js';
import { STORED_FIELDS, type FieldKind } from '../model/fields.js';

/**
 * The tamper-evidence chain, as pure functions: what a stored row hashes to, what a digest is, and
 * how digests link. Every definition is plain text under SHA-256, so an auditor can recompute a row
 * hash in SQL (`rowHashSql`) and a digest with `sha256sum`, without auditline.
 *
 * Row hash: SHA-256 over `auditline/row/v1\n` followed by, for each hashed column in table order,
 * `-` when NULL, else `<n>:<text>` where `<text>` is the value as text (timestamps as microseconds
 * since the epoch, booleans `true`/`false`, integers in decimal, strings and JSON as stored) and `<n>`
 * its length in UTF-8 bytes. The length prefix makes the encoding unambiguous whatever the text holds.
 *
 * Digest: SHA-256 over the header lines (`DIGEST_DOMAIN`, location, seq, kind, committedAt, event
 * count, hashed columns, previous digest) each ended by `\n`, then the entries: one `<id> <row hash>\n`
 * per committed event, sorted by id (byte order) so the digest does not depend on the order rows sit in.
 */

export const ROW_DOMAIN = 'auditline/row/v1\n';
export const DIGEST_DOMAIN = 'auditline/digest/v1';
/** What the first digest of a location names as its previous one. */
export const GENESIS = '0'.repeat(64);

/** A digest seals one write's committed events (`write`), or the rows a store held before it kept digests (`baseline`). */
export type DigestKind = 'write' | 'baseline';

export interface DigestHeader {
  location: string;
  /** 1, 2, 3, ... per location, no gaps */
  seq: number;
  kind: DigestKind;
  /** ISO 8601 time of the write */
  committedAt: string;
  events: number;
  /** The columns each row hash covers, comma-separated in table order */
  columns: string;
  previous: string;
}

export interface Digest extends DigestHeader {
  /** `<id> <row hash>\n` per event, sorted by id */
  entries: string;
  digest: string;
  /** Ed25519 signature of the digest's 32 bytes (base64), or null when unsigned */
  signature: string | null;
  /** Id of the signing key (see secrets/signing-key.ts), or null */
  keyId: string | null;
}

/** The columns hashed by this version: every column of the field table. */
export const HASHED_COLUMNS = STORED_FIELDS.map((f) => f.column).join(',');

const KIND_BY_COLUMN = new Map<string, FieldKind>(STORED_FIELDS.map((f) => [f.column, f.kind]));

type Part = (e: StoredEvent) => string;

function encoded(text: string): string {
  return `${Buffer.byteLength(text, 'utf8')}:${text}`;
}

const PART_BY_KIND: Record<FieldKind, (key: keyof StoredEvent) => Part> = {
  text: (k) => (e) => (e[k] === null || e[k] === undefined ? '-' : encoded(e[k] as string)),
  optionalText: (k) => (e) => (e[k] === null || e[k] === undefined ? '-' : encoded(e[k] as string)),
  // Math.round: the store keeps whole microseconds (sinks/duckdb/sink.ts micros()).
  epochMillis: (k) => (e) => encoded(String(Math.round((e[k] as number) * 1000))),
  integer: (k) => (e) => (e[k] === null || e[k] === undefined ? '-' : encoded(String(e[k]))),
  boolean: (k) => (e) => (e[k] === null || e[k] === undefined ? '-' : encoded(String(e[k]))),
};

const PARTS: Part[] = STORED_FIELDS.map((f) => PART_BY_KIND[f.kind](f.key));

/** The row hash of an event as the store will hold it (hex). */
export function rowHash(event: StoredEvent): string {
  let text = ROW_DOMAIN;
  for (const part of PARTS) text += part(event);
  return hash('sha256', text, 'hex');
}

/**
 * The same row hash as a DuckDB SQL expression over a table's columns, for verifying without
 * reading rows into JavaScript. Throws on a column this version does not know.
 */
export function rowHashSql(columns: string): string {
  const parts = columns.split(',').map((column) => {
    const kind = KIND_BY_COLUMN.get(column);
    if (kind === undefined) throw new Error(`unknown hashed column "${column}"`);
    const text = kind === 'epochMillis' ? `epoch_us("${column}")::VARCHAR` : `"${column}"::VARCHAR`;
    return `CASE WHEN "${column}" IS NULL THEN '-' ELSE strlen(${text}) || ':' || ${text} END`;
  });
  return `sha256(concat('${ROW_DOMAIN.replace('\n', "', chr(10), '")}', ${parts.join(', ')}))`;
}

/** The entries text of a set of committed events: `<id> <row hash>\n`, sorted by id. */
export function entriesOf(pairs: { id: string; hash: string }[]): string {
  pairs.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  let text = '';
  for (const p of pairs) text += `${p.id} ${p.hash}\n`;
  return text;
}

/** Parses entries text back into pairs (in their stored order); malformed lines are returned as such. */
export function parseEntries(entries: string): { id: string; hash: string }[] {
  if (entries === '') return [];
  const lines = entries.endsWith('\n') ? entries.slice(0, -1).split('\n') : entries.split('\n');
  return lines.map((line) => {
    const space = line.indexOf(' ');
    return space < 0 ? { id: line, hash: '' } : { id: line.slice(0, space), hash: line.slice(space + 1) };
  });
}

/** The digest of a header and its entries (hex). */
export function digestOf(h: DigestHeader, entries: string): string {
  const header = [DIGEST_DOMAIN, h.location, h.seq, h.kind, h.committedAt, h.events, h.columns, h.previous].join('\n');
  return hash('sha256', `${header}\n${entries}`, 'hex');
}

/** What signs a digest: the key's id and a signature of the digest's bytes (base64). */
export interface DigestSigner {
  readonly keyId: string;
  sign(digest: Buffer): string;
}

/** Builds the next digest of a location's chain from the events one write committed. */
export function nextDigest(
  prev: { seq: number; digest: string } | undefined,
  location: string,
  kind: DigestKind,
  pairs: { id: string; hash: string }[],
  committedAt: string,
  signer?: DigestSigner,
): Digest {
  const header: DigestHeader = {
    location,
    seq: (prev?.seq ?? 0) + 1,
    kind,
    committedAt,
    events: pairs.length,
    columns: HASHED_COLUMNS,
    previous: prev?.digest ?? GENESIS,
  };
  const entries = entriesOf(pairs);
  const digest = digestOf(header, entries);
  return { ...header, entries, digest, signature: signer ? signer.sign(Buffer.from(digest, 'hex')) : null, keyId: signer?.keyId ?? null };
}
