import { closeSync, openSync, readSync } from 'node:fs';

/**
 * The ids a sink has seen, kept small: a run over a 2 GB array holds ~1.8M of them. A UUID-shaped
 * id (ours: transforms/build/ids.ts) is kept as its 16 bytes in a latin1 string: measured 55 bytes
 * per id in a Set, against 100-380 for the 36-character text (more when it is a V8 cons string).
 */
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export function idKey(id: string): string {
  if (id.length === 36 && UUID.test(id)) return Buffer.from(id.replace(/-/g, ''), 'hex').toString('latin1');
  // Any other id (an already-formed event's own) gets a suffix outside latin1: it cannot equal a packed key.
  return `${id}\u0100`;
}

const READ_BYTES = 1024 * 1024;
const ID_PREFIX = '{"id":"';

/**
 * The ids of an NDJSON event file, read in 1 MiB pieces (a day's file may be larger than a
 * string can be). Events are serialised with `id` first, so the id is read without parsing;
 * anything else (an escaped id, a line from elsewhere) is parsed; a torn last line is skipped.
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
    if (carry) addLineId(carry, into);
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
  try {
    const id = (JSON.parse(line) as { id?: unknown }).id;
    if (typeof id === 'string') into.add(idKey(id));
  } catch {
    // A torn last line from a crashed run: the event it held will be written again.
  }
}
