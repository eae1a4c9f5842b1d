import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { IdSet, readIds } from '../../src/sinks/event-ids.js';

const uuid = (i: number) => `${i.toString(16).padStart(8, '0')}-0000-8000-8000-${'0'.repeat(12)}`;

describe('the set of ids a sink has seen', () => {
  it('answers like a Set of the ids for 100,000 random UUIDs, across every growth of its table', () => {
    const ids = new IdSet();
    const added = Array.from({ length: 100_000 }, () => randomUUID());
    expect(added.filter((id) => !ids.add(id))).toEqual([]);
    expect(ids.size).toBe(added.length);
    expect(added.filter((id) => !ids.has(id))).toEqual([]);
    expect(added.filter((id) => ids.add(id))).toEqual([]);
    const others = Array.from({ length: 10_000 }, () => randomUUID());
    expect(others.filter((id) => ids.has(id))).toEqual([]);
    expect(ids.size).toBe(added.length);
  });

  it('tells apart UUIDs that share all but one word, and the all-zero UUID from an empty slot', () => {
    const ids = new IdSet();
    const zero = '00000000-0000-0000-0000-000000000000';
    expect(ids.has(zero)).toBe(false);
    for (let i = 1; i <= 5000; i++) ids.add(uuid(i));
    expect(ids.has(zero)).toBe(false);
    expect(ids.has(uuid(0))).toBe(ids.has(zero));
    expect(ids.add(zero)).toBe(true);
    expect(ids.add(zero)).toBe(false);
    expect(ids.has(zero)).toBe(true);
    for (let i = 1; i <= 5000; i++) expect(ids.has(uuid(i))).toBe(true);
    expect(ids.has(uuid(5001))).toBe(false);
    expect(ids.has('ffffffff-ffff-ffff-ffff-ffffffffffff')).toBe(false);
    expect(ids.add('ffffffff-ffff-ffff-ffff-ffffffffffff')).toBe(true);
    expect(ids.size).toBe(5002);
  });

  it('keeps any id that is not a lowercase hyphenated UUID as its text, apart from the UUIDs', () => {
    const ids = new IdSet();
    const id = '16d2c115-a663-8d37-ae41-5861b022acd6';
    ids.add(id);
    const near = [
      id.toUpperCase(),
      `${id.slice(0, 35)}g`,
      `${id.slice(0, 8)}e${id.slice(9)}`,
      `${id.slice(0, 13)}${id.slice(14)}-`,
      `/${id.slice(1)}`,
      `:${id.slice(1)}`,
      '`' + id.slice(1),
      id.replace(/-/g, ''),
      Buffer.from(id.replace(/-/g, ''), 'hex').toString('latin1'),
    ];
    for (const other of near) expect(ids.has(other)).toBe(false);
    for (const other of near) expect(ids.add(other)).toBe(true);
    for (const other of near) expect(ids.add(other)).toBe(false);
    expect(ids.add('AT-event-42')).toBe(true);
    expect(ids.has('AT-event-42')).toBe(true);
    expect(ids.size).toBe(near.length + 2);
  });

  it('reads every id of a file bigger than one read, including escaped ids and a torn last line', () => {
    const dir = mkdtempSync(join(tmpdir(), 'auditline-ids-'));
    const file = join(dir, 'day.ndjson');
    const pad = 'p'.repeat(900);
    const lines = Array.from({ length: 3000 }, (_, i) => JSON.stringify({ id: uuid(i), pad }));
    lines.push(JSON.stringify({ id: 'odd"id\\with escapes', pad }));
    lines.push(JSON.stringify({ action: 'x', id: 'not-first' }));
    writeFileSync(file, `${lines.join('\n')}\n{"id":"torn`);
    const ids = new IdSet();
    readIds(file, ids);
    expect(ids.size).toBe(3002);
    expect(ids.has(uuid(0))).toBe(true);
    expect(ids.has(uuid(2999))).toBe(true);
    expect(ids.has('odd"id\\with escapes')).toBe(true);
    expect(ids.has('not-first')).toBe(true);
    expect(ids.has('torn')).toBe(false);
  });
});
