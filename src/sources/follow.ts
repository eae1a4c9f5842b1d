import { createHash } from 'node:crypto';
import { open, readdir, stat, type FileHandle } from 'node:fs/promises';
import { basename, join, resolve, sep } from 'node:path';
import { glob, isDynamicPattern } from 'tinyglobby';
import { AuditlineError } from '../errors.js';
import { ByteChunker, CHUNK_BYTES, type ByteChunk } from './chunks.js';
import { saveFollowState, type FollowedFile, type HeadPrint } from './follow-state.js';
import { DEFAULT_MAX_LINE_BYTES } from './lines.js';

export interface FollowerOptions {
  /** Files, folders (their files, recursively) and globs. A file that does not exist yet is waited for. */
  paths: string[];
  /** Where offsets are kept (sources/follow-state.ts) */
  statePath: string;
  /** What the state file held when the follower started */
  state: FollowedFile[];
  /**
   * Paths never followed, with what is in them or named after them: the data folder, the store (and
   * its `.wal`), the dead-letter file, the state file, the key file. A followed folder that holds
   * them would otherwise feed the follower its own output, or its key.
   */
  exclude?: string[];
  maxLineBytes?: number;
  /** Bytes per chunk handed to the engine (sources/chunks.ts) */
  chunkBytes?: number;
  /** How often folders and globs are listed again, for new files and rotated names. Default 5,000 ms. */
  rescanMs?: number;
  /**
   * A file no longer found under a followed name (renamed away, deleted) is still read through its
   * open handle, because its writer may not have reopened yet; once it has not grown for this long,
   * its unterminated last line is read too and it is let go. Default 10,000 ms, and never less than
   * two listings, so a file renamed within a followed folder is found under its new name first.
   */
  releaseAfterMs?: number;
  /** Bytes of one file read per cycle, so a backlog is committed (and its offset saved) in steps. Default 8 MiB. */
  cycleBytes?: number;
  /** What an operator would want in a log: files rotated, truncated, copied, let go. */
  onNotice?: (message: string) => void;
}

/** One cycle of one file: its new complete lines, committed by the caller once they are durable. */
export interface FileRead {
  /** The file's current name: the engine source's name */
  readonly name: string;
  /** Bytes between the committed offset and the end of the file when the cycle was planned */
  readonly pendingBytes: number;
  /** Complete lines from the committed offset; stops at the next chunk boundary once `stop()` is true. */
  chunks(stop: () => boolean): AsyncGenerator<ByteChunk>;
  /** Set once `chunks` is done: the cycle stopped at its byte limit with more to read. */
  readonly more: boolean;
  /** Every chunk yielded is durable: the file's offset moves past them. */
  commit(): Promise<void>;
}

export const DEFAULT_RESCAN_MS = 5000;
export const DEFAULT_RELEASE_AFTER_MS = 10_000;
const DEFAULT_CYCLE_BYTES = 8 * 1024 * 1024;
/**
 * Bytes of a file's start that identify its content. A new file whose first KiB matches a followed
 * one is a copy of it (copy-truncate rotation) and inherits its offset; a followed file whose first
 * bytes changed was truncated and rewritten, even if it grew past the offset between two polls.
 * Shorter prints are kept to detect rewrites but never used to match a copy: two files that start
 * with the same short line are common, and inheriting the wrong offset would skip lines.
 */
const HEAD_BYTES = 1024;
/** Rotated archives are finished copies of lines already read, and compressed: never followed. */
const COMPRESSED = /\.(gz|bz2|xz|zst|lz4|zip)$/i;

interface Entry extends FollowedFile {
  /** Absent for a file known from the state file that has not been found yet. */
  handle?: FileHandle;
  /** A read needs the file to grow past this: the bytes after the last newline were already looked at. */
  scannedTo: number;
  size: number;
  changedAt: number;
  /** When the file was first missing from the followed names */
  goneSince?: number;
}

interface FormerPrint {
  path: string;
  offset: number;
  line: number;
}

interface Found {
  name: string;
  dev: string;
  ino: string;
  size: number;
}

/**
 * Follows files like `tail -F`, by polling: `fs.watch` misses events on network and overlay file
 * systems, reports renames differently per platform and says nothing of a file truncated and
 * rewritten, while a stat per file per poll is cheap and behaves the same everywhere.
 *
 * A file is known by device and inode, so one renamed by rotation is neither lost (its handle
 * stays open and is read to its end) nor read again under its new name; the digest of its first
 * bytes tells truncation, a reused inode, and a copy of a followed file (copy-truncate rotation).
 * One scan at a time: the reads it returns are committed (or given up with the run) before the next.
 */
