import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { StoredEvent } from '../../src/model/records.js';
import { openDuckDbSink, type DuckDbSink } from '../../src/sinks/duckdb/sink.js';
import { verifyStore } from '../../src/sinks/duckdb/verify.js';
import type { StagedWrite } from '../../src/sinks/sink.js';
import { tempDir } from '../helpers/env.js';
import { queryStore } from '../helpers/store.js';
import { storedEvent } from '../helpers/stored-event.js';

/** Writes staged in parts (openWrite) on real DuckDB files: the same outcomes, rows and digests as whole writes. */
const ev = (n: number, location = 'us-south') => storedEvent(n, { location });

const range = (from: number, to: number, location?: string) => Array.from({ length: to - from }, (_, i) => ev(from + i, location));

async function staged(sink: DuckDbSink, parts: StoredEvent[][]): Promise<string[]> {
  const write = sink.openWrite();
  for (const part of parts) await write.stage(part);
  return (await write.commit()).map((o) => o.status);
}

async function rows(path: string, table = 'events_us_south') {
  return queryStore(path, `SELECT * EXCLUDE (event), event::VARCHAR AS event FROM ${table} ORDER BY id`);
}

describe('DuckDB sink, staged writes', () => {
  it('give the outcomes, rows and digest entries of the same events written whole', async () => {
    const dir = tempDir();
    // Parts out of time order, duplicates inside a part, across parts and against an earlier write.
    const first = [...range(0, 10), ...range(0, 3, 'eu-de')];
    const parts = [
      [ev(20), ev(5), ev(21), ev(20)],
      [ev(3, 'eu-de'), ev(4, 'eu-de'), ev(21)],
      [ev(15), ev(9), ev(22), ev(4, 'eu-de')],
    ];
    const results: string[][] = [];
    for (const [name, stagedParts] of [
      ['whole', false],
      ['staged', true],
    ] as const) {
      const sink = await openDuckDbSink(join(dir, `${name}.duckdb`), {}, { digests: true });
      try {
        await sink.write(first);
        results.push(stagedParts ? await staged(sink, parts) : (await sink.write(parts.flat())).map((o) => o.status));
      } finally {
        await sink.close();
      }
    }
    expect(results[1]).toEqual(results[0]);
    expect(results[1]).toEqual([
      'committed',
      'duplicate',
      'committed',
      'duplicate',
      'committed',
      'committed',
      'duplicate',
      'committed',
      'duplicate',
      'committed',
      'duplicate',
    ]);
    for (const table of ['events_us_south', 'events_eu_de'])
      expect(await rows(join(dir, 'staged.duckdb'), table)).toEqual(await rows(join(dir, 'whole.duckdb'), table));
    for (const table of ['digests_us_south', 'digests_eu_de']) {
      const q = `SELECT seq, events, entries FROM ${table} ORDER BY seq`;
      expect(await queryStore(join(dir, 'staged.duckdb'), q)).toEqual(await queryStore(join(dir, 'whole.duckdb'), q));
    }
    expect((await verifyStore(join(dir, 'staged.duckdb'))).intact).toBe(true);
  });

  it('show nothing before COMMIT, and nothing at all once aborted', async () => {
    const path = join(tempDir(), 'store.duckdb');
    const sink = await openDuckDbSink(path);
    try {
      await sink.write([ev(0)]);
      const reader = await sink.reader();
      const seen = async () => Number((await reader.runAndReadAll('SELECT count(*) FROM events_us_south')).getRows()[0]![0]);
      let write: StagedWrite = sink.openWrite();
      await write.stage(range(1, 3000)); // more than a row group: flushed into the transaction
      expect(await seen()).toBe(1);
      await write.abort();
      expect(await seen()).toBe(1);
      write = sink.openWrite();
      await write.stage(range(1, 3000));
      expect(await seen()).toBe(1);
      expect((await write.commit()).filter((s) => s.status === 'committed')).toHaveLength(2999);
      expect(await seen()).toBe(3000);
      reader.closeSync();
    } finally {
      await sink.close();
    }
  });

  it('fail whole when a part fails: nothing of the earlier parts is kept, and the next write works', async () => {
    const path = join(tempDir(), 'store.duckdb');
    const sink = await openDuckDbSink(path);
    try {
      const write = sink.openWrite();
      await write.stage(range(0, 5));
      // A time DuckDB cannot take.
      await expect(write.stage([{ ...ev(6, 'eu-de'), time: Number.NaN }])).rejects.toMatchObject({ code: 'AL_SINK_IO', retriable: false });
      await expect(write.stage([ev(7)])).rejects.toMatchObject({ code: 'AL_SINK_IO' });
      await expect(write.commit()).rejects.toMatchObject({ code: 'AL_SINK_IO' });
      await write.abort();
      expect(await staged(sink, [range(0, 3), range(3, 8)])).toEqual(Array(8).fill('committed'));
    } finally {
      await sink.close();
    }
    expect(await rows(path)).toHaveLength(8);
  });

  it('are open one at a time', async () => {
    const sink = await openDuckDbSink(join(tempDir(), 'store.duckdb'));
    try {
      const write = sink.openWrite();
      expect(() => sink.openWrite()).toThrow(/already open/);
      await write.stage([ev(1)]);
      await write.commit();
      expect(await staged(sink, [[ev(1), ev(2)]])).toEqual(['duplicate', 'committed']);
    } finally {
      await sink.close();
    }
  });
});
