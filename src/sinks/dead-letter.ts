import type { Rejected } from '../model/records.js';
import { AppendFile } from './append-file.js';

/**
 * Rejected lines, one JSON object each: reason code, source, line number, redacted text.
 * `write` appends; `sync` makes everything appended so far durable, and is called before
 * the batches those entries belong to are acknowledged.
 */
export interface DeadLetterSink {
  readonly path: string | undefined;
  write(rejects: readonly Rejected[]): void;
  sync(): void;
  close(): void;
}

export function openDeadLetter(path: string | undefined): DeadLetterSink {
  if (!path) return { path, write: () => undefined, sync: () => undefined, close: () => undefined };
  const file = new AppendFile(path);
  return {
    path,
    write(rejects) {
      if (rejects.length === 0) return;
      file.append(`${rejects.map((r) => JSON.stringify(r)).join('\n')}\n`);
    },
    sync: () => file.sync(),
    close: () => file.close(),
  };
}
