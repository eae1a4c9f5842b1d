import { compileFromTable, STORED_FIELDS, type StoredEvent, type StoredField } from '../model/fields.js';

/**
 * Events as they cross from a worker thread: every text field of every event joined into
 * one string, with lengths and numbers in typed arrays (transferred, not copied). Structured
 * clone of 4096 event objects cost 4-20 us per event to receive on the main thread (measured
 * with v8.serialize/deserialize); one string plus slices costs ~1 us, and the main thread is
 * the one that also reads input and feeds the sink. The layout follows the field table.
 *
 * Fields whose values repeat within a batch (REPEATED) cross once per distinct value, each event
 * holding an index: a 290-event batch of the bench corpus has 1-82 distinct values of each (5
 * locations, 82 actions, 50 initiators), so the main thread makes ~170 strings instead of ~2,600,
 * and the events it holds until their write share them.
 */
export interface PackedEvents {
  count: number;
  /**
   * Ids travel as separate strings: slices of `text` would keep the whole text alive in a
   * sink that remembers ids (the DuckDB sink's ids of a write).
   */
  ids: string[];
  text: string;
  /** One length per other text field and event; NULL marks null */
  lengths: Uint32Array;
  /** The distinct values of the repeated fields, in order of first appearance */
  values: string[];
  /** One index into `values` per repeated field and event; NULL marks null */
  refs: Uint32Array;
  /** One slot per number field and event */
  numbers: Float64Array;
  /** One byte per boolean field and event */
  flags: Uint8Array;
}

const NULL = 0xffffffff;

/** Text fields with few distinct values per batch (vocabulary, locations, principals, the source). */
const REPEATED = new Set(['action', 'outcome', 'severity', 'service', 'initiatorId', 'initiatorName', 'targetTypeURI', 'location', 'source']);

type Slot = 'id' | 'text' | 'repeated' | 'number' | 'flag';

function slotOf(f: StoredField): Slot {
  if (f.key === 'id') return 'id';
  if (f.kind === 'text' || f.kind === 'optionalText') return REPEATED.has(f.key) ? 'repeated' : 'text';
  return f.kind === 'boolean' ? 'flag' : 'number';
}

for (const key of REPEATED) {
  const f = STORED_FIELDS.find((s) => s.key === key);
  if (!f || slotOf(f) !== 'repeated') throw new Error(`event codec: "${key}" is not a text field of the table`);
}
const count = (slot: Slot) => STORED_FIELDS.filter((f) => slotOf(f) === slot).length;
const T = count('text');
const R = count('repeated');
const N = count('number');
const B = count('flag');

type Pack = (
  events: readonly StoredEvent[],
  ids: string[],
  parts: string[],
  lengths: Uint32Array,
  values: string[],
  refs: Uint32Array,
  numbers: Float64Array,
  flags: Uint8Array,
) => void;

/** One pass over the events with every field read by name (a keyed read per field cost ~2x). */
const packInto = compileFromTable<Pack>(
  ['events', 'ids', 'parts', 'lengths', 'values', 'refs', 'numbers', 'flags'],
  (f) => {
    const v = `e.${f.key}`;
    switch (slotOf(f)) {
      case 'id':
        return `ids[i] = ${v};`;
      case 'text':
        return `v = ${v}; if (v === null) lengths[l++] = ${NULL}; else { parts[p++] = v; lengths[l++] = v.length; }`;
      case 'repeated':
        return `v = ${v}; if (v === null) refs[r++] = ${NULL}; else { k = seen.get(v); if (k === undefined) { k = values.length; values.push(v); seen.set(v, k); } refs[r++] = k; }`;
      case 'number':
        return `numbers[m++] = ${v};`;
      case 'flag':
        return `flags[b++] = ${v} ? 1 : 0;`;
    }
  },
  (parts) => `
    const seen = new Map();
    let p = 0, l = 0, r = 0, m = 0, b = 0, v, k;
    for (let i = 0; i < events.length; i++) {
      const e = events[i];
      ${parts.join('\n      ')}
    }`,
);

export function packEvents(events: readonly StoredEvent[]): PackedEvents {
  const n = events.length;
  const ids = new Array<string>(n);
  const parts: string[] = [];
  const lengths = new Uint32Array(n * T);
  const values: string[] = [];
  const refs = new Uint32Array(n * R);
  const numbers = new Float64Array(n * N);
  const flags = new Uint8Array(n * B);
  packInto(events, ids, parts, lengths, values, refs, numbers, flags);
  return { count: n, ids, text: parts.join(''), lengths, values, refs, numbers, flags };
}

type Unpack = (
  out: StoredEvent[],
  ids: string[],
  text: string,
  lengths: Uint32Array,
  values: string[],
  refs: Uint32Array,
  numbers: Float64Array,
  flags: Uint8Array,
) => void;

/** One object literal per event, values read in table order (so every event has one shape). */
const unpackInto = compileFromTable<Unpack>(
  ['out', 'ids', 'text', 'lengths', 'values', 'refs', 'numbers', 'flags'],
  (f) => {
    switch (slotOf(f)) {
      case 'id':
        return `${f.key}: ids[i]`;
      case 'text':
        return `${f.key}: (len = lengths[l++]) === ${NULL} ? null : text.slice(at, (at += len))`;
      case 'repeated':
        return `${f.key}: (k = refs[r++]) === ${NULL} ? null : values[k]`;
      case 'number':
        return `${f.key}: numbers[m++]`;
      case 'flag':
        return `${f.key}: flags[b++] === 1`;
    }
  },
  (parts) => `
    let at = 0, l = 0, r = 0, m = 0, b = 0, len, k;
    for (let i = 0; i < out.length; i++) out[i] = { ${parts.join(', ')} };`,
);

export function unpackEvents(p: PackedEvents): StoredEvent[] {
  const out = new Array<StoredEvent>(p.count);
  unpackInto(out, p.ids, p.text, p.lengths, p.values, p.refs, p.numbers, p.flags);
  return out;
}

/** The buffers a message may transfer instead of copying. */
export function transferablesOf(p: PackedEvents): ArrayBuffer[] {
  return [p.lengths.buffer as ArrayBuffer, p.refs.buffer as ArrayBuffer, p.numbers.buffer as ArrayBuffer, p.flags.buffer as ArrayBuffer];
}
