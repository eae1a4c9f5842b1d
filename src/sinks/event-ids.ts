import { closeSync, openSync, readSync } from 'node:fs';

/** Slots a new set starts with (16 bytes each); it doubles when three quarters are taken. */
const INITIAL_SLOTS = 256;
const WORDS = 4;
const HYPHEN = 0x2d;
/** The four 32-bit words of the UUID being looked up. */
const words = new Uint32Array(WORDS);

/**
 * The ids a sink has seen, kept small and outside the V8 heap: a run over a 2 GB array holds ~1.8M
 * of them. A UUID-shaped id (ours: transforms/build/ids.ts) is kept as its 16 bytes in an
 * open-addressed table of 32-bit words, 21-43 bytes per id that the garbage collector never walks;
 * as a 16-character latin1 string in a Set it took ~55 bytes of heap, one more object for every
 * full collection of the main thread to mark. Any other id (an already-formed event's own) is kept
 * as its text.
 */
export class IdSet {
  private slots = new Uint32Array(INITIAL_SLOTS * WORDS);
  private mask = INITIAL_SLOTS - 1;
  private packed = 0;
  /** The all-zero UUID: its slot would read as empty. */
  private zero = false;
  private readonly others = new Set<string>();
  /** Whether the last `slotOf` found the id (else its slot is the empty one where it belongs). */
  private found = false;

  get size(): number {
    return this.packed + (this.zero ? 1 : 0) + this.others.size;
  }

  has(id: string): boolean {
    if (!readUuid(id)) return this.others.has(id);
    if (isZero()) return this.zero;
    this.slotOf();
    return this.found;
  }

  /** Adds `id`; false when it was already there. */
  add(id: string): boolean {
    if (!readUuid(id)) {
      if (this.others.has(id)) return false;
      this.others.add(id);
      return true;
    }
    if (isZero()) {
      if (this.zero) return false;
      return (this.zero = true);
    }
    const slot = this.slotOf();
    if (this.found) return false;
    this.slots.set(words, slot * WORDS);
    if (++this.packed * 4 > (this.mask + 1) * 3) this.grow();
    return true;
  }

  /** The slot of the id in `words`: where it is, or the first empty one on its probe sequence. */
  private slotOf(): number {
    const s = this.slots;
    const w0 = words[0]!;
    const w1 = words[1]!;
    const w2 = words[2]!;
    const w3 = words[3]!;
    for (let i = hashOf(w0, w1, w2, w3) & this.mask; ; i = (i + 1) & this.mask) {
      const at = i * WORDS;
      const a = s[at]!;
      const b = s[at + 1]!;
      const c = s[at + 2]!;
      const d = s[at + 3]!;
      if (a === w0 && b === w1 && c === w2 && d === w3) {
        this.found = true;
        return i;
      }
      if ((a | b | c | d) === 0) {
        this.found = false;
        return i;
      }
    }
  }

  private grow(): void {
    const old = this.slots;
    this.slots = new Uint32Array(old.length * 2);
    this.mask = this.mask * 2 + 1;
    for (let at = 0; at < old.length; at += WORDS) {
      if ((old[at]! | old[at + 1]! | old[at + 2]! | old[at + 3]!) === 0) continue;
      words.set(old.subarray(at, at + WORDS));
      this.slots.set(words, this.slotOf() * WORDS);
    }
  }
}

/** Mixes all 128 bits, so ids that share words (or hostile ones) still spread over the table. */
function hashOf(w0: number, w1: number, w2: number, w3: number): number {
  let h = Math.imul(w0 ^ 0x9e3779b9, 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 15) ^ w1, 0xc2b2ae35);
  h = Math.imul(h ^ (h >>> 13) ^ w2, 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 16) ^ w3, 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

function isZero(): boolean {
  return (words[0]! | words[1]! | words[2]! | words[3]!) === 0;
}

/**
 * Reads a lowercase hyphenated UUID into `words`, by hand (~0.35 us against ~1.4 for a regular
 * expression and a hex Buffer); false for any other id.
 */
function readUuid(id: string): boolean {
  if (id.length !== 36 || id.charCodeAt(8) !== HYPHEN || id.charCodeAt(13) !== HYPHEN || id.charCodeAt(18) !== HYPHEN || id.charCodeAt(23) !== HYPHEN) {
    return false;
  }
  let w = 0;
  let n = 0;
  for (let i = 0; i < 36; i++) {
    if (i === 8 || i === 13 || i === 18 || i === 23) continue;
    const v = nibble(id.charCodeAt(i));
    if (v < 0) return false;
    w = (w << 4) | v;
    if (++n % 8 === 0) {
      words[n / 8 - 1] = w;
      w = 0;
    }
  }
  return true;
}

/** The value of a lowercase hex digit, -1 for anything else. */
function nibble(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x61 && c <= 0x66) return c - 0x57;
  return -1;
}

const READ_BYTES = 1024 * 1024;
const ID_PREFIX = '{"id":"';

/**
 * The ids of an NDJSON event file, read in 1 MiB pieces (a day's file may be larger than a
 * string can be). Events are serialised with `id` first, so the id is read without parsing;
 * anything else (an escaped id, a line from elsewhere) is parsed. A last line without its
 * newline is parsed whole: torn by a crash, its id may be complete while the event is not,
 * and that event was never acknowledged.
 */
export function readIds(path: string, into: IdSet): void {
  const fd = openSync(path, 'r');
  try {
    const buf = Buffer.alloc(READ_BYTES);
    let carry = '';
    for (;;) {
      const n = readSync(fd, buf, 0, READ_BYTES, null);
      if (n === 0) break;
      const text = carry + buf.toString('utf8', 0, n);
      let start = 0;
      for (let nl = text.indexOf('\n'); nl !== -1; nl = text.indexOf('\n', start)) {
        addLineId(text.slice(start, nl), into);
        start = nl + 1;
      }
      carry = text.slice(start);
    }
    if (carry) addParsedId(carry, into);
  } finally {
    closeSync(fd);
  }
}

function addLineId(line: string, into: IdSet): void {
  if (line.startsWith(ID_PREFIX)) {
    const end = line.indexOf('"', ID_PREFIX.length);
    const id = line.slice(ID_PREFIX.length, end);
    if (end !== -1 && !id.includes('\\')) {
      into.add(id);
      return;
    }
  }
  addParsedId(line, into);
}

function addParsedId(line: string, into: IdSet): void {
  try {
    const id = (JSON.parse(line) as { id?: unknown }).id;
    if (typeof id === 'string') into.add(id);
  } catch {
    // A torn last line from a crashed run: the event it held will be written again.
  }
}
