import { describe, expect, it } from 'vitest';
import { LineSplitter, type LineBatch } from '../../src/sources/lines.js';

function split(chunks: (string | Buffer)[], max = 1024, batch = 3): LineBatch[] {
  const s = new LineSplitter('t', max, batch);
  return [...chunks.flatMap((c) => s.push(typeof c === 'string' ? Buffer.from(c) : c)), ...s.end()];
}
const lines = (batches: LineBatch[]) => batches.flatMap((b) => b.lines);

describe('LineSplitter', () => {
  it('joins lines split across chunks and numbers batches from 1', () => {
    const out = split(['a\nb', 'c\nd\ne', 'f\n']);
    expect(lines(out)).toEqual(['a', 'bc', 'd', 'ef']);
    expect(out.map((b) => b.firstLine)).toEqual([1, 4]);
  });

  it('keeps the last line without a trailing newline and strips CR of CRLF', () => {
    expect(lines(split(['x\r\ny']))).toEqual(['x', 'y']);
  });

  it('decodes a multi-byte character split between two chunks', () => {
    const bytes = Buffer.from('é€\n');
    expect(lines(split([bytes.subarray(0, 1), bytes.subarray(1, 4), bytes.subarray(4)]))).toEqual(['é€']);
  });

  it('reports a line longer than the limit as oversized without keeping it, and goes on', () => {
    const big = 'z'.repeat(5000);
    const out = split(['ok\n', big.slice(0, 2000), big.slice(2000), '\nafter\n'], 1024, 10);
    expect(lines(out)).toEqual(['ok', '', 'after']);
    expect(out[0]!.oversized).toEqual([{ index: 1, bytes: 5000, head: 'z'.repeat(1024) }]);
  });

  it('yields empty lines as lines, so blank lines are counted', () => {
    expect(lines(split(['\n\na\n']))).toEqual(['', '', 'a']);
  });
});
