import { closeSync, openSync, readSync } from 'node:fs';

/**
 * The ids a sink has seen, kept small: a run over a 2 GB array holds ~1.8M of them. A UUID-shaped
 * id (ours: transforms/build/ids.ts) is kept as its 16 bytes in a latin1 string: measured 55 bytes
 * per id in a Set, against 100-380 for the 36-character text (more when it is a V8 cons string).
 * Read by hand, one key per event on the main thread: ~0.35 us against ~1.4 for a regular
 * expression, a hex Buffer and its latin1 string.
 */
export function idKey(id: string): string {
  const packed = id.length === 36 ? packedUuid(id) : '';
  // Any other id (an already-formed event's own) gets a suffix outside latin1: it cannot equal a packed key.
  return packed || `${id}\u0100`;
}

const HYPHEN = 0x2d;
const bytes = new Array<number>(16);

/** The 16 bytes of a lowercase UUID as a latin1 string; '' when `id` is not one. */
function packedUuid(id: string): string {
  if (id.charCodeAt(8) !== HYPHEN || id.charCodeAt(13) !== HYPHEN || id.charCodeAt(18) !== HYPHEN || id.charCodeAt(23) !== HYPHEN) return '';
  let j = 0;
  for (let i = 0; i < 36; i += 2) {
    if (i === 8 || i === 13 || i === 18 || i === 23) i++;
    const hi = nibble(id.charCodeAt(i));
    const lo = nibble(id.charCodeAt(i + 1));
    if ((hi | lo) < 0) return '';
    bytes[j++] = (hi << 4) | lo;
  }
  const b = bytes as [number, number, number, number, number, number, number, number, number, number, number, number, number, number, number, number];
  return String.fromCharCode(b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]);
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
export function readIdKeys(path: string, into: Set<string>): void {
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

function addLineId(line: string, into: Set<string>): void {
  if (line.startsWith(ID_PREFIX)) {
    const end = line.indexOf('"', ID_PREFIX.length);
    const id = line.slice(ID_PREFIX.length, end);
    if (end !== -1 && !id.includes('\\')) {
      into.add(idKey(id));
      return;
    }
  }
  addParsedId(line, into);
}

function addParsedId(line: string, into: Set<string>): void {
  try {
    const id = (JSON.parse(line) as { id?: unknown }).id;
    if (typeof id === 'string') into.add(idKey(id));
  } catch {
    // A torn last line from a crashed run: the event it held will be written again.
  }
}
