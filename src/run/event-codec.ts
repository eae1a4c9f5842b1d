import { STORED_FIELDS, type StoredEvent } from '../model/fields.js';

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

export function unpackEvents(p: PackedEvents): StoredEvent[] {
  const out: StoredEvent[] = new Array<StoredEvent>(p.count);
  const { text, lengths, numbers, flags } = p;
  let at = 0;
  for (let i = 0; i < p.count; i++) {
    // Properties are added in the same order for every event, so all share one hidden class.
    const e: Values = { id: p.ids[i]! };
    for (let f = 0; f < T; f++) {
      const len = lengths[i * T + f]!;
      if (len === NULL_LENGTH) e[TEXT_FIELDS[f]!] = null;
      else {
        e[TEXT_FIELDS[f]!] = text.slice(at, at + len);
        at += len;
      }
    }
    for (let f = 0; f < N; f++) e[NUMBER_FIELDS[f]!] = numbers[i * N + f]!;
    for (let f = 0; f < B; f++) e[FLAG_FIELDS[f]!] = flags[i * B + f] === 1;
    out[i] = e as StoredEvent;
  }
  return out;
}

/** The buffers a message may transfer instead of copying. */
export function transferablesOf(p: PackedEvents): ArrayBuffer[] {
  return [p.lengths.buffer as ArrayBuffer, p.numbers.buffer as ArrayBuffer, p.flags.buffer as ArrayBuffer];
}
