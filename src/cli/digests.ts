import { readFileSync } from 'node:fs';
import type { Argv, CommandModule } from 'yargs';
import { AuditlineError } from '../errors.js';
import { defaultStorePath } from '../run/sink-choice.js';
import { createSigningKeyFile, loadSigningKey, signingKeyPath } from '../secrets/signing-key.js';
import { digestOf, type Digest, type DigestKind } from '../sinks/digest-chain.js';
import { listChains, readDigests } from '../sinks/duckdb/digests.js';
import { openReadOnly, type ExportedChain } from '../sinks/duckdb/verify.js';

interface ExportArgs {
  store?: string;
  'data-dir': string;
  location?: string;
  entries: boolean;
}

interface KeyArgs {
  'data-dir': string;
  'signing-key'?: string;
}

async function write(text: string): Promise<void> {
  if (!process.stdout.write(text)) await new Promise<void>((r) => process.stdout.once('drain', () => r()));
}

/** One exported digest: every field its hash covers, so the line alone can be rechecked. */
function exportLine(d: Digest, entries: boolean): string {
  const { entries: text, ...header } = d;
  return `${JSON.stringify(entries ? { ...header, entries: text } : header)}\n`;
}

async function exportDigests(args: ExportArgs): Promise<void> {
  const store = await openReadOnly(args.store ?? defaultStorePath(args['data-dir']));
  try {
    for (const l of (await listChains(store.conn)).locations) {
      if (!l.hasDigests || (args.location !== undefined && l.location !== args.location)) continue;
      for await (const d of readDigests(store.conn, l.location)) await write(exportLine(d, args.entries));
    }
  } finally {
    store.close();
  }
}

const FIELDS: [keyof Digest, 'string' | 'number' | 'nullable'][] = [
  ['location', 'string'],
  ['seq', 'number'],
  ['kind', 'string'],
  ['committedAt', 'string'],
  ['events', 'number'],
  ['columns', 'string'],
  ['previous', 'string'],
  ['digest', 'string'],
  ['signature', 'nullable'],
  ['keyId', 'nullable'],
];

/**
 * Reads an exported chain. Each line with entries must hash to its digest: an auditor's copy that does
 * not is refused, since nothing checked against it would mean anything.
 */
export function readExportedChain(file: string): ExportedChain {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new AuditlineError('AL_SOURCE_IO', `the digest file cannot be read (${(e as NodeJS.ErrnoException).code ?? 'error'})`, { file }, { cause: e });
  }
  const chain: ExportedChain = new Map();
  text.split('\n').forEach((line, i) => {
    if (line.trim() === '') return;
    const at = { file, line: i + 1 };
    let o: Record<string, unknown>;
    try {
      o = JSON.parse(line) as Record<string, unknown>;
    } catch {
      throw new AuditlineError('AL_DIGESTS_INVALID', 'not JSON', at);
    }
    for (const [k, type] of FIELDS) {
      const v = o[k];
      if (type === 'nullable' ? v !== null && typeof v !== 'string' : typeof v !== type)
        throw new AuditlineError('AL_DIGESTS_INVALID', `field "${k}" is missing or not a ${type}`, at);
    }
    const hasEntries = typeof o.entries === 'string';
    const d = { ...(o as unknown as Digest), kind: o.kind as DigestKind, entries: hasEntries ? (o.entries as string) : '', hasEntries };
    if (hasEntries && digestOf(d, d.entries) !== d.digest)
      throw new AuditlineError('AL_DIGESTS_INVALID', `digest ${d.seq} of ${d.location} does not hash to its recorded value`, at);
    let byLocation = chain.get(d.location);
    if (!byLocation) chain.set(d.location, (byLocation = new Map()));
    byLocation.set(d.seq, d);
  });
  return chain;
}

const storeOptions = <T>(y: Argv<T>) =>
  y
    .option('store', { type: 'string', describe: 'DuckDB file (default <data-dir>/auditline.duckdb)' })
    .option('data-dir', { type: 'string', default: 'auditline-data' })
    .option('location', { type: 'string', describe: 'only this location (e.g. us-south)' });

const keyOptions = <T>(y: Argv<T>) =>
  y
    .option('data-dir', { type: 'string', default: 'auditline-data' })
    .option('signing-key', { type: 'string', describe: 'the Ed25519 key file (default $AUDITLINE_SIGNING_KEY_FILE, else <data-dir>/signing.key)' });

export const digestsCommand: CommandModule<object, never> = {
  command: 'digests <action>',
  describe: 'The tamper-evidence chain: export it, create the signing key, print its public key',
  builder: (y) =>
    y
      .command({
        command: 'export',
        describe: 'Write every digest of the store as NDJSON (location, seq, digest, signature, entries) for an auditor to keep elsewhere',
        builder: (b: Argv) =>
          storeOptions(b).option('entries', {
            type: 'boolean',
            default: true,
            describe: "include each digest's event ids and row hashes (--no-entries: heads only)",
          }),
        handler: (args) => exportDigests(args as unknown as ExportArgs),
      })
      .command({
        command: 'keygen',
        describe: 'Create the Ed25519 key that signs digests from now on (never replaces one), and print its public key',
        builder: (b: Argv) => keyOptions(b),
        handler: async (a) => {
          const args = a as unknown as KeyArgs;
          const path = signingKeyPath({ dataDir: args['data-dir'], file: args['signing-key'] });
          const key = createSigningKeyFile(path, args['data-dir']);
          process.stderr.write(`auditline: signing key ${key.keyId} created in ${path}; digests of every later write are signed\n`);
          await write(key.publicKeyPem);
        },
      })
      .command({
        command: 'public-key',
        describe: 'Print the public key of the signing key (PEM), for auditors',
        builder: (b: Argv) => keyOptions(b),
        handler: async (a) => {
          const args = a as unknown as KeyArgs;
          const key = loadSigningKey({ dataDir: args['data-dir'], file: args['signing-key'] ?? signingKeyPath({ dataDir: args['data-dir'] }) });
          if (key) await write(key.publicKeyPem);
        },
      })
      .demandCommand(1, 'name an action: export, keygen or public-key') as never,
  handler: () => undefined,
};
