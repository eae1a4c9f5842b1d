import type { Transform } from 'node:stream';
import Parser from 'stream-json/Parser.js';
import Pick from 'stream-json/filters/Pick.js';
import StreamArray from 'stream-json/streamers/StreamArray.js';
import { CHUNK_BYTES } from './chunks.js';
import { JsonArrayScanner } from './json-scan.js';
import { DEFAULT_BATCH_LINES, DEFAULT_MAX_LINE_BYTES, type BrokenDocument, type LineBatch, type OversizedLine } from './lines.js';

/**
 * JSON documents that hold many records: one big array (`[{…},{…}]`, any layout) or an
 * Elasticsearch search response (`{"took":…,"hits":{"hits":[{"_source":{…}}]}}`). Neither is
 * ever in memory whole: only the element being read is. Each element becomes one line (its text
 * as JSON.stringify writes it), numbered by its index + 1, so the rest of the chain is the line
 * chain. Arrays are cut by a byte scanner (json-scan.ts); search responses, whose elements sit
 * inside `hits.hits` of an object, are streamed token by token with stream-json (rarer, and
 * smaller: one response is a page of hits). One-object-per-line files never come here.
 */

export type JsonDocumentKind = 'array' | 'search-response' | 'lines';

/** Names of files that may hold a whole JSON document; anything else is read as lines. */
const JSON_DOCUMENT_NAME = /\.json(\.gz)?$/i;
/** Enough to see past a byte-order mark and indentation to the first key. */
const SNIFF_CHARS = 512;
/** The first key of a search, scroll or point-in-time response (never the first key of an event). */
const SEARCH_RESPONSE_START = /^\{\s*"(took|timed_out|_shards|hits|_scroll_id|pit_id|terminated_early|num_reduce_phases)"\s*:/;
const HITS_PATH = 'hits.hits';
/** How much of an oversized element is kept for the dead-letter file (as lines.ts does for lines). */
const OVERSIZED_HEAD_CHARS = 1024;

export function isJsonDocumentName(name: string): boolean {
  return JSON_DOCUMENT_NAME.test(name);
}

/**
 * Reads the head of a stream to tell an array or a search response from JSON lines, and gives
 * back the chunks (head included) to read from, so the source is opened once (stdin works too).
 */
export async function sniffJsonDocument(stream: AsyncIterable<Buffer>): Promise<{ kind: JsonDocumentKind; chunks: AsyncIterable<Buffer> }> {
  const iterator = stream[Symbol.asyncIterator]();
  const head: Buffer[] = [];
  let text = '';
  while (text.trimStart().length < SNIFF_CHARS) {
    const next = await iterator.next();
    if (next.done) break;
    head.push(next.value);
    text += next.value.toString('utf8');
  }
  const start = text.replace(/^\ufeff/, '').trimStart();
  const kind: JsonDocumentKind = start.startsWith('[') ? 'array' : SEARCH_RESPONSE_START.test(start) ? 'search-response' : 'lines';
  async function* chunks(): AsyncGenerator<Buffer> {
    try {
      yield* head;
      for (;;) {
        const next = await iterator.next();
        if (next.done) return;
        yield next.value;
      }
    } finally {
      // A reader that stops early closes the source (the file descriptor) with it.
      await iterator.return?.();
    }
  }
  return { kind, chunks: chunks() };
}

export interface ArrayReadOptions {
  maxLineBytes?: number;
  batchLines?: number;
  /** An array's batch is cut at this many characters of elements too (default CHUNK_BYTES) */
  batchBytes?: number;
}

/**
 * The elements of an array document (or the `_source` of each search hit) as line batches.
 * A document that breaks off (truncated, not JSON) ends with one extra, empty line slot marked
 * `broken` with where it broke: it is dead-lettered as malformed JSON, and every element before it is kept.
 */
export async function* readJsonArrayBatches(
  source: string,
  chunks: AsyncIterable<Buffer>,
  kind: Exclude<JsonDocumentKind, 'lines'>,
  opts: ArrayReadOptions = {},
): AsyncGenerator<LineBatch> {
  const maxLineBytes = opts.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES;
  const batchLines = opts.batchLines ?? DEFAULT_BATCH_LINES;
  let lines: string[] = [];
  let oversized: OversizedLine[] = [];
  let firstLine = 1;
  let count = 0;
  let broken: BrokenDocument | undefined;
  const take = (): LineBatch => {
    const batch = { source, firstLine, lines, oversized };
    firstLine += lines.length;
    lines = [];
    oversized = [];
    return batch;
  };

  if (kind === 'array') {
    // Arrays by the byte scanner (json-scan.ts): each element's text as it is (or as JSON.stringify writes it).
    const scanner = new JsonArrayScanner(maxLineBytes);
    // Batches of about a line file's chunk (CHUNK_BYTES), so that what a worker builds for one dies young as it does for lines.
    const batchBytes = opts.batchBytes ?? CHUNK_BYTES;
    let batchChars = 0;
    for await (const chunk of chunks) {
      for (const element of scanner.push(chunk)) {
        if ('text' in element) {
          lines.push(element.text);
          batchChars += element.text.length;
        } else {
          oversized.push({ index: lines.length, bytes: element.oversized, head: element.head });
          lines.push('');
        }
        if (lines.length >= batchLines || batchChars >= batchBytes) {
          batchChars = 0;
          yield take();
        }
      }
      if (scanner.broken !== undefined) break;
    }
    scanner.end();
    if (scanner.broken !== undefined) {
      broken = { index: lines.length, reason: `array broken after element ${scanner.count}: ${scanner.broken}` };
      lines.push('');
    }
    if (lines.length > 0) yield broken ? { ...take(), broken } : take();
    return;
  }
  try {
    for await (const element of streamElements(chunks, kind)) {
      const value = kind === 'search-response' && isObject(element) && isObject(element._source) ? element._source : element;
      const text = elementText(value);
      if (text.length * 4 > maxLineBytes && Buffer.byteLength(text) > maxLineBytes) {
        oversized.push({ index: lines.length, bytes: Buffer.byteLength(text), head: text.slice(0, OVERSIZED_HEAD_CHARS) });
        lines.push('');
      } else {
        lines.push(text);
      }
      count++;
      if (lines.length >= batchLines) yield take();
    }
  } catch (e) {
    if (!(e instanceof JsonDocumentError)) throw e;
    broken = { index: lines.length, reason: `${kind} broken after element ${count}: ${e.message}` };
    lines.push('');
  }
  if (lines.length > 0) yield broken ? { ...take(), broken } : take();
}

/**
 * Levels kept of an element too deep for JSON.stringify, which recurses and throws at some thousands
 * (the streamer assembles 100,000 without complaint). Deeper than the line chain's own limit (256),
 * so the cut element is still refused there as `nested_too_deep`; shallow enough to stringify.
 */
const MAX_ELEMENT_DEPTH = 1024;

/** An element as one line; a stack-exhausting element is cut, not allowed to end the whole document. */
function elementText(value: unknown): string {
  try {
    return JSON.stringify(value) ?? 'null';
  } catch (e) {
    if (!(e instanceof RangeError)) throw e;
    return JSON.stringify(cutBelow(value, MAX_ELEMENT_DEPTH));
  }
}

function cutBelow(value: unknown, levels: number): unknown {
  if (typeof value !== 'object' || value === null) return value;
  if (levels === 0) return null;
  if (Array.isArray(value)) return value.map((v) => cutBelow(v, levels - 1));
  // fromEntries defines properties, so a `__proto__` key stays a key instead of setting the prototype.
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, cutBelow(v, levels - 1)]));
}

