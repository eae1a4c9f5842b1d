import type { DuckDBConnection } from '@duckdb/node-api';
import type { StoredEvent } from '../../model/records.js';
import { nextDigest, rowHash, rowHashSql, HASHED_COLUMNS, type Digest, type DigestKind, type DigestSigner } from '../digest-chain.js';
import { safeLocation } from '../sink.js';
import { locationOfTable, TABLE_PREFIX, tableOf } from './schema.js';

/**
 * The digest chain in the DuckDB store: one table per location beside its events (`digests_us_south`
 * beside `events_us_south`: ids and hashes of a location's events stay with that location), one row per
 * write that committed events there, inserted in the write's own transaction, so a crash never leaves
 * events without their digest or a digest without its events.
 */

export const DIGEST_TABLE_PREFIX = 'digests_';

export function digestTableOf(location: string): string {
  return `${DIGEST_TABLE_PREFIX}${safeLocation(location).replace(/-/g, '_')}`;
}

/** `entries` may hold a whole write (16,384 lines of ~100 bytes); ZSTD as for the events' strings. */
function createDigestTableSql(table: string): string {
  return (
    `CREATE TABLE IF NOT EXISTS "${table}" (seq BIGINT NOT NULL, kind VARCHAR NOT NULL, committed_at VARCHAR NOT NULL, events BIGINT NOT NULL, ` +
    `columns VARCHAR NOT NULL, previous VARCHAR NOT NULL, entries VARCHAR NOT NULL USING COMPRESSION zstd, digest VARCHAR NOT NULL, signature VARCHAR, key_id VARCHAR)`
  );
}

async function insertDigest(conn: DuckDBConnection, d: Digest): Promise<void> {
  await conn.run(
    `INSERT INTO "${digestTableOf(d.location)}" VALUES ($seq, $kind, $committedAt, $events, $columns, $previous, $entries, $digest, $signature, $keyId)`,
    {
      seq: BigInt(d.seq),
      kind: d.kind,
      committedAt: d.committedAt,
      events: BigInt(d.events),
      columns: d.columns,
      previous: d.previous,
      entries: d.entries,
      digest: d.digest,
      signature: d.signature,
      keyId: d.keyId,
    },
  );
}

async function headOf(conn: DuckDBConnection, location: string): Promise<{ seq: number; digest: string } | undefined> {
  const rows = (await conn.runAndReadAll(`SELECT seq, digest FROM "${digestTableOf(location)}" ORDER BY seq DESC LIMIT 1`)).getRows();
  const [row] = rows;
  return row ? { seq: Number(row[0]), digest: String(row[1]) } : undefined;
}

/** Whether the store keeps digests: once sealed, every later write must add to its chains. */
export async function keepsDigests(conn: DuckDBConnection): Promise<boolean> {
  return (await tablesWithPrefix(conn, DIGEST_TABLE_PREFIX)).length > 0;
}

async function tablesWithPrefix(conn: DuckDBConnection, prefix: string): Promise<string[]> {
  const r = await conn.runAndReadAll(`SELECT table_name FROM information_schema.tables WHERE table_name LIKE '${prefix}%' ORDER BY table_name`);
  return r.getRows().map(([t]) => String(t));
}

/** A committed event as its digest lists it. */
export interface DigestEntry {
  id: string;
  hash: string;
}

/** What the sink calls: record a location's committed events inside the open transaction; forget cached heads after a rollback. */
export interface DigestLog {
  /** Whether the store keeps digests: when not, the sink need not hash its events. */
  readonly sealed: boolean;
  /** One digest over a write's committed events of `location` (`entryOf` each, in the order they were appended). */
  record(location: string, entries: DigestEntry[]): Promise<void>;
  rolledBack(): void;
}

export function entryOf(event: StoredEvent): DigestEntry {
  return { id: event.id, hash: rowHash(event) };
}

/**
 * Opens the chain of a store for writing. A location whose events table has no digests table yet
 * (a store written before digests were kept) is sealed first, in its own transaction: one `baseline`
 * digest over the rows it holds, so that later digests chain from what was there and verify can tell
 * those rows from rows added behind auditline's back.
 */
export async function openDigestLog(conn: DuckDBConnection, signer?: DigestSigner): Promise<DigestLog> {
  const heads = new Map<string, { seq: number; digest: string } | undefined>();
  await sealUnsealed(conn, signer);

  return {
    sealed: true,
    async record(location, entries) {
      let head = heads.get(location);
      if (!heads.has(location)) {
        await conn.run(createDigestTableSql(digestTableOf(location)));
        head = await headOf(conn, location);
      }
      const d = nextDigest(head, location, 'write', entries, new Date().toISOString(), signer);
      await insertDigest(conn, d);
      heads.set(location, { seq: d.seq, digest: d.digest });
    },
    rolledBack() {
      heads.clear();
    },
  };
}

async function sealUnsealed(conn: DuckDBConnection, signer: DigestSigner | undefined): Promise<void> {
  const sealed = new Set((await tablesWithPrefix(conn, DIGEST_TABLE_PREFIX)).map((t) => t.slice(DIGEST_TABLE_PREFIX.length)));
  for (const table of await tablesWithPrefix(conn, TABLE_PREFIX)) {
    if (sealed.has(table.slice(TABLE_PREFIX.length))) continue;
    const location = locationOfTable(table);
    await conn.run('BEGIN TRANSACTION');
    try {
      await conn.run(createDigestTableSql(digestTableOf(location)));
      const rows = (await conn.runAndReadAll(`SELECT id, ${rowHashSql(HASHED_COLUMNS)} FROM "${table}"`)).getRows();
      if (rows.length > 0) {
        const pairs = rows.map(([id, hash]) => ({ id: String(id), hash: String(hash) }));
        await insertDigest(conn, nextDigest(undefined, location, 'baseline', pairs, new Date().toISOString(), signer));
      }
      await conn.run('COMMIT');
    } catch (e) {
      await conn.run('ROLLBACK').catch(() => undefined);
      throw e;
    }
  }
}

