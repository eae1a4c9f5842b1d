#!/usr/bin/env -S MALLOC_ARENA_MAX=2 node --max-old-space-size=256 --max-semi-space-size=8
// Why these flags: cli/node-flags.ts.
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { AuditlineError, exitCodeOf } from '../errors.js';
import { corruptStoreError, diskHintOf } from './store-errors.js';
import { DUCKDB_ALLOCATOR_ENV } from './node-flags.js';
import type { CommandModule } from 'yargs';

// Before any command loads DuckDB, whose allocator reads it then.
for (const [name, value] of Object.entries(DUCKDB_ALLOCATOR_ENV)) process.env[name] ??= value;

/**
 * Every command, one file each, loaded only when it is the one run: `serve` brings an HTTP stack
 * and metrics, `es` the Elasticsearch client; loading them all made every `ingest` ~20 MB bigger.
 */
const COMMANDS: Record<string, () => Promise<CommandModule<object, never>>> = {
  ingest: async () => (await import('./ingest.js')).ingestCommand as never,
  serve: async () => (await import('./serve.js')).serveCommand as never,
  export: async () => (await import('./export.js')).exportCommand as never,
  validate: async () => (await import('./validate.js')).validateCommand as never,
  hash: async () => (await import('./hash.js')).hashCommand as never,
  es: async () => (await import('./es.js')).esCommand as never,
  search: async () => (await import('./search.js')).searchCommand as never,
  detect: async () => (await import('./detect.js')).detectCommand as never,
  verify: async () => (await import('./verify.js')).verifyCommand as never,
  digests: async () => (await import('./digests.js')).digestsCommand as never,
  ui: async () => (await import('./ui.js')).uiCommand as never,
};

/** The commands to register: the one named first on the command line, or all of them (help, a typo). */
async function commandsFor(argv: string[]): Promise<CommandModule<object, never>[]> {
  const named = argv[0] === undefined ? undefined : COMMANDS[argv[0]];
  return named ? [await named()] : Promise.all(Object.values(COMMANDS).map((load) => load()));
}

async function main(argv: string[]): Promise<void> {
  let cli = yargs(argv).scriptName('auditline').strict().demandCommand(1, 'name a command').recommendCommands().help();
  for (const command of await commandsFor(argv)) cli = cli.command(command);
  await cli
    .fail((message, error) => {
      if (error) throw error;
      throw new AuditlineError('AL_CLI_USAGE', message);
    })
    .parseAsync();
}

// `auditline export | head` closes the pipe early: that is the reader's choice, not an error.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(0);
  throw err;
});

main(hideBin(process.argv)).catch((thrown: unknown) => {
  const err = corruptStoreError(thrown) ?? thrown;
  // Messages of our own errors are written without secrets; anything else is a bug report.
  const code = err instanceof AuditlineError ? err.code : 'AL_INTERNAL';
  const hint = diskHintOf(err);
  process.stderr.write(`auditline: ${code}: ${err instanceof Error ? err.message : String(err)}\n${hint ? `auditline: ${hint}\n` : ''}`);
  process.exitCode = exitCodeOf(err);
});
