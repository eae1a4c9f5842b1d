import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { runIngest } from '../../src/run/ingest.js';
import { accountingHolds } from '../../src/run/summary.js';
import { DEFAULT_MAX_LINE_BYTES } from '../../src/sources/lines.js';
import { tempDir, TEST_ENV } from '../helpers/env.js';
import { REAL } from './cases.js';
import { memoryMeter, MiB } from './memory.js';

/** 200 times the default line limit: buffered, it would be 200 MB of Buffers, counted below. */
const LINE_MIB = 200;
/** What reading may hold at once: chunks in flight and their batches, far below one such line. */
const MEMORY_BOUND = 48 * MiB;

describe('a 200 MB line on stdin', () => {
  it('is counted and dead-lettered as line_too_long without ever being buffered, and the lines around it are stored', async () => {
    const dir = tempDir();
    const meter = memoryMeter();
    async function* stdin(): AsyncGenerator<Buffer> {
      yield Buffer.from(`${REAL[0]}\n{"start":"`);
      for (let i = 0; i < LINE_MIB; i++) {
        // A fresh buffer each time: if any stage kept them, they would add up.
        yield Buffer.alloc(MiB, 'a');
        if (i % 16 === 0) meter.sample();
      }
      yield Buffer.from(`"}\n${REAL[1]}\n`);
    }
    const s = await runIngest({ paths: ['-'], stdin: Readable.from(stdin()), dataDir: dir, env: TEST_ENV, workers: 0 });
    meter.sample();

    expect(accountingHolds(s)).toBe(true);
    expect({ linesRead: s.linesRead, eventsIndexed: s.eventsIndexed, deadLetteredBy: s.deadLetteredBy }).toEqual({
      linesRead: 3,
      eventsIndexed: 2,
      deadLetteredBy: { line_too_long: 1 },
    });
    const [entry, ...others] = readFileSync(join(dir, 'dead-letter.ndjson'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { code: string; line: number; reason: string; text: string });
    expect(others).toEqual([]);
    const bytes = LINE_MIB * MiB + '{"start":""}'.length;
    expect(entry).toMatchObject({ code: 'line_too_long', source: '-', line: 2, reason: `line of ${bytes} bytes exceeds the maximum line length` });
    // Only the head is kept for the dead-letter file.
    expect(entry!.text.length).toBeLessThanOrEqual(1024);
    expect(entry!.text.startsWith('{"start":"aaa')).toBe(true);
    expect(bytes).toBeGreaterThan(100 * DEFAULT_MAX_LINE_BYTES);
    expect(meter.peakGrowth()).toBeLessThan(MEMORY_BOUND);
  });
});