// ---- Reading, for verify and export (a read-only connection) ----

export interface StoreChains {
  /** Locations with an events table, a digests table, or both */
  locations: { location: string; hasEvents: boolean; hasDigests: boolean }[];
}

export async function listChains(conn: DuckDBConnection): Promise<StoreChains> {
  const byLocation = new Map<string, { location: string; hasEvents: boolean; hasDigests: boolean }>();
  const entry = (location: string) => {
    let e = byLocation.get(location);
    if (!e) byLocation.set(location, (e = { location, hasEvents: false, hasDigests: false }));
    return e;
  };
  for (const t of await tablesWithPrefix(conn, TABLE_PREFIX)) entry(locationOfTable(t)).hasEvents = true;
  for (const t of await tablesWithPrefix(conn, DIGEST_TABLE_PREFIX)) entry(t.slice(DIGEST_TABLE_PREFIX.length).replace(/_/g, '-')).hasDigests = true;
  return { locations: [...byLocation.values()].sort((a, b) => (a.location < b.location ? -1 : 1)) };
}

/** A location's digests in stored seq order, one at a time (entries can be large). */
export async function* readDigests(conn: DuckDBConnection, location: string): AsyncGenerator<Digest> {
  const result = await conn.stream(
    `SELECT seq, kind, committed_at, events, columns, previous, entries, digest, signature, key_id FROM "${digestTableOf(location)}" ORDER BY seq, rowid`,
  );
  for (;;) {
    const chunk = await result.fetchChunk();
    if (!chunk || chunk.rowCount === 0) break;
    for (const r of chunk.getRows()) {
      yield {
        location,
        seq: Number(r[0]),
        kind: String(r[1]) as DigestKind,
        committedAt: String(r[2]),
        events: Number(r[3]),
        columns: String(r[4]),
        previous: String(r[5]),
        entries: String(r[6]),
        digest: String(r[7]),
        signature: r[8] === null ? null : String(r[8]),
        keyId: r[9] === null ? null : String(r[9]),
      };
    }
  }
}

export async function countRows(conn: DuckDBConnection, location: string): Promise<number> {
  const [[n]] = (await conn.runAndReadAll(`SELECT count(*) FROM "${tableOf(location)}"`)).getRows() as [[bigint]];
  return Number(n);
}

/** A disagreement between a location's rows and its digests' entries. */
export interface RowMismatch {
  id: string;
  /** seq of the digest that lists the id, or null */
  seq: number | null;
  kind: 'row_altered' | 'row_removed' | 'row_added' | 'row_duplicated';
}

/**
 * Joins a location's rows with its digests' entries in DuckDB (memory bounded by DuckDB, not by the
 * Node heap), each row hashed over the columns its digest names. Only disagreements come back.
 */
export async function* mismatchedRows(conn: DuckDBConnection, location: string): AsyncGenerator<RowMismatch> {
  const events = tableOf(location);
  const digests = digestTableOf(location);
  const columnSets = (await conn.runAndReadAll(`SELECT DISTINCT columns FROM "${digests}" ORDER BY 1`)).getRows().map(([c]) => String(c));
  if (columnSets.length === 0) columnSets.push(HASHED_COLUMNS);
  const hashes = columnSets.map((c, i) => `${rowHashSql(c)} AS h${i}`).join(', ');
  const pick = columnSets.length === 1 ? 'r.h0' : `CASE e.cset ${columnSets.map((_, i) => `WHEN ${i} THEN r.h${i}`).join(' ')} END`;
  const sql = `
    WITH d AS (SELECT seq, CASE columns ${columnSets.map((c, i) => `WHEN '${c.replace(/'/g, "''")}' THEN ${i}`).join(' ')} END AS cset, unnest(string_split(rtrim(entries, chr(10)), chr(10))) AS line FROM "${digests}" WHERE entries <> ''),
    e AS (SELECT seq, cset, split_part(line, ' ', 1) AS id, split_part(line, ' ', 2) AS h FROM d),
    r AS (SELECT id, ${hashes}, count(*) OVER (PARTITION BY id) AS copies FROM "${events}")
    SELECT coalesce(e.id, r.id) AS id, e.seq,
      CASE WHEN r.id IS NULL THEN 'row_removed' WHEN e.id IS NULL THEN 'row_added' WHEN e.h <> ${pick} THEN 'row_altered' ELSE 'row_duplicated' END AS kind
    FROM e FULL OUTER JOIN r ON e.id = r.id
    WHERE r.id IS NULL OR e.id IS NULL OR e.h <> ${pick} OR r.copies > 1
    ORDER BY e.seq NULLS LAST, 1, 3`;
  const result = await conn.stream(sql);
  // Both copies of a duplicated row join the same entry: report the id once per kind.
  let last = '';
  for (;;) {
    const chunk = await result.fetchChunk();
    if (!chunk || chunk.rowCount === 0) break;
    for (const [id, seq, kind] of chunk.getRows()) {
      const key = `${String(id)} ${String(kind)}`;
      if (key === last) continue;
      last = key;
      yield { id: String(id), seq: seq === null ? null : Number(seq), kind: String(kind) as RowMismatch['kind'] };
    }
  }
}
