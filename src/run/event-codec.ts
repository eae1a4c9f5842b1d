import type { StoredEvent } from '../model/records.js';

/**
 * Events as they cross from a worker thread: every string field of every event joined
 * into one string, with lengths and numbers in typed arrays (transferred, not copied).
 * Structured clone of 4096 event objects cost 4-20 us per event to receive on the main
 * thread (measured with v8.serialize/deserialize); one string plus slices costs ~1 us,
 * and the main thread is the one that also reads input and feeds the sink.
 */
export interface PackedEvents {
  count: number;
  /**
   * Ids travel as separate strings: slices of `text` would keep the whole text alive in a
   * sink that remembers ids (the NDJSON sink's known-id sets).
   */
  ids: string[];
  text: string;
  /** STRING_FIELDS.length lengths per event; NULL_LENGTH marks null */
  lengths: Uint32Array;
  /** time, reasonCode, line per event */
  numbers: Float64Array;
  dataEvent: Uint8Array;
}

const STRING_FIELDS = [
  'location',
  'service',
  'action',
  'outcome',
  'severity',
  'initiatorId',
  'initiatorName',
  'sourceAddress',
  'targetId',
  'targetTypeURI',
  'correlationId',
  'source',
  'json',
] as const satisfies readonly (keyof StoredEvent)[];
const NULL_LENGTH = 0xffffffff;
const S = STRING_FIELDS.length;

export function packEvents(events: StoredEvent[]): PackedEvents {
  const n = events.length;
  const lengths = new Uint32Array(n * S);
  const numbers = new Float64Array(n * 3);
  const dataEvent = new Uint8Array(n);
  const parts: string[] = new Array<string>(n * S);
  const ids: string[] = new Array<string>(n);
  for (let i = 0; i < n; i++) {
    const e = events[i]!;
    ids[i] = e.id;
    for (let f = 0; f < S; f++) {
      const v = e[STRING_FIELDS[f]!] as string | null;
      parts[i * S + f] = v ?? '';
      lengths[i * S + f] = v === null ? NULL_LENGTH : v.length;
    }
    numbers[i * 3] = e.time;
    numbers[i * 3 + 1] = e.reasonCode;
    numbers[i * 3 + 2] = e.line;
    dataEvent[i] = e.dataEvent ? 1 : 0;
  }
  return { count: n, ids, text: parts.join(''), lengths, numbers, dataEvent };
}

export function unpackEvents(p: PackedEvents): StoredEvent[] {
  const out: StoredEvent[] = new Array<StoredEvent>(p.count);
  const { text, lengths, numbers } = p;
  let at = 0;
  const next = (k: number): string | null => {
    const len = lengths[k]!;
    if (len === NULL_LENGTH) return null;
    const s = text.slice(at, at + len);
    at += len;
    return s;
  };
  for (let i = 0; i < p.count; i++) {
    const k = i * S;
    // Field order is STRING_FIELDS'; an object literal keeps one hidden class for every event.
    out[i] = {
      id: p.ids[i]!,
      location: next(k)!,
      service: next(k + 1)!,
      action: next(k + 2)!,
      outcome: next(k + 3)!,
      severity: next(k + 4)!,
      initiatorId: next(k + 5)!,
      initiatorName: next(k + 6)!,
      sourceAddress: next(k + 7),
      targetId: next(k + 8)!,
      targetTypeURI: next(k + 9)!,
      correlationId: next(k + 10),
      source: next(k + 11)!,
      json: next(k + 12)!,
      time: numbers[i * 3]!,
      reasonCode: numbers[i * 3 + 1]!,
      line: numbers[i * 3 + 2]!,
      dataEvent: p.dataEvent[i] === 1,
    };
  }
  return out;
}

/** The buffers a message may transfer instead of copying. */
export function transferablesOf(p: PackedEvents): ArrayBuffer[] {
  return [p.lengths.buffer as ArrayBuffer, p.numbers.buffer as ArrayBuffer, p.dataEvent.buffer as ArrayBuffer];
}
