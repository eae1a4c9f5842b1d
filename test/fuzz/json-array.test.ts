import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { readJsonArrayBatches } from '../../src/sources/json-array.js';
import type { LineBatch } from '../../src/sources/lines.js';
import { fuzzParams } from './runs.js';

/** The bytes cut into reads at the given points (a read may end inside a character). */
async function* reads(bytes: Buffer, cuts: number[]): AsyncGenerator<Buffer> {
  let at = 0;
  for (const c of [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b)) {
    yield bytes.subarray(at, c);
    at = c;
  }
  yield bytes.subarray(at);
}

async function elements(bytes: Buffer, cuts: number[], batchLines: number): Promise<{ lines: string[]; broken: number; batches: LineBatch[] }> {
  const batches: LineBatch[] = [];
  for await (const b of readJsonArrayBatches('fuzz', reads(bytes, cuts), 'array', { batchLines })) batches.push(b);
  let next = 1;
  for (const b of batches) {
    expect(b.firstLine).toBe(next);
    next += b.lines.length;
  }
  const broken = batches.filter((b) => b.broken !== undefined).length;
  const lines = batches.flatMap((b) => b.lines.filter((_, i) => b.broken?.index !== i));
  return { lines, broken, batches };
}

/** Whitespace JSON allows between tokens. */
const ws = fc.string({ unit: fc.constantFrom(' ', '\n', '\t', '\r'), maxLength: 3 });

describe('reading a JSON array document (property)', () => {
  it('gives each element once, in order, equal to what JSON.parse reads, however the bytes are cut and spaced', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.jsonValue(), { maxLength: 30 }),
        fc.array(fc.nat(), { maxLength: 8 }),
        ws,
        fc.integer({ min: 1, max: 8 }),
        async (values, cuts, space, batchLines) => {
          const text = `${space}[${space}${values.map((v) => JSON.stringify(v)).join(`${space},${space}`)}${space}]${space}`;
          const { lines, broken } = await elements(Buffer.from(text), cuts, batchLines);
          expect(broken).toBe(0);
          expect(lines.map((l) => JSON.parse(l) as unknown)).toEqual(values.map((v) => JSON.parse(JSON.stringify(v)) as unknown));
        },
      ),
      fuzzParams(200, 2),
    );
  });

  it('cut off anywhere before its end, keeps only whole elements before the cut and marks the break once', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.jsonValue(), { minLength: 1, maxLength: 20 }), fc.nat(), fc.array(fc.nat(), { maxLength: 4 }), async (values, at, cuts) => {
        const text = `[${values.map((v) => JSON.stringify(v)).join(',')}]`;
        const truncated = Buffer.from(text).subarray(0, at % Buffer.byteLength(text));
        const { lines, broken } = await elements(truncated, cuts, 5);
        expect(broken).toBe(1);
        const expected = values.map((v) => JSON.parse(JSON.stringify(v)) as unknown);
        const got = lines.map((l) => JSON.parse(l) as unknown);
        expect(got).toEqual(expected.slice(0, got.length));
      }),
      fuzzParams(200, 2),
    );
  });

  it('never throws on any bytes, and every slot is an element, an oversized one or the one break', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.uint8Array({ maxLength: 200 }).map((a) => Buffer.from(a)),
          fc.string({ maxLength: 200 }).map((s) => Buffer.from(`[${s}`)),
        ),
        fc.array(fc.nat(), { maxLength: 4 }),
        async (bytes, cuts) => {
          const { broken, batches } = await elements(bytes, cuts, 4);
          expect(broken).toBeLessThanOrEqual(1);
          for (const b of batches) for (const l of b.lines) expect(typeof l).toBe('string');
        },
      ),
      fuzzParams(300, 2),
    );
  });
});
