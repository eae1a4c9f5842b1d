import { compileFromTable, STORED_FIELDS, type StoredEvent } from '../model/fields.js';

/**
 * Events as they cross from a worker thread: every text field of every event joined into
 * one string, with lengths and numbers in typed arrays (transferred, not copied). Structured
 * clone of 4096 event objects cost 4-20 us per event to receive on the main thread (measured
 * with v8.serialize/deserialize); one string plus slices costs ~1 us, and the main thread is
 * the one that also reads input and feeds the sink. The layout follows the field table.
 */
export interface PackedEvents {
  count: number;
  /**
   * Ids travel as separate strings: slices of `text` would keep the whole text alive in a
   * sink that remembers ids (the NDJSON sink's known-id sets).
   */
  ids: string[];
  text: string;
  /** One length per text field and event; NULL_LENGTH marks null */
  lengths: Uint32Array;
  /** One slot per number field and event */
  numbers: Float64Array;
  /** One byte per boolean field and event */
  flags: Uint8Array;
}

const NULL_LENGTH = 0xffffffff;
const TEXT_FIELDS = STORED_FIELDS.filter((f) => (f.kind === 'text' || f.kind === 'optionalText') && f.key !== 'id').map((f) => f.key);
const NUMBER_FIELDS = STORED_FIELDS.filter((f) => f.kind === 'epochMillis' || f.kind === 'integer').map((f) => f.key);
const FLAG_FIELDS = STORED_FIELDS.filter((f) => f.kind === 'boolean').map((f) => f.key);
const T = TEXT_FIELDS.length;
const N = NUMBER_FIELDS.length;
const B = FLAG_FIELDS.length;

type Values = Record<string, unknown>;

export function packEvents(events: readonly StoredEvent[]): PackedEvents {
  const n = events.length;
  const lengths = new Uint32Array(n * T);
  const numbers = new Float64Array(n * N);
  const flags = new Uint8Array(n * B);
  const parts: string[] = new Array<string>(n * T);
  const ids: string[] = new Array<string>(n);
  for (let i = 0; i < n; i++) {
    const e = events[i]! as unknown as Values;
    ids[i] = e.id as string;
    for (let f = 0; f < T; f++) {
      const v = e[TEXT_FIELDS[f]!] as string | null;
      parts[i * T + f] = v ?? '';
      lengths[i * T + f] = v === null ? NULL_LENGTH : v.length;
    }
    for (let f = 0; f < N; f++) numbers[i * N + f] = e[NUMBER_FIELDS[f]!] as number;
    for (let f = 0; f < B; f++) flags[i * B + f] = e[FLAG_FIELDS[f]!] ? 1 : 0;
  }
  return { count: n, ids, text: parts.join(''), lengths, numbers, flags };
}

type ReadEvent = (id: string, text: () => string | null, num: () => number, flag: () => boolean) => StoredEvent;

/** One object literal per event, values read in table order (model/fields.ts compileFromTable). */
const readEvent = compileFromTable<ReadEvent>(
  ['id', 'text', 'num', 'flag'],
  (f) => `${f.key}: ${f.key === 'id' ? 'id' : f.kind === 'text' || f.kind === 'optionalText' ? 'text()' : f.kind === 'boolean' ? 'flag()' : 'num()'}`,
  (parts) => `return { ${parts.join(', ')} };`,
);

export function unpackEvents(p: PackedEvents): StoredEvent[] {
  const out: StoredEvent[] = new Array<StoredEvent>(p.count);
  const { text, lengths, numbers, flags } = p;
  let at = 0;
  let t = 0;
  let n = 0;
  let b = 0;
  const nextText = (): string | null => {
    const len = lengths[t++]!;
    if (len === NULL_LENGTH) return null;
    const s = text.slice(at, at + len);
    at += len;
    return s;
  };
  const nextNumber = () => numbers[n++]!;
  const nextFlag = () => flags[b++] === 1;
  for (let i = 0; i < p.count; i++) out[i] = readEvent(p.ids[i]!, nextText, nextNumber, nextFlag);
  return out;
}

/** The buffers a message may transfer instead of copying. */
export function transferablesOf(p: PackedEvents): ArrayBuffer[] {
  return [p.lengths.buffer as ArrayBuffer, p.numbers.buffer as ArrayBuffer, p.flags.buffer as ArrayBuffer];
}
