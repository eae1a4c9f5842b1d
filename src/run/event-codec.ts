import { compileFromTable, STORED_FIELDS, type StoredEvent, type StoredField } from '../model/fields.js';

/**
 * Events as they cross from a worker thread: the short text fields of every event joined into
 * one string, the documents as UTF-8 bytes, lengths and numbers in typed arrays (the arrays
 * transferred, not copied). Structured
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
  /** The documents (`json`) as UTF-8, one after another */
  docs: Uint8Array;
  /** Where each event's document ends in `docs` */
  docEnds: Uint32Array;
  /** Every document is ASCII: read as latin1, each is its text (cheaper to decode than UTF-8: ~215 against ~305 ns a 1.6 KB document) */
  docsAscii: boolean;
}

const NULL = 0xffffffff;

/** Text fields with few distinct values per batch (vocabulary, locations, principals, the source). */
const REPEATED = new Set(['action', 'outcome', 'severity', 'service', 'initiatorId', 'initiatorName', 'targetTypeURI', 'location', 'source']);

type Slot = 'id' | 'doc' | 'text' | 'repeated' | 'number' | 'flag';

function slotOf(f: StoredField): Slot {
  if (f.key === 'id') return 'id';
  if (f.path === '') return 'doc';
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

/** What pack fills per field and unpack reads back, apart from the documents and the joined text. */
type Columns = Pick<PackedEvents, 'ids' | 'lengths' | 'values' | 'refs' | 'numbers' | 'flags'>;
/** Read once per batch by the compiled pack and unpack, not per event. */
const COLUMNS_OF = 'const { ids, lengths, values, refs, numbers, flags } = c;';

type Pack = (events: readonly StoredEvent[], parts: string[], c: Columns) => void;

/** One pass over the events with every field read by name (a keyed read per field cost ~2x). */
const packInto = compileFromTable<Pack>(
  ['events', 'parts', 'c'],
  (f) => {
    const v = `e.${f.key}`;
    switch (slotOf(f)) {
      case 'id':
        return `ids[i] = ${v};`;
      case 'doc':
        return '';
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
    ${COLUMNS_OF}
    const seen = new Map();
    let p = 0, l = 0, r = 0, m = 0, b = 0, v, k;
    for (let i = 0; i < events.length; i++) {
      const e = events[i];
      ${parts.join('\n      ')}
    }`,
);

export function packEvents(events: readonly StoredEvent[]): PackedEvents {
  const n = events.length;
  const parts: string[] = [];
  const columns: Columns = {
    ids: new Array<string>(n),
    lengths: new Uint32Array(n * T),
    values: [],
    refs: new Uint32Array(n * R),
    numbers: new Float64Array(n * N),
    flags: new Uint8Array(n * B),
  };
  packInto(events, parts, columns);
  return { count: n, ...columns, text: parts.join(''), ...encodeDocs(events) };
}

/**
 * UTF-8 bytes of the documents, in a buffer sized for ASCII (grown if they are not). Joined into
 * the text, a batch's documents (~470 KB for 290 events) were a fresh large-object string on the
 * worker, then copied by the message's serialiser and again by its deserialiser; as a transferred
 * buffer they are written once: packing 3.0 -> 1.35 us/event.
 */
function encodeDocs(events: readonly StoredEvent[]): { docs: Buffer; docEnds: Uint32Array; docsAscii: boolean } {
  let chars = 0;
  for (const e of events) chars += e.json.length;
  let docs = Buffer.allocUnsafeSlow(chars);
  const docEnds = new Uint32Array(events.length);
  let at = 0;
  for (let i = 0; i < events.length; i++) {
    const doc = events[i]!.json;
    // A UTF-16 unit takes at most 3 bytes; only near the end of the buffer is the exact size needed.
    if (docs.length - at < doc.length * 3) {
      const need = Buffer.byteLength(doc);
      if (docs.length - at < need) {
        const grown = Buffer.allocUnsafeSlow(Math.max(docs.length * 2, at + need));
        docs.copy(grown, 0, 0, at);
        docs = grown;
      }
    }
    at += docs.write(doc, at);
    docEnds[i] = at;
  }
  // Any unit that is not ASCII takes more than one byte.
  return { docs, docEnds, docsAscii: at === chars };
}

type Unpack = (out: StoredEvent[], docs: Buffer, encoding: 'latin1' | 'utf8', c: PackedEvents) => void;

/** One object literal per event, values read in table order (so every event has one shape). */
const unpackInto = compileFromTable<Unpack>(
  ['out', 'docs', 'encoding', 'c'],
  (f) => {
    switch (slotOf(f)) {
      case 'id':
        return `${f.key}: ids[i]`;
      case 'doc':
        return `${f.key}: ((from = to), (to = docEnds[i]), docs.toString(encoding, from, to))`;
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
    ${COLUMNS_OF}
    const { text, docEnds } = c;
    let at = 0, l = 0, r = 0, m = 0, b = 0, len, k, from = 0, to = 0;
    for (let i = 0; i < out.length; i++) out[i] = { ${parts.join(', ')} };`,
);

export function unpackEvents(p: PackedEvents): StoredEvent[] {
  const out = new Array<StoredEvent>(p.count);
  // A Buffer crosses as a plain Uint8Array.
  const docs = Buffer.from(p.docs.buffer, p.docs.byteOffset, p.docs.byteLength);
  // One string per document, not slices of one string per batch: a batch's documents (~470 KB) made a
  // large-object string, old generation from birth and kept whole by any slice, so the main thread ran a
  // mark-compact every ~8 MB of them (65 against 45 in a 0.25 GB array into DuckDB). A document decoded
  // alone is young, and dies young once a staged write has appended it: staged NDJSON writes, 200k lines,
  // 0.89-0.94 of the CPU of the batch-wide string (docs/decisions/2026-12-04-documents-per-event.md).
  unpackInto(out, docs, p.docsAscii ? 'latin1' : 'utf8', p);
  return out;
}

/** The buffers a message may transfer instead of copying. */
export function transferablesOf(p: PackedEvents): ArrayBuffer[] {
  return [p.lengths, p.refs, p.numbers, p.flags, p.docs, p.docEnds].map((a) => a.buffer as ArrayBuffer);
}
