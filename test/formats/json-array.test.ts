import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { expandInputs, readLineBatches } from '../../src/sources/file.js';
import { sniffJsonDocument } from '../../src/sources/json-array.js';
import type { LineBatch } from '../../src/sources/lines.js';
import { tempDir } from '../helpers/env.js';

async function batchesOf(file: string, opts: { batchLines?: number; maxLineBytes?: number } = {}): Promise<LineBatch[]> {
  const [source] = await expandInputs([file]);
  const out: LineBatch[] = [];
  for await (const b of readLineBatches(source!, opts)) out.push(b);
  return out;
}
const lines = (bs: LineBatch[]) => bs.flatMap((b) => b.lines);
const elements = Array.from({ length: 5 }, (_, i) => ({ n: i, action: 'kms.secrets.read', nested: { a: [i, 'x'] } }));

describe('JSON documents', () => {
  it('streams an array element by element, one line each, numbered by index + 1', async () => {
    const file = join(tempDir(), 'export.json');
    writeFileSync(file, `\ufeff  \n${JSON.stringify(elements, null, 2)}\n`);
    const bs = await batchesOf(file, { batchLines: 2 });
    expect(lines(bs)).toEqual(elements.map((e) => JSON.stringify(e)));
    expect(bs.map((b) => b.firstLine)).toEqual([1, 3, 5]);
  });

  it('reads a gzip-compressed array the same way', async () => {
    const file = join(tempDir(), 'export.json.gz');
    writeFileSync(file, gzipSync(JSON.stringify(elements)));
    expect(lines(await batchesOf(file))).toEqual(elements.map((e) => JSON.stringify(e)));
  });

  it('takes the _source of every hit of a search response', async () => {
    const file = join(tempDir(), 'search.json');
    const hits = elements.map((e, i) => ({ _index: 'i', _id: String(i), _score: null, _source: e }));
    writeFileSync(file, JSON.stringify({ took: 2, timed_out: false, _shards: { total: 1 }, hits: { total: { value: 5 }, hits } }, null, 1));
    expect(lines(await batchesOf(file))).toEqual(elements.map((e) => JSON.stringify(e)));
  });

  it('keeps a .json file of one object per line on the line path', async () => {
    const file = join(tempDir(), 'events.json');
    writeFileSync(file, elements.map((e) => JSON.stringify(e)).join('\n'));
    expect(lines(await batchesOf(file))).toEqual(elements.map((e) => JSON.stringify(e)));
  });

  it('ends a broken array with an empty line slot marked broken, saying where, after the elements before it', async () => {
    const file = join(tempDir(), 'cut.json');
    writeFileSync(file, JSON.stringify(elements).slice(0, 60));
    const bs = await batchesOf(file);
    expect(lines(bs)).toEqual([JSON.stringify(elements[0]), '']);
    expect(bs.at(-1)!.broken).toEqual({ index: 1, reason: expect.stringMatching(/^array broken after element 1: /) as unknown });
  });

  it('marks the broken slot in the last batch only, indexed within that batch', async () => {
    const file = join(tempDir(), 'cut.json');
    writeFileSync(file, JSON.stringify(elements).slice(0, -20));
    const bs = await batchesOf(file, { batchLines: 2 });
    expect(bs.slice(0, -1).every((b) => b.broken === undefined)).toBe(true);
    const last = bs.at(-1)!;
    expect(last.lines[last.broken!.index]).toBe('');
    expect(last.firstLine + last.broken!.index).toBe(lines(bs).length);
  });

  it('reports an element over the line limit as oversized, keeping only its head', async () => {
    const file = join(tempDir(), 'big.json');
    writeFileSync(file, JSON.stringify([{ a: 1 }, { big: 'x'.repeat(5000) }, { b: 2 }]));
    const [b] = await batchesOf(file, { maxLineBytes: 1024 });
    expect(b!.lines).toEqual(['{"a":1}', '', '{"b":2}']);
    expect(b!.oversized).toEqual([{ index: 1, bytes: 5010, head: JSON.stringify({ big: 'x'.repeat(5000) }).slice(0, 1024) }]);
  });

  it('sniffs from the head of a stream and replays it whole', async () => {
    const text = `[${'{"k":1},'.repeat(200)}{"k":2}]`;
    const chunks = [Buffer.from(text.slice(0, 7)), Buffer.from(text.slice(7))];
    const { kind, chunks: replay } = await sniffJsonDocument(Readable.from(chunks));
    expect(kind).toBe('array');
    const back: Buffer[] = [];
    for await (const c of replay) back.push(c);
    expect(Buffer.concat(back).toString()).toBe(text);
  });
});
