import { DEFAULT_MAX_LINE_BYTES, LineSplitter, oversizedHead, type LineBatch, type OversizedLine } from './lines.js';

/**
 * Newline-aligned bytes of one source, as they cross to a worker thread: the reading
 * thread only looks for newline bytes (no decoding, no string per line), the worker
 * decodes and splits. `bytes` owns its memory, shared with the worker it is sent to and never
 * written after the cut, so the engine can retry the batch from it.
 */
export interface ByteChunk {
  kind: 'bytes';
  source: string;
  /** 1-based number of the chunk's first line in its source */
  firstLine: number;
  bytes: Uint8Array;
  /** A line too long to buffer, ending just before `bytes`: only its head and length were kept. */
  oversizedFirst?: { bytes: number; head: string };
  /** As `LineBatch.pipeline`: the pipeline the sender named for every line */
  pipeline?: string;
  /** The source ends here without a final newline: the last partial line still counts. */
  last: boolean;
}

/**
 * Bytes per chunk: ~290 lines of 900 bytes; a handful in flight keep memory flat. Small enough that
 * what a worker builds for one chunk dies in its young generation instead of being copied and promoted:
 * against 2 MiB, 300k lines through two workers took 12% less CPU (25.5-26.3 vs 28.7-30.2 s user;
 * `transform-2-workers` bench stage, 3 runs each) and 50 MB less peak RSS; the CLI into DuckDB, 4% less
 * CPU, 379-397 vs 432-440 MB on 300k lines, 430 vs 487-505 MB on 2M, wall time within noise (+0-4%).
 * 128 KiB measured the same as 256.
 */
export const CHUNK_BYTES = 256 * 1024;
const NEWLINE = 0x0a;

/**
 * Cuts a byte stream at newlines into chunks of about CHUNK_BYTES. A line longer than
 * `maxLineBytes` is never buffered whole: its head is kept and its bytes are counted, and it
 * travels as `oversizedFirst` of the next chunk, so line numbers stay exact.
 */
export class ByteChunker {
  private parts: Buffer[] = [];
  private partsBytes = 0;
  /** Bytes after the last newline in `parts`: the line still being read. */
  private carryBytes = 0;
  private nextLine = 1;
  /** An oversized line being counted, and one counted that waits for the next chunk. */
  private skipping: { bytes: number; head: string } | undefined;
  private oversized: { bytes: number; head: string } | undefined;

  constructor(
    private readonly source: string,
    private readonly maxLineBytes = DEFAULT_MAX_LINE_BYTES,
    private readonly chunkBytes = CHUNK_BYTES,
  ) {}

  push(buf: Buffer): ByteChunk[] {
    const out: ByteChunk[] = [];
    if (this.skipping) {
      const nl = buf.indexOf(NEWLINE);
      if (nl === -1) {
        this.skipping.bytes += buf.length;
        return out;
      }
      this.skipping.bytes += nl;
      this.oversized = this.skipping;
      this.skipping = undefined;
      buf = buf.subarray(nl); // the newline that ends the oversized line opens the next chunk
    }
    this.parts.push(buf);
    this.partsBytes += buf.length;
    const lastNl = buf.lastIndexOf(NEWLINE);
    this.carryBytes = lastNl === -1 ? this.carryBytes + buf.length : buf.length - lastNl - 1;
    if (this.partsBytes >= this.chunkBytes || this.carryBytes > this.maxLineBytes) {
      if (this.carryBytes < this.partsBytes) out.push(this.cutAtLastNewline());
      if (this.carryBytes > this.maxLineBytes) this.startSkipping();
    }
    return out;
  }

  end(): ByteChunk[] {
    if (this.skipping) {
      this.oversized = this.skipping;
      this.skipping = undefined;
      this.parts = [Buffer.from('\n')]; // ends the oversized line as a line of its own
    }
    if (this.parts.length === 0) return [];
    const chunk = this.emit(this.parts, true);
    this.parts = [];
    this.partsBytes = this.carryBytes = 0;
    return [chunk];
  }

