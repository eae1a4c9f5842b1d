import { oversizedHead } from './lines.js';

/**
 * Finds the top-level elements of a JSON array in its bytes, without building them: strings,
 * escapes and brackets are tracked, each element's text is cut out whole and left to JSON.parse
 * (on whichever thread runs the transform), as a line's text is. A token streamer assembles every
 * value token by token instead: stream-json read an array of 1 KB events at ~8,400 elements/s
 * here, the scanner at several hundred thousand (bench stage `array-read`).
 *
 * What the scanner checks is the array's own structure: `[`, elements separated by commas, `]`,
 * brackets of each element matched. An element that is not valid JSON inside balanced brackets is
 * still one element, refused by the line chain as malformed alone; anything that breaks the
 * structure (a stray `]`, two elements without a comma, the end of input inside the array) ends
 * the document there, with every element before it kept.
 */

/** One element: its text, or only its size and head when it passed the line limit (never buffered past it). */
export type ScannedElement = { text: string } | { oversized: number; head: string };

/** The array's structure is broken at this point; the message says how. */
class ArrayStructureError extends Error {}

const enum Phase {
  /** Before the opening bracket */
  Open,
  /** After `[`: an element or `]` */
  First,
  /** After a comma: an element */
  Next,
  /** Inside an element */
  Element,
  /** After an element: `,` or `]` */
  After,
  /** After the closing bracket: only whitespace */
  Closed,
}

const EMPTY = Buffer.alloc(0);
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const COMMA = 0x2c;

function isSpace(c: number): boolean {
  return c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
}

/**
 * Levels whose bracket kind is remembered (one byte each), to tell `[{]}` from `[{}]`. Deeper
 * levels are only counted: the line chain refuses any record deeper than 256 levels anyway.
 */
const TRACKED_DEPTH = 65_536;
/** Integers of more digits may not survive JSON.parse → JSON.stringify (2^53 has 16). */
const SAFE_INTEGER_DIGITS = 15;

export class JsonArrayScanner {
  private phase = Phase.Open;
  /** Bytes of the element being read (from its first byte); empty while skipping an oversized one */
  private pending: Buffer = EMPTY;
  /** Where scanning resumes in `pending` */
  private at = 0;
  private depth = 0;
  private readonly kinds = new Uint8Array(TRACKED_DEPTH);
  private inString = false;
  /** The element is a bare number, string or literal (its end is the first delimiter at depth 0) */
  private bare = false;
  /**
   * The element holds something JSON.stringify(JSON.parse(text)) would write differently
   * (whitespace between tokens, `\u` or `\/` escapes, a number not in its shortest form):
   * its line is then that canonical form, as it always was (an event id is a hash of its line).
   */
  private reshaped = false;
  private digits = 0;
  /** The next backslash at or after the scan in `escapeIn` (-1: none up to its end) */
  private escapeIn: Buffer | undefined;
  private escapeAt = -1;
  private previous = 0;
  /** An element past the limit: its size so far and its head */
  private skipping: { bytes: number; head: string } | undefined;
  /** Elements completed so far (for the error messages) */
  count = 0;

  constructor(private readonly maxLineBytes: number) {}

  /** Why the array's structure is broken, once it is: nothing after that point is read. */
  broken: string | undefined;

  /** The elements completed by this chunk of input (those before a break, when it breaks the structure). */
  push(chunk: Buffer): ScannedElement[] {
    const out: ScannedElement[] = [];
    if (this.broken !== undefined) return out;
    try {
      this.scan(chunk, out);
    } catch (e) {
      if (!(e instanceof ArrayStructureError)) throw e;
      this.broken = e.message;
      this.pending = EMPTY;
    }
    return out;
  }

  /** The input ended: fine only after the closing bracket. */
  end(): void {
    if (this.broken !== undefined || this.phase === Phase.Closed) return;
    if (this.phase === Phase.Open) this.broken = 'no array in the input';
    else this.broken = this.phase === Phase.Element ? 'the input ends inside an element' : 'the input ends before the closing "]"';
  }

  private scan(chunk: Buffer, out: ScannedElement[]): void {
    let buf = chunk;
    let i = 0;
    if (this.phase === Phase.Element) {
      buf = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
      i = this.at;
    }
    // The first byte of the element being read, in `buf` (of one being skipped: unused)
    let start = 0;
    while (i < buf.length) {
      if (this.phase === Phase.Element) {
        const end = this.scanElement(buf, i);
        if (end < 0) {
          i = -end - 1;
          break;
        }
        out.push(this.finish(buf, start, end));
        i = end;
        continue;
      }
      const c = buf[i]!;
      if (isSpace(c)) {
        i++;
        continue;
      }
      switch (this.phase) {
        case Phase.Open:
          if (c !== OPEN_BRACKET) throw new ArrayStructureError(`expected "[" at the start, found ${describe(c)}`);
          this.phase = Phase.First;
          i++;
          break;
        case Phase.First:
        case Phase.Next:
          if (c === CLOSE_BRACKET && this.phase === Phase.First) {
            this.phase = Phase.Closed;
            i++;
            break;
          }
          if (c === COMMA || c === CLOSE_BRACKET || c === CLOSE_BRACE || c === 0x3a) throw new ArrayStructureError(`expected an element, found ${describe(c)}`);
          this.startElement(c);
          start = i;
          break;
        case Phase.After:
          if (c === COMMA) this.phase = Phase.Next;
          else if (c === CLOSE_BRACKET) this.phase = Phase.Closed;
          else throw new ArrayStructureError(`expected "," or "]", found ${describe(c)}`);
          i++;
          break;
        case Phase.Closed:
          throw new ArrayStructureError(`${describe(c)} after the closing "]"`);
      }
    }
    this.keep(buf, start, i);
  }