export class Follower {
  private readonly entries = new Map<string, Entry>();
  private names: string[] = [];
  private nextListing = 0;
  private readonly startedAt = Date.now();
  private readonly exclude: string[];
  private readonly releaseAfterMs: number;
  private readonly rescanMs: number;
  private waitingNoticed = false;
  /** The state last written, to skip writing it again unchanged */
  private saved: string | undefined;
  private readonly formerPrints = new Map<string, FormerPrint & { at: number }>();

  constructor(private readonly opts: FollowerOptions) {
    this.exclude = (opts.exclude ?? []).map((p) => resolve(p));
    this.rescanMs = opts.rescanMs ?? DEFAULT_RESCAN_MS;
    this.releaseAfterMs = Math.max(opts.releaseAfterMs ?? DEFAULT_RELEASE_AFTER_MS, 2 * this.rescanMs);
    for (const f of opts.state) this.entries.set(idOf(f), { ...f, scannedTo: f.offset, size: f.offset, changedAt: this.startedAt });
  }

  /** Looks at every followed file once and plans a read of each that has new bytes. */
  async scan(): Promise<FileRead[]> {
    const now = Date.now();
    if (now >= this.nextListing) {
      this.names = await listFollowed(this.opts.paths, this.exclude);
      this.nextListing = now + this.rescanMs;
      if (this.names.length === 0 && !this.waitingNoticed) this.notice(`waiting for files to follow: ${this.opts.paths.join(' ')}`);
      this.waitingNoticed = this.names.length === 0;
    }
    const found = new Map<string, Found>();
    for (const name of this.names) {
      const f = await statFile(name);
      if (f && !found.has(idOf(f))) found.set(idOf(f), f);
    }
    for (const [sha256, p] of this.formerPrints) if (now - p.at >= this.releaseAfterMs) this.formerPrints.delete(sha256);
    for (const [id, f] of found) await this.place(id, f, now);
    for (const e of [...this.entries.values()]) if (!found.has(idOf(e))) await this.miss(e, now);

    const reads: FileRead[] = [];
    for (const e of [...this.entries.values()]) {
      if (!e.handle) continue;
      if (e.size > e.scannedTo) reads.push(this.read(e, false));
      else if (e.goneSince !== undefined && now - Math.max(e.changedAt, e.goneSince) >= this.releaseAfterMs) {
        if (e.offset < e.size) reads.push(this.read(e, true));
        else await this.release(e);
      }
    }
    return reads;
  }

  /** Offsets of every file followed or still known, as the state file keeps them. */
  state(): FollowedFile[] {
    return [...this.entries.values()].map(({ path, dev, ino, offset, line, head }) =>
      head ? { path, dev, ino, offset, line, head } : { path, dev, ino, offset, line },
    );
  }

  /** Writes the state file when it changed: an idle follower does not fsync once a poll. */
  async save(): Promise<void> {
    const files = this.state();
    const text = JSON.stringify(files);
    if (text === this.saved) return;
    await saveFollowState(this.opts.statePath, files);
    this.saved = text;
  }

  async close(): Promise<void> {
    for (const e of this.entries.values()) {
      await e.handle?.close();
      delete e.handle;
    }
  }

  /** A file found under a followed name: one already open, one known from the last run, or a new one. */
  private async place(id: string, f: Found, now: number): Promise<void> {
    const known = this.entries.get(id);
    if (known?.handle) {
      if (known.path !== f.name) this.notice(`${known.path} is now ${f.name}`);
      known.path = f.name;
      delete known.goneSince;
      if (f.size !== known.size) {
        known.size = f.size;
        known.changedAt = now;
        if (f.size < known.offset) this.restart(known, 'was truncated');
        else if (!(await headMatches(known.handle, known.head, known.path))) this.restart(known, 'was rewritten');
      }
      return;
    }
    const handle = await openFile(f.name);
    if (!handle) return;
    const st = await io(f.name, handle.stat({ bigint: true }));
    // Replaced between the stat and the open: the next scan finds the new file.
    if (`${st.dev}:${st.ino}` !== id || !st.isFile()) return void (await handle.close());
    const size = Number(st.size);
    if (known && size >= known.offset && (await headMatches(handle, known.head, f.name))) {
      Object.assign(known, { handle, path: f.name, size, changedAt: now });
      if (known.offset > 0) this.notice(`${f.name}: resuming at line ${known.line}`);
      return;
    }
    if (known) this.forget(known, now);
    const entry: Entry = { path: f.name, dev: f.dev, ino: f.ino, offset: 0, line: 1, handle, scannedTo: 0, size, changedAt: now };
    const head = size >= HEAD_BYTES ? await headOf(handle, HEAD_BYTES, f.name) : undefined;
    const original = head && this.original(head.sha256, id);
    if (original && original.offset <= size) {
      Object.assign(entry, { offset: original.offset, line: original.line, scannedTo: original.offset, head });
      this.notice(`${f.name} is a copy of ${original.path}: reading it from line ${original.line}`);
    }
    this.entries.set(id, entry);
  }

