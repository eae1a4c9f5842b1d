import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ByteChunker, linesOfChunk } from '../../src/sources/chunks.js';
import { LineSplitter, type LineBatch } from '../../src/sources/lines.js';

/** What the plain line splitter makes of the stream: the reference the chunked path must equal. */
function viaSplitter(reads: Buffer[], max: number): { lines: string[]; oversized: LineBatch['oversized'] } {
  const s = new LineSplitter('t', max, 7);
  return flatten([...reads.flatMap((r) => s.push(r)), ...s.end()]);
}

function viaChunks(reads: Buffer[], max: number, chunkBytes: number): { lines: string[]; oversized: LineBatch['oversized']; firstLines: number[] } {
  const c = new ByteChunker('t', max, chunkBytes);
  const chunks = [...reads.flatMap((r) => c.push(r)), ...c.end()];
  const batches = chunks.map((ch) => linesOfChunk(ch, max));
  // Each chunk must start where the previous one ended: line numbers are exact.
  let expected = 1;
  for (const b of batches) {
    expect(b.firstLine).toBe(expected);
    expected += b.lines.length;
  }
  return { ...flatten(batches), firstLines: batches.map((b) => b.firstLine) };
}

function flatten(batches: LineBatch[]): { lines: string[]; oversized: LineBatch['oversized'] } {
  const lines: string[] = [];
  const oversized: LineBatch['oversized'] = [];
  for (const b of batches) {
    for (const o of b.oversized) oversized.push({ ...o, index: o.index + lines.length });
    lines.push(...b.lines);
  }
  return { lines, oversized };
}

/** Cuts a buffer at arbitrary byte positions (mid-character too), as a read stream may. */
function cutAt(buf: Buffer, cuts: number[]): Buffer[] {
  const points = [...new Set(cuts.map((c) => c % (buf.length + 1)))].sort((a, b) => a - b);
  const out: Buffer[] = [];
  let at = 0;
  for (const p of points) {
    out.push(buf.subarray(at, p));
    at = p;
  }
  out.push(buf.subarray(at));
  return out.filter((b) => b.length > 0);
}

describe('ByteChunker + linesOfChunk', () => {
  it('cuts at newlines and numbers chunks by the lines before them', () => {
    const c = new ByteChunker('t', 1024, 8);
    const chunks = [...c.push(Buffer.from('aaaa\nbbbb\ncc')), ...c.push(Buffer.from('cc\nd')), ...c.end()];
    expect(chunks.map((ch) => [Buffer.from(ch.bytes).toString(), ch.firstLine, ch.last])).toEqual([
      ['aaaa\nbbbb\n', 1, false],
      ['cccc\nd', 3, true],
    ]);
    expect(linesOfChunk(chunks[1]!).lines).toEqual(['cccc', 'd']);
  });

  it('never buffers a line longer than the limit: keeps its head and byte count, and goes on', () => {
    const c = new ByteChunker('t', 100, 64);
    const big = 'z'.repeat(5000);
    const reads = ['ok\n', big.slice(0, 70), big.slice(70, 3000), big.slice(3000), '\nafter\n'].map((s) => Buffer.from(s));
    const chunks = [...reads.flatMap((r) => c.push(r)), ...c.end()];
    expect(Math.max(...chunks.map((ch) => ch.bytes.length))).toBeLessThan(200);
    const out = flatten(chunks.map((ch) => linesOfChunk(ch, 100)));
    expect(out.lines).toEqual(['ok', '', 'after']);
    // The head comes from the line's first maxLineBytes bytes (100 here; 1 MiB by default).
    expect(out.oversized).toEqual([{ index: 1, bytes: 5000, head: 'z'.repeat(100) }]);
  });

  it('an oversized last line without a newline still counts', () => {
    const c = new ByteChunker('t', 10, 8);
    const chunks = [...c.push(Buffer.from('a\n' + 'y'.repeat(50))), ...c.end()];
    const out = flatten(chunks.map((ch) => linesOfChunk(ch, 10)));
    expect(out.lines).toEqual(['a', '']);
    expect(out.oversized).toEqual([{ index: 1, bytes: 50, head: 'y'.repeat(10) }]);
  });

  it('gives exactly the lines, oversized lines and numbers of the line splitter, however the bytes arrive', () => {
    const line = fc.oneof(
      fc.string({ maxLength: 20 }),
      fc.string({ unit: 'grapheme', maxLength: 12 }),
      fc.constantFrom('', '\r', 'x\r', 'é€😀'),
      fc.integer({ min: 30, max: 300 }).map((n) => 'L'.repeat(n)),
    );
    fc.assert(
      fc.property(
        fc.array(
          line.map((l) => l.replace(/\n/g, ' ')),
          { maxLength: 40 },
        ),
        fc.boolean(),
        fc.array(fc.nat(), { maxLength: 12 }),
        fc.integer({ min: 8, max: 120 }),
        fc.integer({ min: 1, max: 200 }),
        (lines, finalNewline, cuts, max, chunkBytes) => {
          const text = lines.join('\n') + (finalNewline && lines.length > 0 ? '\n' : '');
          const reads = cutAt(Buffer.from(text), cuts);
          const expected = viaSplitter(reads, max);
          const got = viaChunks(reads, max, chunkBytes);
          expect(got.lines).toEqual(expected.lines);
          expect(got.oversized).toEqual(expected.oversized);
        },
      ),
      { numRuns: 400 },
    );
  });
});