/** The document itself is not valid JSON (as opposed to the source failing to read). */
class JsonDocumentError extends Error {}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** parser → (pick hits.hits) → array streamer, fed by hand so read errors and parse errors stay apart. */
async function* streamElements(chunks: AsyncIterable<Buffer>, kind: Exclude<JsonDocumentKind, 'lines'>): AsyncGenerator<unknown> {
  // Packed values only: the streamer assembles whole values and never needs the pieces.
  const parser = Parser.parser({ streamValues: false }) as unknown as Transform;
  const streamer = StreamArray.streamArray() as unknown as Transform;
  const stages: Transform[] = kind === 'array' ? [parser, streamer] : [parser, Pick.pick({ filter: HITS_PATH }) as unknown as Transform, streamer];
  // A stage that fails ends the next one instead of destroying it, so the elements already
  // assembled still come out; the failure is raised after them.
  let brokenAt: Error | undefined;
  for (let i = 0; i + 1 < stages.length; i++) {
    const next = stages[i + 1]!;
    stages[i]!.on('error', (e) => {
      brokenAt ??= e;
      next.end();
    }).pipe(next);
  }
  let readError: unknown;
  const feeding = (async () => {
    try {
      for await (const chunk of chunks) {
        if (parser.destroyed) return;
        if (!parser.write(chunk)) await drainedOrClosed(parser);
      }
      parser.end();
    } catch (e) {
      if (!parser.destroyed) {
        readError = e;
        parser.destroy(e as Error);
      }
    }
  })();
  try {
    for await (const item of streamer as AsyncIterable<{ key: number; value: unknown }>) yield item.value;
  } catch (e) {
    brokenAt ??= e as Error;
  } finally {
    if (!parser.destroyed) parser.destroy();
    await feeding;
  }
  if (readError) throw readError;
  if (brokenAt) throw new JsonDocumentError(brokenAt.message);
}

/** Resolves when the stream wants more, or is gone (a consumer that stopped early destroys it). */
function drainedOrClosed(stream: Transform): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      stream.off('drain', done);
      stream.off('close', done);
      resolve();
    };
    stream.on('drain', done);
    stream.on('close', done);
  });
}