  private startElement(c: number): void {
    this.phase = Phase.Element;
    this.depth = 0;
    this.inString = false;
    this.reshaped = false;
    this.digits = 0;
    this.previous = 0;
    this.bare = c !== OPEN_BRACE && c !== OPEN_BRACKET && c !== QUOTE;
  }

  /**
   * Scans an element from `i`: the index just past its last byte, or, when `buf` ends first,
   * -(where to resume) - 1.
   */
  private scanElement(buf: Buffer, i: number): number {
    const n = buf.length;
    while (i < n) {
      if (this.inString) {
        const quote = buf.indexOf(QUOTE, i);
        // The next backslash is looked for once per buffer and again only once passed: most strings
        // hold none, and looking from every string to the end of the buffer made the scan quadratic.
        if (this.escapeIn !== buf || (this.escapeAt !== -1 && this.escapeAt < i)) {
          this.escapeIn = buf;
          this.escapeAt = buf.indexOf(BACKSLASH, i);
        }
        const escape = this.escapeAt;
        if (escape === -1 || (quote !== -1 && quote < escape)) {
          if (quote === -1) return -n - 1;
          this.inString = false;
          i = quote + 1;
          if (this.depth === 0 && !this.bare) return i;
          continue;
        }
        // An escape before the next quote: `\"` does not end the string.
        if (escape + 1 >= n) return -escape - 1;
        const next = buf[escape + 1]!;
        if (next === 0x75 /* u */ || next === 0x2f /* / */) this.reshaped = true;
        i = escape + 2;
        continue;
      }
      const c = buf[i]!;
      if (c === QUOTE) {
        this.inString = true;
        this.digits = 0;
      } else if (c === OPEN_BRACE || c === OPEN_BRACKET) {
        if (this.depth < TRACKED_DEPTH) this.kinds[this.depth] = c;
        this.depth++;
        this.digits = 0;
      } else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) {
        if (this.depth === 0) return i; // the `]` closing the array ends a bare element
        this.depth--;
        if (this.depth < TRACKED_DEPTH && this.kinds[this.depth] !== c - 2) {
          throw new ArrayStructureError(`${describe(c)} closes ${describe(this.kinds[this.depth]!)} in element ${this.count + 1}`);
        }
        this.digits = 0;
        if (this.depth === 0) return i + 1;
      } else if (c >= 0x30 && c <= 0x39) {
        if (++this.digits > SAFE_INTEGER_DIGITS || (c === 0x30 && this.previous === 0x2d)) this.reshaped = true;
      } else {
        if (this.depth === 0 && (c === COMMA || isSpace(c))) return i;
        // A fraction, an exponent, whitespace between tokens: JSON.stringify may write it otherwise.
        if (c === 0x2e || c === 0x45 || c === 0x2b || isSpace(c) || (c === 0x65 && this.digits > 0)) this.reshaped = true;
        this.digits = 0;
      }
      this.previous = c;
      i++;
    }
    return -n - 1;
  }

  /** The element ending at `end` (exclusive) of `buf`, from `start` (or from the bytes being skipped). */
  private finish(buf: Buffer, start: number, end: number): ScannedElement {
    this.phase = Phase.After;
    this.count++;
    const skipping = this.skipping;
    this.skipping = undefined;
    if (skipping) return { oversized: skipping.bytes + end, head: skipping.head };
    const bytes = end - start;
    if (bytes > this.maxLineBytes) return { oversized: bytes, head: oversizedHead(buf.subarray(start, end), this.maxLineBytes) };
    const text = buf.toString('utf8', start, end);
    return { text: this.reshaped ? canonical(text) : text };
  }

  /**
   * What stays for the next chunk: the element being read from its first byte; of an element past
   * the limit, only the bytes not yet scanned (at most an escape's backslash).
   */
  private keep(buf: Buffer, start: number, scanned: number): void {
    if (this.phase !== Phase.Element) {
      this.pending = EMPTY;
      this.at = 0;
      return;
    }
    if (!this.skipping && scanned - start > this.maxLineBytes) {
      // Never buffered past the limit: the head is kept, the rest only counted.
      this.skipping = { bytes: 0, head: oversizedHead(buf.subarray(start, scanned), this.maxLineBytes) };
      buf = buf.subarray(start);
      scanned -= start;
    }
    if (this.skipping) {
      this.skipping.bytes += scanned;
      this.pending = Buffer.from(buf.subarray(scanned));
      this.at = 0;
      return;
    }
    // A copy: the read buffer it points into is not kept alive by one element.
    this.pending = Buffer.from(buf.subarray(start));
    this.at = scanned - start;
  }
}

/**
 * The element as JSON.stringify writes it, as every element's line was before the scanner (an
 * event id is a hash of its line, so the same element keeps its id). An element JSON.parse
 * refuses, or too deep for JSON.stringify, goes as it is: the line chain refuses it (malformed,
 * nested too deep) with its text.
 */
function canonical(text: string): string {
  try {
    return JSON.stringify(JSON.parse(text)) ?? text;
  } catch {
    return text;
  }
}

function describe(c: number): string {
  return c >= 0x21 && c < 0x7f ? `"${String.fromCharCode(c)}"` : `byte 0x${c.toString(16).padStart(2, '0')}`;
}
