import { createReadStream, statSync, type Stats } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { pipeline, Transform, type Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { glob, isDynamicPattern } from 'tinyglobby';
import { AuditlineError } from '../errors.js';
import { isJsonDocumentName, readJsonArrayBatches, sniffJsonDocument } from './json-array.js';
import { ByteChunker, type InputChunk } from './chunks.js';
import { DEFAULT_BATCH_LINES, DEFAULT_MAX_LINE_BYTES, LineSplitter, type LineBatch } from './lines.js';

/** One input to read: a file (plain or gzip) or stdin. */
export interface InputSource {
  /** Name used in counts, events (auditline.source) and the dead-letter file */
  name: string;
  bytes: number | undefined;
  open(): Readable;
}

const READ_CHUNK_BYTES = 256 * 1024;

/**
 * How far a `.gz` input may inflate before the rest of it is taken for a gzip bomb, not input. The
 * line path reads a bomb in bounded memory, but it would still spend minutes of CPU on gigabytes
 * nobody logged; a JSON document assembles each element whole, so there it would cost memory too.
 */
export interface InflateLimits {
  /** Decompressed bytes one `.gz` may yield in all. Default `DEFAULT_INFLATE_LIMITS.maxBytes`, 32 GiB. */
  maxBytes: number;
  /**
   * Decompressed bytes per compressed byte read, checked once `ratioAfterBytes` have come out.
   * Default 200: deflate tops out near 1032:1, so a bomb sits near it, while our logs inflate about
   * 4:1 (the fixtures, gzip -9) and very repetitive JSON lines some tens to one.
   */
  maxRatio: number;
  /** Below this many decompressed bytes (default 64 MiB) the ratio is not checked: a small file may compress very well. */
  ratioAfterBytes: number;
}

export const DEFAULT_INFLATE_LIMITS: InflateLimits = { maxBytes: 32 * 1024 ** 3, maxRatio: 200, ratioAfterBytes: 64 * 1024 * 1024 };

export interface ExpandOptions {
  /** Limits on `.gz` inputs, each defaulting to `DEFAULT_INFLATE_LIMITS`. */
  inflate?: Partial<InflateLimits>;
}

/** A `.gz` input passed one of its inflate limits: the reader stops there (reject code `source_decompression_limit`). */
export class InflateLimitError extends Error {}

/**
 * Expands the command-line paths: files, folders (recursive, sorted for stable
 * output), glob patterns, and `-` for stdin. A path that does not exist stops the run:
 * that is an I/O error, not a bad record.
 */
export async function expandInputs(paths: string[], stdin: Readable = process.stdin, opts: ExpandOptions = {}): Promise<InputSource[]> {
  const limits: InflateLimits = { ...DEFAULT_INFLATE_LIMITS, ...opts.inflate };
  const fileSource = (path: string, stats: Stats) => openFile(path, stats, limits);
  const out: InputSource[] = [];
  for (const p of paths) {
    if (p === '-') {
      out.push({ name: '-', bytes: undefined, open: () => stdin });
      continue;
    }
    if (isDynamicPattern(p)) {
      const matches = (await glob(p, { onlyFiles: true, absolute: false, expandDirectories: false })).sort();
      for (const m of matches) out.push(fileSource(m, statOrThrow(m)));
      continue;
    }
    const stats = statOrThrow(p);
    if (stats.isDirectory()) {
      for (const f of await listFiles(p)) out.push(fileSource(f, statSync(f)));
    } else {
      out.push(fileSource(p, stats));
    }
  }
  if (out.length === 0) throw new AuditlineError('AL_SOURCE_EMPTY', `no input file matched: ${paths.join(' ')}`);
  return out;
}

function statOrThrow(p: string): Stats {
  try {
    return statSync(p);
  } catch (cause) {
    throw new AuditlineError(
      'AL_SOURCE_IO',
      `cannot read input "${p}": ${(cause as NodeJS.ErrnoException).code ?? (cause as Error).message}`,
      { file: resolve(p) },
      { cause },
    );
  }
}

async function listFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  const files: string[] = [];
  for (const e of entries.sort((a, b) => a.name.localeCompare(b.name))) {
    const full = join(dir, e.name);
    if (e.isDirectory()) files.push(...(await listFiles(full)));
    else if (e.isFile() && !e.name.startsWith('.')) files.push(full);
  }
  return files;
}

function openFile(path: string, stats: Stats, limits: InflateLimits): InputSource {
  return {
    name: path,
    bytes: stats.size,
    open: () => {
      const raw = createReadStream(path, { highWaterMark: READ_CHUNK_BYTES });
      if (!path.endsWith('.gz')) return raw;
      // pipeline destroys every stage with the first error, so the reader sees the gunzip's or the guard's.
      return pipeline(
        raw,
        createGunzip(),
        inflateGuard(() => raw.bytesRead, limits),
        () => {},
      );
    },
  };
}

/** Passes decompressed bytes through until one of the limits is passed, then fails the stream. */
function inflateGuard(compressedBytes: () => number, limits: InflateLimits): Transform {
  let inflated = 0;
  return new Transform({
    transform(chunk: Buffer, _encoding, done) {
      inflated += chunk.length;
      // Bytes read ahead count as consumed, so the ratio is if anything understated.
      const compressed = compressedBytes();
      if (inflated > limits.maxBytes) {
        done(new InflateLimitError(`decompressed past the limit of ${limits.maxBytes} bytes (read ${compressed} compressed)`));
      } else if (inflated > limits.ratioAfterBytes && inflated > limits.maxRatio * compressed) {
        done(new InflateLimitError(`decompressed ${inflated} bytes from ${compressed} compressed, past the limit of ${limits.maxRatio}:1`));
      } else {
        done(null, chunk);
      }
    },
  });
}

