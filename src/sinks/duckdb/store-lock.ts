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
    `the store is held by the process ${holder.pid} (perhaps \`auditline serve\`): DuckDB lets one process open it while it writes; stop it, or go through it: export, search run and detect take --server URL, and ingest can send to its /v1/ingest`,
    { file: path, pid: holder.pid },
    { cause },
  );
}