  /**
   * The input broke off: every complete line buffered, and the number of the first line lost
   * (the partial one after the last newline, or the oversized one being counted).
   */
  salvage(): { chunks: ByteChunk[]; lostLine: number } {
    const chunks = this.carryBytes < this.partsBytes ? [this.cutAtLastNewline()] : [];
    return { chunks, lostLine: this.nextLine };
  }

  /** Sends every complete line buffered; the partial line after the last newline stays. */
  private cutAtLastNewline(): ByteChunk {
    let done: Buffer[] = [];
    const keep: Buffer[] = [];
    let toKeep = this.carryBytes;
    for (let i = this.parts.length - 1; i >= 0; i--) {
      const p = this.parts[i]!;
      if (toKeep >= p.length) {
        keep.unshift(p);
        toKeep -= p.length;
      } else {
        if (toKeep > 0) keep.unshift(p.subarray(p.length - toKeep));
        done = [...this.parts.slice(0, i), p.subarray(0, p.length - toKeep)];
        break;
      }
    }
    this.parts = keep;
    this.partsBytes = this.carryBytes;
    return this.emit(done, false);
  }

  /** The partial line is past the limit: keep its head, count the rest without buffering it. */
  private startSkipping(): void {
    const carry = Buffer.concat(this.parts);
    this.skipping = { bytes: carry.length, head: oversizedHead(carry, this.maxLineBytes) };
    this.parts = [];
    this.partsBytes = this.carryBytes = 0;
  }

  private emit(parts: Buffer[], last: boolean): ByteChunk {
    // One buffer of its own: the reads it spans are joined, and no pooled read-stream memory stays referenced.
    // Shared memory crosses to a worker without a copy; nothing writes it after this, so the engine
    // can still retry the batch from the same bytes.
    const bytes = new Uint8Array(new SharedArrayBuffer(parts.reduce((n, b) => n + b.length, 0)));
    let at = 0;
    for (const p of parts) {
      bytes.set(p, at);
      at += p.length;
    }
    const chunk: ByteChunk = { kind: 'bytes', source: this.source, firstLine: this.nextLine, bytes, last };
    if (this.oversized) {
      chunk.oversizedFirst = this.oversized;
      this.oversized = undefined;
    }
    this.nextLine += countNewlines(bytes);
    return chunk;
  }
}

function countNewlines(bytes: Uint8Array): number {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let n = 0;
  for (let i = buf.indexOf(NEWLINE); i !== -1; i = buf.indexOf(NEWLINE, i + 1)) n++;
  return n;
}

/**
 * Decodes and splits a chunk into one batch of lines (on whichever thread runs the transform).
 * The result is what the line splitter would have produced for the same lines.
 */
export function linesOfChunk(chunk: ByteChunk, maxLineBytes = DEFAULT_MAX_LINE_BYTES): LineBatch {
  const splitter = new LineSplitter(chunk.source, maxLineBytes, Number.MAX_SAFE_INTEGER, chunk.firstLine);
  const batches = splitter.push(Buffer.from(chunk.bytes.buffer, chunk.bytes.byteOffset, chunk.bytes.byteLength));
  const rest = chunk.last ? splitter.end() : splitter.flush();
  const lines: string[] = [];
  const oversized: OversizedLine[] = [];
  for (const b of [...batches, ...rest]) {
    for (const o of b.oversized) oversized.push({ ...o, index: o.index + lines.length });
    for (const l of b.lines) lines.push(l);
  }
  if (chunk.oversizedFirst) {
    // The oversized line's newline opens the chunk, so the splitter saw it as an empty first line.
    oversized.unshift({ index: 0, bytes: chunk.oversizedFirst.bytes, head: chunk.oversizedFirst.head });
  }
  const batch: LineBatch = { source: chunk.source, firstLine: chunk.firstLine, lines, oversized };
  if (chunk.pipeline !== undefined) batch.pipeline = chunk.pipeline;
  return batch;
}

/** What the reader hands to the transform: newline-aligned bytes, or lines already cut (JSON documents). */
export type InputChunk = ByteChunk | LineBatch;

/** The lines of an input chunk, on whichever thread runs the transform. */
export function lineBatchOf(input: InputChunk, maxLineBytes: number | undefined): LineBatch {
  return 'bytes' in input ? linesOfChunk(input, maxLineBytes) : input;
}
