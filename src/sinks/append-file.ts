import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';

/**
 * An append-only file written with synchronous writes of whole batches: one syscall per
 * batch, no stream buffering between "written" and "acknowledged". `sync` makes what was
 * appended durable (fsync of the file, and of its folder when the file is new, so the
 * name survives a crash too); callers sync once per write, a group commit.
 */
export class AppendFile {
  private fd: number;
  private dirty = false;
  private newFile: boolean;

  constructor(readonly path: string) {
    mkdirSync(dirname(path), { recursive: true });
    this.newFile = !existsSync(path);
    this.fd = openSync(path, 'a', 0o600);
  }

  append(text: string): void {
    if (text.length === 0) return;
    writeSync(this.fd, text);
    this.dirty = true;
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
}

function syncFolder(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}
