import { AuditlineError } from '../errors.js';

/**
 * DuckDB reports a store that fails its checks only in its message ("Corrupt database file: computed
 * checksum … does not match stored checksum … in block at location 4096", or "… exists, but it is not
 * a valid DuckDB database file!"), with no code, whether the store was opened to write (ingest,
 * serve) or to read (export, search, verify). Its text is the only signal; the error raised instead
 * has our own code, so a damaged store is not reported as a full disk or as a bug.
 */
const CORRUPT = /Corrupt database file[^\n]*|exists, but it is not a valid DuckDB database file/;

/** The error to report for `err` when DuckDB found the store damaged somewhere in its cause chain; undefined otherwise. */
export function corruptStoreError(err: unknown): AuditlineError | undefined {
  let file: string | undefined;
  for (let e: unknown = err; e instanceof Error; e = e.cause) {
    if (e instanceof AuditlineError && typeof e.context.file === 'string') file ??= e.context.file;
    const found = CORRUPT.exec(e.message);
    if (!found) continue;
    return new AuditlineError(
      'AL_STORE_CORRUPT',
      `the store fails DuckDB's own checks (${found[0]}); it was left as it is, nothing was written to it and it is not rebuilt: restore it from a backup`,
      file === undefined ? {} : { file },
      { cause: err },
    );
  }
  return undefined;
}

/**
 * What to do about a write that failed for want of space or permission. Node gives an errno code;
 * DuckDB only its message ("… No space left on device", "… Read-only file system").
 */
const DISK_HINTS: { codes: readonly string[]; text: RegExp; hint: string }[] = [
  {
    codes: ['ENOSPC', 'EDQUOT'],
    text: /No space left on device|Disk quota exceeded/,
    hint: 'the disk is full: nothing of the failed write was stored and everything committed before it is kept; free space and run again (lines already stored are skipped as duplicates)',
  },
  {
    codes: ['EROFS', 'EACCES', 'EPERM'],
    text: /Read-only file system|Permission denied/,
    hint: 'the store or its folder cannot be written (read-only file system or permissions); nothing was changed',
  },
];

/** A sentence to add to a sink error's message when the cause is a full or read-only disk. */
export function diskHintOf(err: unknown): string | undefined {
  if (!(err instanceof AuditlineError) || err.code !== 'AL_SINK_IO') return undefined;
  for (let e: unknown = err; e instanceof Error; e = e.cause) {
    const code = (e as NodeJS.ErrnoException).code;
    const found = DISK_HINTS.find((h) => (typeof code === 'string' && h.codes.includes(code)) || h.text.test(e.message));
    if (found) return found.hint;
  }
  return undefined;
}
