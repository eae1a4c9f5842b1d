import { mkdir, open, readFile, rename, unlink } from 'node:fs/promises';
import { dirname } from 'node:path';
import { AuditlineError } from '../errors.js';

/** A digest of a file's first bytes: tells a file from another that took its inode or its content. */
export interface HeadPrint {
  bytes: number;
  sha256: string;
}

/** Where reading of one followed file stands: every line before `offset` is durable. */
export interface FollowedFile {
  /** The name it was last seen under */
  path: string;
  /** Device and inode numbers, as decimal strings: inode numbers can exceed 2^53. */
  dev: string;
  ino: string;
  offset: number;
  /** The number of the line at `offset` */
  line: number;
  head?: HeadPrint;
}

interface StateFile {
  version: 1;
  files: FollowedFile[];
}

/** The state of a first run: no state file yet. */
export async function loadFollowState(path: string): Promise<FollowedFile[]> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (cause) {
    if ((cause as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw new AuditlineError('AL_SOURCE_IO', `cannot read the follow state: ${(cause as Error).message}`, { file: path }, { cause });
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (cause) {
    throw damaged(path, (cause as Error).message);
  }
  if (!isStateFile(parsed)) throw damaged(path, 'not a version 1 follow state');
  return parsed.files;
}

/**
 * A damaged state file stops the follower rather than being ignored: starting over re-reads
 * every followed file, which stores nothing twice but may be far more work than the operator wants.
 */
function damaged(path: string, why: string): AuditlineError {
  return new AuditlineError('AL_SOURCE_IO', `the follow state is damaged (${why}); move it away to read every followed file from its start`, { file: path });
}

function isStateFile(v: unknown): v is StateFile {
  if (typeof v !== 'object' || v === null) return false;
  const s = v as Partial<StateFile>;
  return s.version === 1 && Array.isArray(s.files) && s.files.every(isFollowedFile);
}

function isFollowedFile(v: unknown): v is FollowedFile {
  if (typeof v !== 'object' || v === null) return false;
  const f = v as Partial<FollowedFile>;
  const count = (n: unknown) => typeof n === 'number' && Number.isSafeInteger(n) && n >= 0;
  const head = f.head === undefined || (typeof f.head === 'object' && f.head !== null && count(f.head.bytes) && typeof f.head.sha256 === 'string');
  return typeof f.path === 'string' && typeof f.dev === 'string' && typeof f.ino === 'string' && count(f.offset) && count(f.line) && f.line! >= 1 && head;
}

/**
 * Replaces the state file atomically: a crash leaves the old state or the new one, never a torn
 * file. The temporary file is fsynced before the rename and the folder after it, so the rename
 * itself survives a power loss.
 */
export async function saveFollowState(path: string, files: FollowedFile[]): Promise<void> {
  try {
    await replaceFile(path, files);
  } catch (cause) {
    // Our own output, as the store and the dead-letter file: a full or read-only disk here is exit 4 as there.
    throw new AuditlineError('AL_SINK_IO', `cannot write the follow state: ${(cause as Error).message}`, { file: path }, { cause });
  }
}

async function replaceFile(path: string, files: FollowedFile[]): Promise<void> {
  const state: StateFile = { version: 1, files };
  const temp = `${path}.tmp-${process.pid}`;
  await mkdir(dirname(path), { recursive: true });
  const handle = await open(temp, 'w', 0o600);
  try {
    await handle.writeFile(`${JSON.stringify(state, null, 1)}\n`);
    await handle.sync();
  } catch (e) {
    await handle.close();
    await unlink(temp).catch(() => undefined);
    throw e;
  }
  await handle.close();
  await rename(temp, path);
  await syncFolder(dirname(path));
}

async function syncFolder(dir: string): Promise<void> {
  // Windows cannot open a folder for fsync; NTFS journals the rename itself.
  if (process.platform === 'win32') return;
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
