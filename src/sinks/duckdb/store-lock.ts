import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { AuditlineError, type ErrorCode } from '../../errors.js';

/**
 * DuckDB lets one process write a store file, and refuses every other open (read-only too) while
 * it does, naming the holder only in its message: "Could not set lock on file …: Conflicting lock
 * is held in /usr/bin/node (PID 1234)". DuckDB gives no code for it, so its text is the only signal;
 * the error we raise instead has our own code and names the process, so the user knows what to stop
 * or to read through (`--server`).
 */
const LOCK_HELD = /Conflicting lock is held in (.*?) \(PID (\d+)\)/;

export interface LockHolder {
  pid: number;
  program: string;
}

export function lockHolderOf(cause: unknown): LockHolder | undefined {
  const m = cause instanceof Error ? LOCK_HELD.exec(cause.message) : null;
  return m ? { program: m[1]!, pid: Number(m[2]) } : undefined;
}

/** The error for a store another process holds, or undefined when `cause` is something else. */
export function storeLockedError(cause: unknown, path: string, code: ErrorCode): AuditlineError | undefined {
  const holder = lockHolderOf(cause);
  if (!holder) return undefined;
  return new AuditlineError(
    code,
    `the store is held by the process ${holder.pid} (${holderCommand(holder.pid)}): DuckDB lets one process open it while it writes; stop it, or go through it: export, search run and detect take --server URL, and ingest can send to its /v1/ingest`,
    { file: path, pid: holder.pid },
    { cause },
  );
}

/** Commands that open a store; only these names are ever echoed from another process's arguments. */
const STORE_COMMANDS = new Set(['serve', 'ingest', 'ui', 'export', 'search', 'detect', 'verify', 'digests', 'validate']);

/**
 * Which auditline command holds the store, read from the holder's arguments where the system shows
 * them (Linux /proc). Only the command's name is taken: the rest of a command line may carry a token.
 */
function holderCommand(pid: number): string {
  let argv: string[];
  try {
    argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
  } catch {
    return 'perhaps `auditline serve`';
  }
  const at = argv.findIndex((a) => basename(a) === 'main.js' || basename(a) === 'auditline');
  const command = at >= 0 ? argv[at + 1] : undefined;
  return command !== undefined && STORE_COMMANDS.has(command) ? `\`auditline ${command}\`` : 'perhaps `auditline serve`';
}
