import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { idKey, readIdKeys } from '../../src/sinks/event-ids.js';

const uuid = (i: number) => `${i.toString(16).padStart(8, '0')}-0000-8000-8000-${'0'.repeat(12)}`;

describe('compact id keys', () => {
  it('packs UUID-shaped ids to 16 characters and keeps other ids apart from them', () => {
    expect(idKey(uuid(1))).toHaveLength(16);
    expect(idKey(uuid(1))).not.toBe(idKey(uuid(2)));
    // A 16-character id from elsewhere can never equal a packed key.
    const packed = idKey(uuid(7));
    expect(idKey(packed)).not.toBe(packed);
    expect(idKey('AT-event-42')).toBe(idKey('AT-event-42'));
  });

  it('packs a UUID into its 16 bytes, and only a lowercase hyphenated UUID', () => {
    const bytesOf = (id: string) => Buffer.from(id.replace(/-/g, ''), 'hex').toString('latin1');
    for (let i = 0; i < 1000; i++) {
      const id = randomUUID();
      expect(idKey(id)).toBe(bytesOf(id));
    }
    expect(idKey('ffffffff-ffff-ffff-ffff-ffffffffffff')).toBe('\xff'.repeat(16));
    const id = '16d2c115-a663-8d37-ae41-5861b022acd6';
    for (const other of [
      id.toUpperCase(),
      `${id.slice(0, 35)}g`,
      `${id.slice(0, 8)}e${id.slice(9)}`,
      `${id.slice(0, 13)}${id.slice(14)}-`,
      `/${id.slice(1)}`,
      `:${id.slice(1)}`,
      '`' + id.slice(1),
    ]) {
      expect(other).toHaveLength(36);
      expect(idKey(other)).toBe(`${other}\u0100`);
    }
  });

  it('reads every id of a file bigger than one read, including escaped ids and a torn last line', () => {
    const dir = mkdtempSync(join(tmpdir(), 'auditline-ids-'));
    const file = join(dir, 'day.ndjson');
    const pad = 'p'.repeat(900);
    const lines = Array.from({ length: 3000 }, (_, i) => JSON.stringify({ id: uuid(i), pad }));
    lines.push(JSON.stringify({ id: 'odd"id\\with escapes', pad }));
    lines.push(JSON.stringify({ action: 'x', id: 'not-first' }));
    writeFileSync(file, `${lines.join('\n')}\n{"id":"torn`);
    const keys = new Set<string>();
    readIdKeys(file, keys);
    expect(keys.size).toBe(3002);
    expect(keys.has(idKey(uuid(2999)))).toBe(true);
    expect(keys.has(idKey('odd"id\\with escapes'))).toBe(true);
    expect(keys.has(idKey('not-first'))).toBe(true);
  });
});
