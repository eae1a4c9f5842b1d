import { digestOf, GENESIS, type Digest } from './digest-chain.js';

/** What verify can find wrong, each named by event id or digest seq. */
export type FindingKind =
  /** A row's content no longer hashes to what its digest recorded */
  | 'row_altered'
  /** A digest lists the id; the table no longer holds it */
  | 'row_removed'
  /** The table holds a row no digest lists: written outside auditline, or its digest was removed */
  | 'row_added'
  /** The table holds the id more than once */
  | 'row_duplicated'
  /** A digest no longer hashes to its recorded value */
  | 'digest_altered'
  /** A gap in the seq numbers */
  | 'digest_missing'
  /** Two digests with one seq */
  | 'digest_duplicated'
  /** A digest's `previous` is not the digest before it: reordered or replaced */
  | 'chain_broken'
  | 'signature_invalid'
  /** Signed by a key that is not among the public keys given */
  | 'signature_unknown_key'
  /** Unsigned after digests were signed */
  | 'signature_missing'
  /** A location's events with no digests table beside them (removed, or never written by this version) */
  | 'no_digests'
  /** Digests whose events table is gone */
  | 'events_table_missing'
  /** A digest names columns this version cannot hash */
  | 'digest_columns_unknown'
  /** The exported chain has this digest; the store does not */
  | 'export_digest_missing'
  /** The store's digest differs from the exported one: the store's chain was rewritten since the export */
  | 'export_digest_differs';

export interface Finding {
  kind: FindingKind;
  location: string;
  id?: string;
  seq?: number;
  detail: string;
}

export interface ChainStats {
  digests: number;
  events: number;
  signed: number;
  /** Signatures checked against a given public key */
  signaturesChecked: number;
  /** Last seq and digest of the chain */
  head: { seq: number; digest: string } | null;
}

export interface SignatureChecker {
  readonly keyId: string;
  verify(data: Buffer, signatureBase64: string): boolean;
}

/**
 * Walks one location's digests in seq order: each digest must hash to its value, follow the one before
 * it by seq and by `previous`, and, when public keys are given, carry a valid signature once signing
 * began. Pure: the digests come from the store or from an exported file alike.
 */
export async function checkChain(
  location: string,
  digests: AsyncIterable<Digest> | Iterable<Digest>,
  keys: readonly SignatureChecker[],
  report: (f: Finding) => void,
  each?: (d: Digest) => void,
): Promise<ChainStats> {
  const stats: ChainStats = { digests: 0, events: 0, signed: 0, signaturesChecked: 0, head: null };
  const byId = new Map(keys.map((k) => [k.keyId, k]));
  let prev: Digest | undefined;
  let signingBegan = false;
  for await (const d of digests) {
    stats.digests++;
    stats.events += d.events;
    const at = { location, seq: d.seq };
    if (digestOf(d, d.entries) !== d.digest) report({ kind: 'digest_altered', ...at, detail: `digest ${d.seq} does not hash to its recorded value` });
    const expected = (prev?.seq ?? 0) + 1;
    if (prev && d.seq === prev.seq) report({ kind: 'digest_duplicated', ...at, detail: `two digests numbered ${d.seq}` });
    else if (d.seq > expected)
      report({
        kind: 'digest_missing',
        location,
        seq: expected,
        detail: d.seq - 1 === expected ? `digest ${expected} is missing` : `digests ${expected}-${d.seq - 1} are missing`,
      });
    else if (d.previous !== (prev?.digest ?? GENESIS))
      report({ kind: 'chain_broken', ...at, detail: `digest ${d.seq} does not follow digest ${prev?.seq ?? 0}: reordered or replaced` });
    if (d.signature !== null) {
      stats.signed++;
      signingBegan = true;
      if (keys.length > 0) {
        const key = byId.get(d.keyId ?? '');
        if (!key) report({ kind: 'signature_unknown_key', ...at, detail: `digest ${d.seq} is signed by key ${d.keyId ?? '(none)'}, not a key given` });
        else if (!key.verify(Buffer.from(d.digest, 'hex'), d.signature))
          report({ kind: 'signature_invalid', ...at, detail: `digest ${d.seq}: the signature does not check with key ${key.keyId}` });
        else stats.signaturesChecked++;
      }
    } else if (signingBegan && keys.length > 0) {
      report({ kind: 'signature_missing', ...at, detail: `digest ${d.seq} is unsigned, after signed digests` });
    }
    each?.(d);
    prev = d;
  }
  if (prev) stats.head = { seq: prev.seq, digest: prev.digest };
  return stats;
}
