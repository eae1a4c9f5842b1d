import { StringDecoder } from 'node:string_decoder';

/** Lines handed to the transform together: one message, one function call, no promise per line. */
export interface LineBatch {
  source: string;
  /** 1-based number of lines[0] in its source */
  firstLine: number;
  lines: string[];
  /** Lines longer than the limit: their slot in `lines` is empty and only their head is kept. */
  oversized: OversizedLine[];
  /**
   * A JSON document that broke off (truncated, not JSON) after the elements before it: its slot in
   * `lines` is empty, so it keeps a line number and is dead-lettered as malformed JSON. Only the
   * last batch of a document carries it.
   */
  broken?: BrokenDocument;
  /** The pipeline every line is read with, named by the sender (a request's `?pipeline=`); absent, each line's host picks one. */
  pipeline?: string;
}

export interface BrokenDocument {
  index: number;
  /** Where and why the document broke, e.g. `array broken after element 1: <parser message>`. */
  reason: string;
}

export interface OversizedLine {
  index: number;
  bytes: number;
  head: string;
}

export const DEFAULT_MAX_LINE_BYTES = 1024 * 1024;
/**
 * Lines per batch where lines are cut on the transform's own thread (readLineBatches, a bulk request):
 * about a worker's byte chunk (chunks.ts, ~290 lines), so what the transform builds for one batch dies in
 * the young generation instead of surviving a scavenge until the batch ends. One thread, 40k lines of the
 * bench corpus in-process against 4,096 (8 MB semi-space): 0.85 of the CPU (6 rounds, 0.72-0.89); 128 and
 * 512 measured 1.09 and 1.12 of 256.
 */
export const DEFAULT_BATCH_LINES = 256;
/** How much of an oversized line is kept for the dead-letter file (redacted there). */
const OVERSIZED_HEAD_CHARS = 1024;

/**
 * The part of an oversized line kept for the dead-letter file: its first 1024 characters, taken
 * from at most its first `maxLineBytes` bytes, so the head is the same however reads cut the line.
 */
export function oversizedHead(line: string | Buffer, maxLineBytes: number): string {
  const limit = Math.min(maxLineBytes, OVERSIZED_HEAD_CHARS * 4);
  const bytes = typeof line === 'string' ? Buffer.from(line.slice(0, limit)) : line;
  // StringDecoder.write holds back a character cut in half: the head never ends in U+FFFD by accident.
  return new StringDecoder('utf8').write(bytes.subarray(0, limit)).slice(0, OVERSIZED_HEAD_CHARS);
}

/**
 * Splits a byte stream into batches of lines. Chunks are decoded as UTF-8 across
 * boundaries; a line over `maxLineBytes` is not buffered (memory stays flat): only
 * its first bytes and its length are kept and it is reported as oversized.
 */
export class LineSplitter {
  private readonly decoder = new StringDecoder('utf8');
  private carry = '';
  private skipping: { bytes: number; head: string } | undefined;
  private lines: string[] = [];
  private oversized: OversizedLine[] = [];
  private nextLine = 1;
  private batchFirstLine = 1;

  constructor(
    private readonly source: string,
    private readonly maxLineBytes = DEFAULT_MAX_LINE_BYTES,
    private readonly batchLines = DEFAULT_BATCH_LINES,
    firstLine = 1,
  ) {
    this.nextLine = this.batchFirstLine = firstLine;
  }

  /** Feeds one chunk; returns the batches it completed (usually zero or one). */
  push(chunk: Buffer | string): LineBatch[] {
    const text = typeof chunk === 'string' ? chunk : this.decoder.write(chunk);
    const out: LineBatch[] = [];
    let start = 0;
    for (;;) {
      const nl = text.indexOf('\n', start);
      if (nl === -1) break;
      this.endLine(text.slice(start, nl));
      start = nl + 1;
      if (this.lines.length >= this.batchLines) out.push(this.takeBatch());
    }
    this.addPartial(text.slice(start));
    return out;
  }

  /** Ends the stream: the last line without a newline still counts. */
  end(): LineBatch[] {
    const rest = this.decoder.end();
    if (rest) this.addPartial(rest);
    if (this.carry !== '' || this.skipping) this.endLine('');
    return this.flush();
  }

  /** The complete lines held so far (the input ended at a newline, more may follow). */
  flush(): LineBatch[] {
    return this.lines.length > 0 ? [this.takeBatch()] : [];
  }

  private addPartial(part: string): void {
    if (part === '') return;
    if (this.skipping) {
      this.skipping.bytes += Buffer.byteLength(part);
      return;
    }
    this.carry = this.carry === '' ? part : this.carry + part;
    // Characters are at most 4 bytes: only measure bytes when the length could exceed the limit.
    if (this.carry.length * 4 > this.maxLineBytes && Buffer.byteLength(this.carry) > this.maxLineBytes) {
      this.skipping = { bytes: Buffer.byteLength(this.carry), head: oversizedHead(this.carry, this.maxLineBytes) };
      this.carry = '';
    }
  }

  private endLine(tail: string): void {
    if (this.skipping) {
      const bytes = this.skipping.bytes + Buffer.byteLength(tail);
      this.oversized.push({ index: this.lines.length, bytes, head: this.skipping.head });
      this.lines.push('');
      this.skipping = undefined;
    } else {
      let line = this.carry === '' ? tail : this.carry + tail;
      this.carry = '';
      if (line.length * 4 > this.maxLineBytes && Buffer.byteLength(line) > this.maxLineBytes) {
        this.oversized.push({ index: this.lines.length, bytes: Buffer.byteLength(line), head: oversizedHead(line, this.maxLineBytes) });
        line = '';
      }
      if (line.endsWith('\r')) line = line.slice(0, -1);
      this.lines.push(line);
    }
    this.nextLine++;
  }

  private takeBatch(): LineBatch {
    const batch: LineBatch = { source: this.source, firstLine: this.batchFirstLine, lines: this.lines, oversized: this.oversized };
    this.lines = [];
    this.oversized = [];
    this.batchFirstLine = this.nextLine;
    return batch;
  }
}
