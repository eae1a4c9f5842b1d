import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runIngest } from '../../src/run/ingest.js';
import { accountingHolds } from '../../src/run/summary.js';
import { tempDir, TEST_ENV } from '../helpers/env.js';
import { deepObject, DEEP, REAL } from './cases.js';

function deadLetters(dir: string): { code: string; line: number; reason: string }[] {
  return readFileSync(join(dir, 'dead-letter.ndjson'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { code: string; line: number; reason: string });
}

describe('hostile JSON documents', () => {
  it('an array that never closes keeps its elements and dead-letters where it broke off', async () => {
    const dir = tempDir();
    const path = join(dir, 'open.json');
    writeFileSync(path, `[${REAL.slice(0, 3).join(',\n')},\n`);
    const s = await runIngest({ paths: [path], dataDir: dir, env: TEST_ENV, workers: 0 });
    expect(accountingHolds(s)).toBe(true);
    expect({ linesRead: s.linesRead, eventsIndexed: s.eventsIndexed, deadLetteredBy: s.deadLetteredBy }).toEqual({
      linesRead: 4,
      eventsIndexed: 3,
      deadLetteredBy: { malformed_json: 1 },
    });
    expect(deadLetters(dir)).toEqual([
      expect.objectContaining({ code: 'malformed_json', line: 4, reason: expect.stringMatching(/^array broken after element 3: /) as string }),
    ]);
  });

  it('an element nested 100,000 levels deep is dead-lettered as nested_too_deep, and the elements around it are stored', async () => {
    const dir = tempDir();
    const path = join(dir, 'deep.json');
    writeFileSync(path, `[${REAL[0]},${deepObject(DEEP)},${REAL[1]}]`);
    const s = await runIngest({ paths: [path], dataDir: dir, env: TEST_ENV, workers: 0 });
    expect(accountingHolds(s)).toBe(true);
    expect({ linesRead: s.linesRead, eventsIndexed: s.eventsIndexed, deadLetteredBy: s.deadLetteredBy }).toEqual({
      linesRead: 3,
      eventsIndexed: 2,
      deadLetteredBy: { nested_too_deep: 1 },
    });
    expect(deadLetters(dir)).toEqual([expect.objectContaining({ code: 'nested_too_deep', line: 2 })]);
  });

  it('a byte-order mark before the array is no reason to lose it', async () => {
    const dir = tempDir();
    const path = join(dir, 'bom.json');
    writeFileSync(path, `\ufeff[${REAL.slice(0, 2).join(',')}]`);
    const s = await runIngest({ paths: [path], dataDir: dir, env: TEST_ENV, workers: 0 });
    expect({ linesRead: s.linesRead, eventsIndexed: s.eventsIndexed }).toEqual({ linesRead: 2, eventsIndexed: 2 });
  });
});