  /** The followed file (or one whose offset was just given up) a new file with this print is a copy of. */
  private original(sha256: string, id: string): FormerPrint | undefined {
    for (const e of this.entries.values()) if (e.head?.bytes === HEAD_BYTES && e.head.sha256 === sha256 && idOf(e) !== id) return e;
    return this.formerPrints.get(sha256);
  }

  /**
   * An offset given up (the file was truncated, or its inode now holds another file) is kept by its
   * print for a while: in copy-truncate rotation the copy is often listed only after the truncation
   * was seen, and it should go on from that offset instead of being read again from its start.
   */
  private forget(e: Entry, now: number): void {
    if (e.head?.bytes === HEAD_BYTES) this.formerPrints.set(e.head.sha256, { path: e.path, offset: e.offset, line: e.line, at: now });
  }

  /** A file not found under any followed name this scan. */
  private async miss(e: Entry, now: number): Promise<void> {
    if (!e.handle) {
      // Known from the last run and not seen since: rotated away while nobody was reading.
      if (now - this.startedAt >= this.releaseAfterMs) this.entries.delete(idOf(e));
      return;
    }
    e.goneSince ??= now;
    const size = Number((await io(e.path, e.handle.stat())).size);
    if (size !== e.size) {
      e.size = size;
      e.changedAt = now;
      if (size < e.offset) this.restart(e, 'was truncated');
    }
  }

  private restart(e: Entry, why: string): void {
    this.notice(`${e.path} ${why}: reading it from the start`);
    this.forget(e, Date.now());
    Object.assign(e, { offset: 0, line: 1, scannedTo: 0 });
    delete e.head;
  }

  private async release(e: Entry): Promise<void> {
    this.notice(`${e.path}: read to its end and no longer followed`);
    this.entries.delete(idOf(e));
    await e.handle?.close();
  }

  private notice(message: string): void {
    this.opts.onNotice?.(message);
  }

  /**
   * Plans one cycle. With `last`, the file is let go afterwards, so its unterminated last line is
   * read as a line; otherwise only up to the last newline, since the writer may be mid-line.
   */
  private read(e: Entry, last: boolean): FileRead {
    const handle = e.handle!;
    const start = { offset: e.offset, line: e.line, head: e.head };
    const maxLineBytes = this.opts.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES;
    const cycleBytes = this.opts.cycleBytes ?? DEFAULT_CYCLE_BYTES;
    let done: { offset: number; line: number; scannedTo: number; head: HeadPrint | undefined; final: boolean } | undefined;
    let more = false;
    const chunkBytes = this.opts.chunkBytes;
    return {
      name: e.path,
      pendingBytes: e.size - e.offset,
      get more() {
        return more;
      },
      async *chunks(stop) {
        const chunker = new ByteChunker(e.path, maxLineBytes, chunkBytes);
        let pos = start.offset;
        let consumed = start.offset;
        // The chunker numbers lines from 1 and counts oversized lines' bytes outside its chunks.
        const rebased = (c: ByteChunk): ByteChunk => {
          consumed += c.bytes.byteLength + (c.oversizedFirst?.bytes ?? 0);
          return { ...c, firstLine: c.firstLine + start.line - 1 };
        };
        for (;;) {
          if (consumed - start.offset >= cycleBytes) more = true;
          if (more || stop()) break;
          const buf = Buffer.allocUnsafe(CHUNK_BYTES);
          const { bytesRead } = await io(e.path, handle.read(buf, 0, buf.length, pos));
          if (bytesRead === 0) break;
          // A byte-order mark opening the file is no part of its first line (JSON.parse refuses it); its bytes still count in the offset.
          const bom = pos === 0 && bytesRead >= UTF8_BOM.length && UTF8_BOM.equals(buf.subarray(0, UTF8_BOM.length)) ? UTF8_BOM.length : 0;
          consumed += bom;
          pos += bytesRead;
          for (const c of chunker.push(buf.subarray(bom, bytesRead))) yield rebased(c);
        }
        const stopped = more || stop();
        // Complete lines still buffered; the partial line after the last newline waits for the next cycle.
        const salvaged = chunker.salvage();
        for (const c of salvaged.chunks) yield rebased(c);
        const final = last && !stopped;
        if (final) for (const c of chunker.end()) yield rebased(c);
        const headBytes = Math.min(HEAD_BYTES, consumed);
        const head = (start.head?.bytes ?? 0) < headBytes ? await headOf(handle, headBytes, e.path) : start.head;
        done = { offset: consumed, line: start.line + salvaged.lostLine - 1, scannedTo: stopped ? consumed : pos, head, final };
      },
      commit: async () => {
        if (!done) throw new AuditlineError('AL_INTERNAL', `commit of ${e.path} before its chunks were read`);
        if (done.final) return this.release(e);
        Object.assign(e, { offset: done.offset, line: done.line, scannedTo: done.scannedTo });
        if (done.head) e.head = done.head;
      },
    };
  }
}

