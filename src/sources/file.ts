import { createReadStream, statSync, type Stats } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { glob, isDynamicPattern } from 'tinyglobby';
import { AuditlineError } from '../errors.js';
import { isJsonDocumentName, readJsonArrayBatches, sniffJsonDocument } from './json-array.js';
import { ByteChunker, linesOfChunk, type ByteChunk } from './chunks.js';
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
 * Expands the command-line paths: files, folders (recursive, sorted for stable
 * output), glob patterns, and `-` for stdin. A path that does not exist stops the run:
 * that is an I/O error, not a bad record.
 */
export async function expandInputs(paths: string[], stdin: Readable = process.stdin): Promise<InputSource[]> {
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
    throw new AuditlineError('AL_SOURCE_IO', `cannot read input "${p}": ${(cause as NodeJS.ErrnoException).code ?? (cause as Error).message}`, { file: resolve(p) }, { cause });
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

function fileSource(path: string, stats: Stats): InputSource {
  return {
    name: path,
    bytes: stats.size,
    open: () => {
      const raw = createReadStream(path, { highWaterMark: READ_CHUNK_BYTES });
      return path.endsWith('.gz') ? raw.pipe(createGunzip()).once('error', (e) => raw.destroy(e)) : raw;
    },
  };
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

/** What the reader hands to the transform: newline-aligned bytes, or lines already cut (JSON documents). */
export type InputChunk = ByteChunk | LineBatch;

/** The lines of an input chunk, on whichever thread runs the transform. */
export function lineBatchOf(input: InputChunk, maxLineBytes: number | undefined): LineBatch {
  return 'bytes' in input ? linesOfChunk(input, maxLineBytes) : input;
}

/** Where a source broke off, reported once for everything after that point (out of band: never a line). */
export interface SourceDamage {
  kind: 'damage';
  code: 'source_truncated' | 'source_unreadable';
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
      code: isCompressionError(cause) ? 'source_truncated' : 'source_unreadable',
      reason: `${source.name} broke off: ${cause?.message ?? e.message}`,
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
  const stream = source.open();
  try {
    // A `.json`/`.json.gz` file holding one array or a search response is streamed element by
    // element (sources/json-array.ts); everything else takes the line path.
    const sniffed = isJsonDocumentName(source.name) ? await sniffJsonDocument(stream) : { kind: 'lines' as const, chunks: stream as AsyncIterable<Buffer> };
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
