import type { Rejected } from '../model/records.js';
import { AppendFile } from './append-file.js';

/** Rejected lines, one JSON object each: reason code, source, line number, redacted text. */
export interface DeadLetterSink {
  write(rejects: Rejected[]): void;
  close(): void;
}

export function openDeadLetter(path: string | undefined): DeadLetterSink {
  if (!path) return { write: () => undefined, close: () => undefined };
  const file = new AppendFile(path);
  return {
    write(rejects) {
      if (rejects.length === 0) return;
      file.append(`${rejects.map((r) => JSON.stringify(r)).join('\n')}\n`);
    },
    close: () => file.close(),
  };
}