const UTF8_BOM = Buffer.from([0xef, 0xbb, 0xbf]);

function idOf(f: { dev: string; ino: string }): string {
  return `${f.dev}:${f.ino}`;
}

/**
 * The followed names now: explicit files (existing or not), folders' files recursively and glob
 * matches, without hidden files (editors' swap files, our own temporary state), compressed files
 * and excluded paths.
 */
async function listFollowed(paths: string[], exclude: string[]): Promise<string[]> {
  const names = new Set<string>();
  for (const p of paths) {
    let found: string[];
    if (isDynamicPattern(p)) found = (await glob(p, { onlyFiles: true, expandDirectories: false })).sort();
    else if ((await statFile(p, true))?.folder) found = (await filesUnder(p)).filter((name) => !basename(name).startsWith('.'));
    else found = [p];
    for (const name of found) if (!COMPRESSED.test(name) && !isExcluded(resolve(name), exclude)) names.add(name);
  }
  return [...names];
}

/** The path itself, a file in it (a folder), or one named after it (`auditline.duckdb.wal`, `follow-state.json.tmp-…`). */
function isExcluded(full: string, exclude: string[]): boolean {
  return exclude.some((x) => full === x || full.startsWith(`${x}${sep}`) || full.startsWith(`${x}.`));
}

async function filesUnder(dir: string): Promise<string[]> {
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch (e) {
    if (isMissing(e)) return [];
    throw ioError(dir, e);
  }
  const files: string[] = [];
  for (const d of entries.sort((a, b) => a.name.localeCompare(b.name))) {
    const full = join(dir, d.name);
    if (d.isDirectory()) files.push(...(await filesUnder(full)));
    else if (d.isFile() || d.isSymbolicLink()) files.push(full);
  }
  return files;
}

/** A regular file's identity and size (a folder only when asked), or nothing for a name that does not exist (now). */
async function statFile(name: string, folders = false): Promise<(Found & { folder: boolean }) | undefined> {
  try {
    const st = await stat(name, { bigint: true });
    if (!st.isFile() && !(folders && st.isDirectory())) return undefined;
    return { name, dev: String(st.dev), ino: String(st.ino), size: Number(st.size), folder: st.isDirectory() };
  } catch (e) {
    if (isMissing(e)) return undefined;
    throw ioError(name, e);
  }
}

async function openFile(name: string): Promise<FileHandle | undefined> {
  try {
    return await open(name, 'r');
  } catch (e) {
    if (isMissing(e)) return undefined;
    throw ioError(name, e);
  }
}

/** An I/O failure on a followed file stops the follower with the file's name, like one of a batch run. */
async function io<T>(name: string, operation: Promise<T>): Promise<T> {
  try {
    return await operation;
  } catch (e) {
    throw ioError(name, e);
  }
}

async function headOf(handle: FileHandle, bytes: number, name: string): Promise<HeadPrint | undefined> {
  const buf = Buffer.alloc(bytes);
  const { bytesRead } = await io(name, handle.read(buf, 0, bytes, 0));
  if (bytesRead < bytes) return undefined;
  return { bytes, sha256: createHash('sha256').update(buf).digest('hex') };
}

/** Whether the file still starts with the bytes it started with when they were read (always, before any print). */
async function headMatches(handle: FileHandle, head: HeadPrint | undefined, name: string): Promise<boolean> {
  if (!head) return true;
  return (await headOf(handle, head.bytes, name))?.sha256 === head.sha256;
}

/** Files vanish between a listing and a stat during rotation: that is not an error. */
function isMissing(e: unknown): boolean {
  const code = (e as NodeJS.ErrnoException).code;
  return code === 'ENOENT' || code === 'ENOTDIR';
}

function ioError(name: string, cause: unknown): AuditlineError {
  return new AuditlineError(
    'AL_SOURCE_IO',
    `cannot follow "${name}": ${(cause as NodeJS.ErrnoException).code ?? (cause as Error).message}`,
    { file: resolve(name) },
    { cause },
  );
}
