import { readFileSync } from 'node:fs';
import type { CommandModule } from 'yargs';
import { AuditlineError } from '../errors.js';
import { defaultStorePath } from '../run/sink-choice.js';
import { loadSigningKey, publicKeyFromPem, type PublicKey } from '../secrets/signing-key.js';
import { verifyStore, type VerifyReport } from '../sinks/duckdb/verify.js';
import { readExportedChain } from './digests.js';

interface VerifyArgs {
  store?: string;
  'data-dir': string;
  location?: string;
  json: boolean;
  digests?: string;
  'public-key'?: string[];
}

/**
 * Keys to check signatures with: the public keys named, else the one of the data folder's signing
 * key. A check with the local key only proves what the holder of that key did not rewrite; an
 * auditor passes the public key they were given.
 */
function keysOf(args: VerifyArgs): PublicKey[] {
  const files = args['public-key'] ?? [];
  if (files.length > 0) {
    return files.map((file) => {
      let pem: string;
      try {
        pem = readFileSync(file, 'utf8');
      } catch (e) {
        throw new AuditlineError('AL_SOURCE_IO', 'the public key file cannot be read', { file }, { cause: e });
      }
      return publicKeyFromPem(pem, file);
    });
  }
  const local = loadSigningKey({ dataDir: args['data-dir'] });
  return local ? [publicKeyFromPem(local.publicKeyPem, 'the signing key')] : [];
}

function text(r: VerifyReport): string {
  const out: string[] = [];
  if (r.locations.length === 0) out.push(`${r.store}: no locations, nothing to verify`);
  for (const l of r.locations) {
    const c = l.chain;
    const signed =
      c.signed === 0
        ? 'unsigned'
        : `${c.signed} signed${c.signaturesChecked > 0 ? `, ${c.signaturesChecked} signatures checked` : ', signatures not checked (no key)'}`;
    const status = l.status === 'no_digests' ? 'NO DIGESTS' : l.status === 'tampered' ? 'TAMPERED' : 'intact';
    out.push(
      `${l.location}: ${status}: ${l.rows} rows, ${c.digests} digests covering ${c.events} events (${signed})${c.head ? `, head ${c.head.seq} ${c.head.digest}` : ''}`,
    );
    for (const f of l.findings) out.push(`  ${f.kind}: ${f.detail}`);
  }
  return `${out.join('\n')}\n`;
}

export const verifyCommand: CommandModule<object, VerifyArgs> = {
  command: 'verify',
  describe: 'Recompute the digest chain of the store and name every row or digest that does not match (exit 0 intact, 1 tampered)',
  builder: (y) =>
    y
      .option('store', { type: 'string', describe: 'DuckDB file (default <data-dir>/auditline.duckdb)' })
      .option('data-dir', { type: 'string', default: 'auditline-data' })
      .option('location', { type: 'string', describe: 'only this location (e.g. us-south)' })
      .option('json', { type: 'boolean', default: false, describe: 'the report as one JSON document' })
      .option('digests', { type: 'string', describe: 'a chain exported earlier (digests export): the store must still hold every digest of it unchanged' })
      .option('public-key', {
        type: 'string',
        array: true,
        describe: "PEM public key(s) to check signatures with (default: the data folder's signing key)",
      }) as never,
  handler: async (args) => {
    const report = await verifyStore(args.store ?? defaultStorePath(args['data-dir']), {
      location: args.location,
      keys: keysOf(args),
      exported: args.digests === undefined ? undefined : readExportedChain(args.digests),
    });
    const out = args.json ? `${JSON.stringify(report)}\n` : text(report);
    if (!process.stdout.write(out)) await new Promise<void>((r) => process.stdout.once('drain', () => r()));
    if (!report.intact) {
      const findings = report.locations.reduce((n, l) => n + l.findings.length, 0);
      throw new AuditlineError(
        'AL_STORE_TAMPERED',
        `${findings} finding(s) in ${report.locations
          .filter((l) => l.status !== 'intact')
          .map((l) => l.location)
          .join(', ')}`,
        { file: report.store },
      );
    }
  },
};
