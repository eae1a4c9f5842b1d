import { existsSync } from 'node:fs';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { AuditlineError } from '../../errors.js';
import { HASHED_COLUMNS, parseEntries, rowHashSql, type Digest } from '../digest-chain.js';
import { checkChain, type ChainStats, type Finding, type SignatureChecker } from '../digest-verify.js';
import { countRows, digestTableOf, listChains, mismatchedRows, readDigests } from './digests.js';

export interface LocationReport {
  location: string;
  /** `no_digests`: events but no chain to check them against */
  status: 'intact' | 'tampered' | 'no_digests';
  rows: number;
  chain: ChainStats;
  findings: Finding[];
}

export interface VerifyReport {
  store: string;
  intact: boolean;
  locations: LocationReport[];
}

/** A chain exported earlier (`auditline digests export`), by location and seq. */
export type ExportedChain = Map<string, Map<number, Digest & { hasEntries: boolean }>>;

export interface VerifyOptions {
  location?: string | undefined;
  /** Public keys to check signatures with; none: signatures are counted, not checked */
  keys?: readonly SignatureChecker[];
  exported?: ExportedChain | undefined;
}

/** Opens a read-only connection to a store (never the writer's lock). */
export async function openReadOnly(path: string): Promise<{ conn: DuckDBConnection; close(): void }> {
  if (!existsSync(path)) throw new AuditlineError('AL_SOURCE_IO', `store not found: ${path}`, { file: path });
  const instance = await DuckDBInstance.create(path, { access_mode: 'READ_ONLY' });
  const conn = await instance.connect();
  return {
    conn,
    close() {
      conn.closeSync();
      instance.closeSync();
    },
  };
}

/**
 * Recomputes every location's chain from the store: digests against themselves and each other, then
 * every row against the entry its digest recorded; with an exported chain, the store's digests against
 * the exported ones too. Reports every disagreement; throws only when the store cannot be read.
 */
export async function verifyStore(path: string, opts: VerifyOptions = {}): Promise<VerifyReport> {
  const store = await openReadOnly(path);
  try {
    const { locations } = await listChains(store.conn);
    const reports: LocationReport[] = [];
    const chosen = opts.location === undefined ? locations : locations.filter((l) => l.location === opts.location);
    const exportedOnly = [...(opts.exported?.keys() ?? [])].filter(
      (l) => !locations.some((x) => x.location === l) && (opts.location === undefined || l === opts.location),
    );
    for (const l of [...chosen, ...exportedOnly.map((location) => ({ location, hasEvents: false, hasDigests: false }))]) {
      reports.push(await verifyLocation(store.conn, l, opts));
    }
    return { store: path, intact: reports.every((r) => r.status === 'intact'), locations: reports };
  } finally {
    store.close();
  }
}

async function verifyLocation(
  conn: DuckDBConnection,
  l: { location: string; hasEvents: boolean; hasDigests: boolean },
  opts: VerifyOptions,
): Promise<LocationReport> {
  const { location } = l;
  const findings: Finding[] = [];
  const report = (f: Finding) => findings.push(f);
  const exported = opts.exported?.get(location);
  const differing: number[] = [];
  const seen = new Set<number>();
  const columnSets = new Set<string>();
  const chain = l.hasDigests
    ? await checkChain(location, readDigests(conn, location), opts.keys ?? [], report, (d) => {
        columnSets.add(d.columns);
        seen.add(d.seq);
        const x = exported?.get(d.seq);
        if (x && x.digest !== d.digest) {
          report({
            kind: 'export_digest_differs',
            location,
            seq: d.seq,
            detail: `digest ${d.seq} differs from the exported one: the store's chain was rewritten`,
          });
          if (x.hasEntries) differing.push(d.seq);
        }
      })
    : { digests: 0, events: 0, signed: 0, signaturesChecked: 0, head: null };
  for (const seq of exported?.keys() ?? []) {
    if (!seen.has(seq)) report({ kind: 'export_digest_missing', location, seq, detail: `exported digest ${seq} is not in the store` });
  }
  for (const seq of differing) await diffAgainstExport(conn, location, exported!.get(seq)!, report);

  const rows = l.hasEvents ? await countRows(conn, location) : 0;
  if (!l.hasDigests && l.hasEvents) {
    report({ kind: 'no_digests', location, detail: `${rows} events and no digests` });
    return { location, status: rows === 0 ? 'intact' : 'no_digests', rows, chain, findings: rows === 0 ? [] : findings };
  }
  if (l.hasDigests && !l.hasEvents && chain.events > 0)
    report({ kind: 'events_table_missing', location, detail: `the digests list ${chain.events} events; their table is gone` });
  const unknown = [...columnSets].filter((c) => !hashable(c));
  for (const c of unknown) report({ kind: 'digest_columns_unknown', location, detail: `digests hash columns this version does not know: ${c}` });
  if (l.hasEvents && l.hasDigests && unknown.length === 0) {
    for await (const m of mismatchedRows(conn, location)) {
      const where = m.seq === null ? 'in no digest' : `listed in digest ${m.seq}`;
      report({ kind: m.kind, location, id: m.id, ...(m.seq === null ? {} : { seq: m.seq }), detail: `${m.kind.replace('row_', 'row ')}: ${m.id} (${where})` });
    }
  }
  return { location, status: findings.length === 0 ? 'intact' : 'tampered', rows, chain, findings };
}

function hashable(columns: string): boolean {
  if (columns === HASHED_COLUMNS) return true;
  try {
    rowHashSql(columns);
    return true;
  } catch {
    return false;
  }
}

/** Names the events a rewritten digest dropped, added or changed, relative to the exported one. */
async function diffAgainstExport(conn: DuckDBConnection, location: string, x: Digest, report: (f: Finding) => void): Promise<void> {
  const r = await conn.runAndReadAll(`SELECT entries FROM "${digestTableOf(location)}" WHERE seq = $seq`, { seq: BigInt(x.seq) });
  const inStore = new Map(
    parseEntries(
      r
        .getRows()
        .map(([e]) => String(e))
        .join(''),
    ).map((p) => [p.id, p.hash]),
  );
  const detail = (what: string, id: string) => `${what}: ${id} (per exported digest ${x.seq})`;
  for (const { id, hash } of parseEntries(x.entries)) {
    const h = inStore.get(id);
    if (h === undefined) report({ kind: 'row_removed', location, id, seq: x.seq, detail: detail('row removed', id) });
    else if (h !== hash) report({ kind: 'row_altered', location, id, seq: x.seq, detail: detail('row altered', id) });
    inStore.delete(id);
  }
  for (const id of inStore.keys()) report({ kind: 'row_added', location, id, seq: x.seq, detail: detail('row added', id) });
}
