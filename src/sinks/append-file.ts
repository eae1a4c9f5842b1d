import { closeSync, existsSync, fstatSync, fsyncSync, ftruncateSync, mkdirSync, openSync, readSync, statSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';

const NEWLINE = 0x0a;

/**
 * An append-only file of lines written with synchronous writes of whole batches, no stream
 * buffering between "written" and "acknowledged". `sync` makes what was appended durable (fsync
 * of the file, and of its folder when the file is new, so the name survives a crash too);
 * callers sync once per write, a group commit. A file found ending inside a line (a crash tore
 * the last write) gets a newline before the first append, so the torn piece stays a line of its
 * own instead of running into the next one.
 */
export class AppendFile {
  private fd: number;
  private dirty = false;
  private newFile: boolean;
  private torn: boolean;

  constructor(readonly path: string) {
    mkdirSync(dirname(path), { recursive: true });
    this.newFile = !existsSync(path);
    this.torn = !this.newFile && endsInsideLine(path);
    this.fd = openSync(path, 'a', 0o600);
  }

  append(text: string): void {
    if (text.length === 0) return;
    this.mend();
    writeSync(this.fd, text);
    this.dirty = true;
  }

  /** Appends `bytes[start, end)`, all of it (a write may take fewer bytes than given). */
  appendBytes(bytes: Uint8Array, start: number, end: number): void {
    if (end <= start) return;
    this.mend();
    for (let at = start; at < end;) at += writeSync(this.fd, bytes, at, end - at);
    this.dirty = true;
  }

  /** Bytes in the file now, appended ones included. */
  size(): number {
    return fstatSync(this.fd).size;
  }

  /** Cuts the file back to `size` bytes (an aborted write's appends), durably. */
  truncate(size: number): void {
    ftruncateSync(this.fd, size);
    fsyncSync(this.fd);
    this.dirty = false;
    this.torn = endsInsideLine(this.path);
  }

  sync(): void {
    if (this.fd < 0 || !this.dirty) return;
    fsyncSync(this.fd);
    this.dirty = false;
    if (this.newFile) {
      syncFolder(dirname(this.path));
      this.newFile = false;
    }
  }

  close(): void {
    if (this.fd < 0) return;
    this.sync();
    closeSync(this.fd);
    this.fd = -1;
  }

  private mend(): void {
    if (!this.torn) return;
    writeSync(this.fd, '\n');
    this.torn = false;
  }
}

/** A regular file whose last byte is not a newline. */
function endsInsideLine(path: string): boolean {
  const stat = statSync(path);
  if (!stat.isFile() || stat.size === 0) return false;
  const fd = openSync(path, 'r');
  try {
    const last = Buffer.alloc(1);
    readSync(fd, last, 0, 1, stat.size - 1);
    return last[0] !== NEWLINE;
  } finally {
    closeSync(fd);
  }
}

function syncFolder(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}
