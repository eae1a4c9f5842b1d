import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { runIngest } from '../../src/run/ingest.js';
import { accountingHolds } from '../../src/run/summary.js';
import { DEFAULT_INFLATE_LIMITS, expandInputs, isDamage, readInputChunks, type SourceDamage } from '../../src/sources/file.js';
import { tempDir, TEST_ENV } from '../helpers/env.js';
import { REAL } from './cases.js';
import { memoryMeter, MiB } from './memory.js';

/**
 * A gzip bomb: gzip members may follow one another in one file, so one member of 1 MiB of NUL
 * bytes (about 1 KB compressed, deflate's ~1000:1) repeated inflates to GiB from a few MB.
 */
function bomb(path: string, firstLines: string[], inflatedMiB: number): number {
  const member = gzipSync(Buffer.alloc(MiB));
  const file = Buffer.concat([gzipSync(`${firstLines.join('\n')}\n`), ...Array<Buffer>(inflatedMiB).fill(member)]);
  writeFileSync(path, file);
  return file.length;
}

describe('gzip bombs', () => {
  it('stop at the ratio limit with a source_decompression_limit entry; the lines before are stored and the file is not read on', async () => {
    const dir = tempDir();
    const path = join(dir, 'bomb.ndjson.gz');
    const INFLATED_MIB = 4096; // 4 GiB from ~4 MB
    const compressed = bomb(path, [REAL[0]!, REAL[1]!], INFLATED_MIB);
    expect(compressed).toBeLessThan(8 * MiB);
    const meter = memoryMeter();
    let inflatedRead = 0;
    const s = await runIngest({
      paths: [path],
      dataDir: dir,
      env: TEST_ENV,
      workers: 0,
      onProgress: (p) => {
        inflatedRead = p.bytesRead;
        meter.sample();
      },
    });
    expect(accountingHolds(s)).toBe(true);
    // Two real lines, then the damage entry standing for the rest (the NUL bytes are one line, cut off).
    expect({ linesRead: s.linesRead, eventsIndexed: s.eventsIndexed, deadLetteredBy: s.deadLetteredBy }).toEqual({
      linesRead: 3,
      eventsIndexed: 2,
      deadLetteredBy: { source_decompression_limit: 1 },
    });
    expect(s.damaged).toEqual([
      {
        source: path,
        code: 'source_decompression_limit',
        line: 3,
        reason: expect.stringMatching(/stopped: decompressed \d+ bytes from \d+ compressed, past the limit of 200:1$/) as string,
      },
    ]);
    const entries = readFileSync(join(dir, 'dead-letter.ndjson'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { code: string; line: number });
    expect(entries).toEqual([expect.objectContaining({ code: 'source_decompression_limit', line: 3 })]);
    // Stopped a little past the point where the ratio is first checked, not gigabytes later.
    expect(inflatedRead).toBeGreaterThan(DEFAULT_INFLATE_LIMITS.ratioAfterBytes);
    expect(inflatedRead).toBeLessThan(4 * DEFAULT_INFLATE_LIMITS.ratioAfterBytes);
    expect(meter.peakGrowth()).toBeLessThan(48 * MiB);
  });

  it('stop at the size limit, whatever the ratio', async () => {
    const dir = tempDir();
    const path = join(dir, 'big.ndjson.gz');
    const text = `${REAL.join('\n')}\n`;
    writeFileSync(path, gzipSync(text));
    const limit = Math.floor(text.length / 2);
    const [source] = await expandInputs([path], undefined, { inflate: { maxBytes: limit } });
    const damage: SourceDamage[] = [];
    let bytes = 0;
    for await (const item of readInputChunks(source!, { chunkBytes: 4096 })) {
      if (isDamage(item)) damage.push(item);
      else if ('bytes' in item) bytes += item.bytes.length;
    }
    expect(damage).toEqual([
      expect.objectContaining({ code: 'source_decompression_limit', reason: expect.stringContaining(`past the limit of ${limit} bytes`) as string }),
    ]);
    expect(bytes).toBeGreaterThan(0);
    expect(bytes).toBeLessThanOrEqual(limit);
  });

  it('leave a file that compresses very well but inflates to less than the ratio floor alone', async () => {
    const dir = tempDir();
    const path = join(dir, 'blank.ndjson.gz');
    // 16 MiB of newlines compress about 1000:1, far past the ratio, and are still ordinary input.
    writeFileSync(path, gzipSync(Buffer.alloc(16 * MiB, '\n')));
    const [source] = await expandInputs([path]);
    let lines = 0;
    for await (const item of readInputChunks(source!)) {
      expect(isDamage(item)).toBe(false);
      if ('bytes' in item) lines += item.bytes.length;
    }
    expect(lines).toBe(16 * MiB);
  });

  it('a truncated .gz still costs only its damaged part (source_truncated)', async () => {
    const dir = tempDir();
    const path = join(dir, 'cut.ndjson.gz');
    const gz = gzipSync(`${REAL.join('\n')}\n`);
    writeFileSync(path, gz.subarray(0, Math.floor(gz.length / 2)));
    const s = await runIngest({ paths: [path], dataDir: dir, env: TEST_ENV, workers: 0 });
    expect(accountingHolds(s)).toBe(true);
    expect(s.deadLetteredBy).toEqual({ source_truncated: 1 });
    expect(s.eventsIndexed).toBe(s.linesRead - 1);
  });
});
