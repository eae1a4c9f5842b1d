import { readFileSync } from 'node:fs';
import type { CommandModule } from 'yargs';
import { AuditlineError } from '../errors.js';
import { loadHmacKey } from '../secrets/hmac-key.js';

interface HashArgs {
  value?: string;
  stdin: boolean;
  'data-dir': string;
  'key-file'?: string;
}

/**
 * `auditline hash <value>`: the fingerprint a redacted value has in the store, under the same
 * key `ingest` uses, so an analyst can find every event that touched a known secret.
 * `--stdin` reads the value instead, so it stays out of shell history and `ps`, and values that
 * start with `-` (which yargs would read as flags) can be hashed too.
 */
export const hashCommand: CommandModule<object, HashArgs> = {
  command: 'hash [value]',
  describe: 'Print the fingerprint (hmac-sha256:...) a redacted value has in the store',
  builder: (y) =>
    y
      // A string, always: yargs would otherwise turn `0123` into 123 and hash the wrong value.
      .positional('value', { type: 'string', describe: 'the secret value (or use --stdin)' })
      .option('stdin', { type: 'boolean', default: false, describe: 'read the value from stdin (one trailing line break is dropped)' })
      .option('data-dir', { type: 'string', default: 'auditline-data', describe: 'folder of the HMAC key (hmac.key)' })
      .option('key-file', { type: 'string', describe: 'HMAC key file (else AUDITLINE_HMAC_KEY, else <data-dir>/hmac.key)' }) as never,
  handler: (args) => {
    if (args.stdin === (args.value !== undefined)) {
      throw new AuditlineError('AL_CLI_USAGE', 'give the value to hash as an argument or with --stdin, not both');
    }
    const value = args.stdin ? readValueFromStdin() : String(args.value);
    const key = loadHmacKey({ dataDir: args['data-dir'], keyFile: args['key-file'], env: process.env });
    process.stdout.write(`${key.fingerprint(value)}\n`);
  },
};

/** The whole of stdin, without the one line break `echo` or a here-string adds. */
function readValueFromStdin(): string {
  return readFileSync(0, 'utf8').replace(/\r?\n$/, '');
}
