import { closeSync, fsyncSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';

/**
 * An append-only file written with synchronous writes of whole batches: one
 * syscall per batch, no stream buffering between "written" and "acknowledged".
 * `close` fsyncs so a finished run is durable.
 */
export class AppendFile {
  private fd: number;

  constructor(readonly path: string) {
    mkdirSync(dirname(path), { recursive: true });
    this.fd = openSync(path, 'a', 0o600);
  }

  append(text: string): void {
    if (text.length > 0) writeSync(this.fd, text);
  }

  close(): void {
    if (this.fd < 0) return;
    fsyncSync(this.fd);
    closeSync(this.fd);
    this.fd = -1;
  }
}