export interface ReadOptions {
  maxLineBytes?: number;
  batchLines?: number;
  /** Bytes per newline-aligned chunk (readInputChunks) */
  chunkBytes?: number;
  /** Called with the compressed or raw bytes read so far (for progress) */
  onBytes?: (n: number) => void;
}

/** Streams one source as line batches: one await per chunk, never per line. */
export function readLineBatches(source: InputSource, opts: ReadOptions = {}): AsyncGenerator<LineBatch> {
  return readSource(source, opts, new LineSplitter(source.name, opts.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES, opts.batchLines ?? DEFAULT_BATCH_LINES));
}

// Beside the byte chunks, so a worker thread reaches it without loading this module's readers.
export { lineBatchOf, type InputChunk } from './chunks.js';

/** Where a source broke off, reported once for everything after that point (out of band: never a line). */
export interface SourceDamage {
  kind: 'damage';
  code: 'source_truncated' | 'source_unreadable' | 'source_decompression_limit';
  reason: string;
  /** The number the first line lost would have had */
  line: number;
}

export type SourceItem = InputChunk | SourceDamage;

export function isDamage(item: SourceItem): item is SourceDamage {
  return 'kind' in item && item.kind === 'damage';
}

/**
 * Streams one source for the engine: line files as newline-aligned byte chunks (the reading
 * thread never decodes or splits them), JSON documents as element batches. A source that
 * breaks off part way (a cut .gz, an I/O error) costs only its damaged part: the complete lines
 * read before are yielded, then one `SourceDamage`, and the stream ends normally.
 */
export async function* readInputChunks(source: InputSource, opts: ReadOptions = {}): AsyncGenerator<SourceItem> {
  const chunker = new ByteChunker(source.name, opts.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES, opts.chunkBytes);
  let nextDocumentLine = 1;
  try {
    for await (const item of readSource<InputChunk>(source, opts, chunker)) {
      if (!('bytes' in item)) nextDocumentLine = item.firstLine + item.lines.length;
      yield item;
    }
  } catch (e) {
    if (!(e instanceof AuditlineError) || e.code !== 'AL_SOURCE_IO') throw e;
    const salvaged = chunker.salvage();
    yield* salvaged.chunks;
    const cause = (e as { cause?: NodeJS.ErrnoException }).cause;
    yield {
      kind: 'damage',
      code: cause instanceof InflateLimitError ? 'source_decompression_limit' : isCompressionError(cause) ? 'source_truncated' : 'source_unreadable',
      reason: `${source.name} ${cause instanceof InflateLimitError ? 'stopped' : 'broke off'}: ${cause?.message ?? e.message}`,
      line: nextDocumentLine > 1 ? nextDocumentLine : salvaged.lostLine,
    };
  }
}

/** zlib's errors carry Z_* codes (`Z_BUF_ERROR` for a stream that ends early, `Z_DATA_ERROR` for garbage). */
function isCompressionError(e: NodeJS.ErrnoException | undefined): boolean {
  return typeof e?.code === 'string' && e.code.startsWith('Z_');
}

/** Cuts a line file's reads into pieces: LineSplitter (lines) or ByteChunker (byte chunks). */
interface Cutter<T> {
  push(chunk: Buffer): T[];
  end(): T[];
}

async function* readSource<T>(source: InputSource, opts: ReadOptions, cutter: Cutter<T>): AsyncGenerator<T | LineBatch> {
  const stream = withoutBom(source.open());
  try {
    // A `.json`/`.json.gz` file holding one array or a search response is streamed element by
    // element (sources/json-array.ts); everything else takes the line path.
    const sniffed = isJsonDocumentName(source.name) ? await sniffJsonDocument(stream) : { kind: 'lines' as const, chunks: stream };
    const chunks = counted(sniffed.chunks, opts.onBytes);
    if (sniffed.kind !== 'lines') {
      yield* readJsonArrayBatches(source.name, chunks, sniffed.kind, opts);
      return;
    }
    for await (const chunk of chunks) yield* cutter.push(chunk);
  } catch (cause) {
    throw new AuditlineError('AL_SOURCE_IO', `cannot read "${source.name}": ${(cause as Error).message}`, { file: source.name }, { cause });
  }
  yield* cutter.end();
}

async function* counted(chunks: AsyncIterable<Buffer>, onBytes: ((n: number) => void) | undefined): AsyncGenerator<Buffer> {
  for await (const chunk of chunks) {
    onBytes?.(chunk.length);
    yield chunk;
  }
}

const UTF8_BOM = Buffer.from([0xef, 0xbb, 0xbf]);

/**
 * The bytes of a source without the UTF-8 byte-order mark some editors put first: neither
 * JSON.parse nor the JSON streamer accepts one, so it would cost the first line. Reads as small as
 * one byte (a pipe) are held until the first three bytes are known.
 */
async function* withoutBom(chunks: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
  let head: Buffer | undefined = Buffer.alloc(0);
  for await (const chunk of chunks) {
    if (head === undefined) {
      yield chunk;
      continue;
    }
    head = head.length === 0 ? chunk : Buffer.concat([head, chunk]);
    if (head.length < UTF8_BOM.length && UTF8_BOM.subarray(0, head.length).equals(head)) continue;
    const start = head.subarray(0, UTF8_BOM.length).equals(UTF8_BOM) ? UTF8_BOM.length : 0;
    if (head.length > start) yield head.subarray(start);
    head = undefined;
  }
  if (head !== undefined && head.length > 0 && !UTF8_BOM.subarray(0, head.length).equals(head)) yield head;
}
