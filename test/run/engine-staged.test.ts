import { describe, expect, it } from 'vitest';
import type { StoredEvent } from '../../src/model/records.js';
import { accountingHolds } from '../../src/run/summary.js';
import { SinkError, type EventSink, type StagedWrite } from '../../src/sinks/sink.js';
import { tempDir } from '../helpers/env.js';
import { queryStore } from '../helpers/store.js';
import { batchOf, LINES, openTestEngine } from './engine-harness.js';

/** A staging sink in front of the store that counts its calls and can fail the n-th part staged. */
function stagingSpy(inner: EventSink, failPart?: (n: number) => boolean) {
  const calls = { parts: [] as number[], commits: 0, aborts: 0, wholeWrites: 0 };
  const sink: EventSink = {
    name: `spy(${inner.name})`,
    async write(events) {
      calls.wholeWrites++;
      return inner.write(events);
    },
    openWrite(): StagedWrite {
      const write = inner.openWrite!();
      return {
        async stage(events: readonly StoredEvent[]) {
          calls.parts.push(events.length);
          if (failPart?.(calls.parts.length)) {
            await write.abort();
            throw new SinkError('disk full', { retriable: false });
          }
          return write.stage(events);
        },
        async commit() {
          calls.commits++;
          return write.commit();
        },
        async abort() {
          calls.aborts++;
          return write.abort();
        },
      };
    },
    close: () => inner.close(),
  };
  return { sink, calls };
}

async function countStored(store: string): Promise<number> {
  const tables = await queryStore(store, "SELECT table_name FROM information_schema.tables WHERE table_name LIKE 'events_%'");
  let n = 0;
  for (const t of tables) n += Number((await queryStore(store, `SELECT count(*) AS n FROM "${String(t.table_name)}"`))[0]!.n);
  return n;
}

describe('the engine, with a sink that stages', () => {
  it('hands each batch to the open write as it arrives and commits the write once; counts as a whole write would', async () => {
    let spy: ReturnType<typeof stagingSpy> | undefined;
    const { engine, store } = await openTestEngine(tempDir(), { wrap: (s) => (spy = stagingSpy(s)).sink, writes: { maxWaitMs: 60_000 } });
    const src = engine.source('a.log');
    for (let k = 0; k < 60; k += 20) await src.push(batchOf('a.log', LINES.slice(k, k + 20), k + 1));
    await src.push(batchOf('a.log', LINES.slice(0, 20), 61)); // the same lines again: duplicates within the write
    const result = await src.end();
    await engine.close();
    expect(spy!.calls).toMatchObject({ commits: 1, aborts: 0, wholeWrites: 0 });
    expect(spy!.calls.parts).toHaveLength(4);
    expect(accountingHolds(result)).toBe(true);
    expect(result.linesRead).toBe(80);
    expect(result.duplicatesSkipped).toBeGreaterThanOrEqual(20);
    expect(await countStored(store)).toBe(result.eventsIndexed);
    expect(Object.values(result.byLocation).reduce((a, b) => a + b, 0)).toBe(result.eventsIndexed);
  });

  it("acknowledges none of a write's batches when one part fails, and stops ('stop'), keeping what it acknowledged before", async () => {
    let spy: ReturnType<typeof stagingSpy> | undefined;
    const { engine, store } = await openTestEngine(tempDir(), { wrap: (s) => (spy = stagingSpy(s, (n) => n === 3)).sink, writes: { maxWaitMs: 60_000 } });
    const first = engine.source('first.log');
    await first.push(batchOf('first.log', LINES.slice(0, 20)));
    const acked = await first.end();
    const second = engine.source('second.log');
    await second.push(batchOf('second.log', LINES.slice(20, 40)));
    await second.push(batchOf('second.log', LINES.slice(40, 60), 21));
    await second.push(batchOf('second.log', LINES.slice(60, 80), 41));
    await expect(second.end()).rejects.toThrow(/disk full/);
    expect(engine.stats().acknowledged.eventsIndexed).toBe(acked.eventsIndexed);
    await expect(engine.source('third.log').push(batchOf('third.log', LINES.slice(80, 81)))).rejects.toThrow(/disk full/);
    await engine.close();
    expect(spy!.calls.parts).toHaveLength(3); // nothing staged after the failure
    expect(await countStored(store)).toBe(acked.eventsIndexed);
  });

  it("fails only the failed write's batches with 'fail-batches'; the next write commits", async () => {
    const { engine, store } = await openTestEngine(tempDir(), {
      wrap: (s) => stagingSpy(s, (n) => n === 1).sink,
      writes: { maxWaitMs: 60_000 },
      onWriteFailure: 'fail-batches',
    });
    const first = engine.source('first.log');
    await first.push(batchOf('first.log', LINES.slice(0, 20)));
    await expect(first.end()).rejects.toThrow(/disk full/);
    const second = engine.source('second.log');
    await second.push(batchOf('second.log', LINES.slice(0, 20)));
    const ok = await second.end();
    await engine.close();
    expect(ok.eventsIndexed + ok.deadLettered + ok.filtered).toBeGreaterThan(0);
    expect(ok.duplicatesSkipped).toBe(0); // the failed write kept nothing
    expect(await countStored(store)).toBe(ok.eventsIndexed);
  });
});
