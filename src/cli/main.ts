#!/usr/bin/env -S MALLOC_ARENA_MAX=2 node --max-old-space-size=256 --max-semi-space-size=8
// Why these flags: cli/node-flags.ts.
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { AuditlineError, exitCodeOf } from '../errors.js';
import { esCommand } from './es.js';
import { detectCommand } from './detect.js';
import { exportCommand } from './export.js';
import { hashCommand } from './hash.js';
import { ingestCommand } from './ingest.js';
import { searchCommand } from './search.js';
import { serveCommand } from './serve.js';
import { validateCommand } from './validate.js';

/** Every command, one file each. */
const COMMANDS = [ingestCommand, serveCommand, exportCommand, validateCommand, hashCommand, esCommand, searchCommand, detectCommand];

async function main(argv: string[]): Promise<void> {
  let cli = yargs(argv).scriptName('auditline').strict().demandCommand(1, 'name a command').recommendCommands().help();
  for (const command of COMMANDS) cli = cli.command(command as never);
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

main(hideBin(process.argv)).catch((err: unknown) => {
  // Messages of our own errors are written without secrets; anything else is a bug report.
  const code = err instanceof AuditlineError ? err.code : 'AL_INTERNAL';
  process.stderr.write(`auditline: ${code}: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = exitCodeOf(err);
});
