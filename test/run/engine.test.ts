import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { StoredEvent } from '../../src/model/records.js';
import { createTransformPool } from '../../src/run/transform-pool.js';
import { accountingHolds } from '../../src/run/summary.js';
import { rejected, SinkError, type EventSink } from '../../src/sinks/sink.js';
import { tempDir } from '../helpers/env.js';
import { queryStore, tablesOf } from '../helpers/store.js';
import { batchOf, deadLetters, LINES, openTestEngine, refusingSink, setup, sleep, slowSink } from './engine-harness.js';

async function storedIds(store: string): Promise<string[]> {
  const ids: string[] = [];
  for (const t of await tablesOf(store)) for (const r of await queryStore(store, `SELECT id FROM "${t}"`)) ids.push(String(r.id));
  return ids;
}

/** Splits the fixture lines into `n` sources of consecutive lines. */
function slices(n: number): string[][] {
  return Array.from({ length: n }, (_, i) => LINES.filter((_, k) => k % n === i));
}

describe('the engine', () => {
  it('keeps in-flight bytes under its bound with eight concurrent submitters and a slow sink, and stores every line once', async () => {
    const dir = tempDir();
    const bound = 8 * 1024;
    const { engine, store } = await openTestEngine(dir, { maxInFlightBytes: bound, wrap: (s) => slowSink(s, 15), writes: { maxWaitMs: 20 } });
    const results = await Promise.all(
      slices(8).map(async (lines, i) => {
        const src = engine.source(`submitter-${i}`);
        for (let k = 0; k < lines.length; k += 2) {
          await src.push(batchOf(src.name, lines.slice(k, k + 2), k + 1));
          expect(engine.stats().inFlightBytes).toBeLessThanOrEqual(bound);
        }
        return src.end();
      }),
    );
    const stats = engine.stats();
    await engine.close();
    expect(stats.peakInFlightBytes).toBeGreaterThan(0);
    expect(stats.peakInFlightBytes).toBeLessThanOrEqual(bound);
    for (const r of results) expect(accountingHolds(r)).toBe(true);
    expect(results.reduce((n, r) => n + r.linesRead, 0)).toBe(LINES.length);
    const ids = await storedIds(store);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.length).toBe(results.reduce((n, r) => n + r.eventsIndexed, 0));
    expect(ids.length).toBeGreaterThan(LINES.length * 0.8);
  });

  it('dead-letters the events a sink refuses, with the sink reason, counted as dead-lettered and not as duplicates', async () => {
    const dir = tempDir();
    const refuse = (e: StoredEvent) =>
      e.action.endsWith('.delete') ? rejected('mapper_parsing_exception', 'failed to parse field [requestData]', false) : undefined;
    let sink: ReturnType<typeof refusingSink> | undefined;
    const { engine, store, dlq } = await openTestEngine(dir, { wrap: (s) => (sink = refusingSink(s, refuse)) });
    const src = engine.source('mixed.log');
    await src.push(batchOf('mixed.log', LINES));
    const r = await src.end();
    await engine.close();
    const refused = [...sink!.seen.keys()].length - (await storedIds(store)).length;
    expect(refused).toBeGreaterThan(0);
    expect(r.deadLetteredBy.sink_rejected).toBe(refused);
    expect(r.duplicatesSkipped).toBe(0);
    expect(accountingHolds(r)).toBe(true);
    const entries = deadLetters(dlq).filter((d) => d.code === 'sink_rejected');
    expect(entries).toHaveLength(refused);
    for (const d of entries) {
      expect(d.reason).toContain('mapper_parsing_exception: failed to parse field [requestData]');
      expect(d.eventId).toMatch(/^[0-9a-f-]{36}$/);
      expect(d.line).toBeGreaterThan(0);
    }
  });

  it('retries events a sink refuses as retriable, by the policy, and commits each once', async () => {
    const dir = tempDir();
    // Every third event is refused twice with a 429, then taken: the policy allows three tries.
    const refuse = (e: StoredEvent, attempt: number) =>
      e.line % 3 === 0 && attempt <= 2 ? rejected('es_rejected_execution_exception', 'queue full', true) : undefined;
    let sink: ReturnType<typeof refusingSink> | undefined;
    const { engine, store } = await openTestEngine(dir, { wrap: (s) => (sink = refusingSink(s, refuse)) });
    const src = engine.source('a.log');
    await src.push(batchOf('a.log', LINES));
    const r = await src.end();
    const stats = engine.stats();
    await engine.close();
    const ids = await storedIds(store);
    expect(new Set(ids).size).toBe(ids.length);
    expect(r.eventsIndexed).toBe(ids.length);
    expect(r.deadLettered).toBe(r.deadLetteredBy.invalid_event ?? r.deadLettered); // nothing from the sink
    expect(r.deadLetteredBy.sink_rejected).toBeUndefined();
    expect(stats.writeRetries).toBe(2);
    expect(Math.max(...sink!.seen.values())).toBe(3);
  });

  it('dead-letters what is still refused when the policy gives up', async () => {
    const dir = tempDir();
    const refuse = (e: StoredEvent) => (e.line === 1 ? rejected('503', 'unavailable', true) : undefined);
    const { engine, dlq } = await openTestEngine(dir, { wrap: (s) => refusingSink(s, refuse) });
    const src = engine.source('a.log');
    await src.push(batchOf('a.log', LINES.slice(0, 5)));
    const r = await src.end();
    await engine.close();
    expect(r.deadLetteredBy.sink_rejected).toBe(1);
    expect(deadLetters(dlq).find((d) => d.code === 'sink_rejected')?.reason).toContain('503: unavailable');
  });

  it('retries a whole write that failed as retriable', async () => {
    const dir = tempDir();
    let failures = 2;
    const { engine, store } = await openTestEngine(dir, {
      wrap: (inner): EventSink => ({
        name: 'flaky',
        write: async (events) => {
          if (failures-- > 0) throw new SinkError('connection reset', { retriable: true });
          return inner.write(events);
        },
        close: () => inner.close(),
      }),
    });
    const src = engine.source('a.log');
    await src.push(batchOf('a.log', LINES.slice(0, 20)));
    const r = await src.end();
    await engine.close();
    expect(r.eventsIndexed).toBe((await storedIds(store)).length);
    expect(r.eventsIndexed).toBeGreaterThan(0);
  });

  it('acknowledges nothing when the sink fails for good, and keeps what it acknowledged before', async () => {
    const dir = tempDir();
    let broken = false;
    const { engine, store } = await openTestEngine(dir, {
      wrap: (inner): EventSink => ({
        name: 'breaking',
        write: async (events) => {
          if (broken) throw new SinkError('disk full', { retriable: false });
          return inner.write(events);
        },
        close: () => inner.close(),
      }),
    });
    const first = engine.source('first.log');
    await first.push(batchOf('first.log', LINES.slice(0, 30)));
    const acked = await first.end();
    broken = true;
    const second = engine.source('second.log');
    await second.push(batchOf('second.log', LINES.slice(30, 60)));
    await expect(second.end()).rejects.toThrow(/disk full/);
    await expect(engine.source('third.log').push(batchOf('third.log', LINES.slice(60, 61)))).rejects.toThrow(/disk full/);
    expect(engine.stats().acknowledged.eventsIndexed).toBe(acked.eventsIndexed);
    await engine.close();
    expect((await storedIds(store)).length).toBe(acked.eventsIndexed);
  });

  it('replaces a worker that exits mid-batch, retries the batch once, then dead-letters it as internal_error; nothing hangs', async () => {
    const dir = tempDir();
    const workerScript = new URL('./crashing-worker.mjs', import.meta.url);
    const { engine, store, dlq } = await openTestEngine(dir, { workers: 1, workerScript });
    const once = engine.source(`crash-once:${join(dir, 'crashed')}`);
    const always = engine.source('crash-always');
    const fine = engine.source('fine.log');
    await once.push(batchOf(once.name, LINES.slice(0, 10)));
    await always.push(batchOf('crash-always', LINES.slice(10, 15)));
    await fine.push(batchOf('fine.log', LINES.slice(15, 25)));
    engine.flush();
    const [a, b, c] = await Promise.all([once.end(), always.end(), fine.end()]);
    const stats = engine.stats();
    await engine.close();
    expect(a.eventsIndexed + a.deadLettered + a.filtered).toBe(10);
    expect(a.deadLetteredBy.internal_error).toBeUndefined();
    expect(b.deadLetteredBy.internal_error).toBe(5);
    expect(b.linesRead).toBe(5);
    expect(c.eventsIndexed).toBeGreaterThan(0);
    // One thread holds two batches: the first crash takes both with it; each is retried alone, and
    // only the one that crashes again is dead-lettered. The third batch waits for room, never on a
    // dead thread: two restarts, two retries.
    expect(stats.workerRestarts).toBe(2);
    expect(stats.transformRetries).toBe(2);
    const internal = deadLetters(dlq).filter((d) => d.code === 'internal_error');
    expect(internal.map((d) => d.line)).toEqual([1, 2, 3, 4, 5]);
    expect((await storedIds(store)).length).toBe(a.eventsIndexed + c.eventsIndexed);
  });

  it('dead-letters a batch the transform throws on twice, on the main thread too', async () => {
    const dir = tempDir();
    const real = setup.makeTransform();
    const pool = createTransformPool({
      workers: 0,
      init: setup.workerInit,
      makeLocal: () => (batch) => {
        if (batch.source === 'bad.log') throw new Error('bug in a format');
        return real(batch);
      },
    });
    const { engine } = await openTestEngine(dir, { pool });
    const bad = engine.source('bad.log');
    await bad.push(batchOf('bad.log', LINES.slice(0, 3)));
    const r = await bad.end();
    await engine.close();
    expect(r.deadLetteredBy.internal_error).toBe(3);
    expect(accountingHolds(r)).toBe(true);
  });

  it('acknowledges a single line on its own once the maximum wait has passed, without a flush', async () => {
    const dir = tempDir();
    const { engine } = await openTestEngine(dir, { writes: { maxWaitMs: 50 } });
    const src = engine.source('one.log');
    await src.push(batchOf('one.log', LINES.slice(0, 1)));
    const outcome = await Promise.race([src.end(), sleep(20_000).then(() => 'still waiting' as const)]);
    await engine.close();
    expect(outcome).not.toBe('still waiting');
    expect(outcome).toMatchObject({ linesRead: 1, eventsIndexed: 1 });
  });

  it('drains everything submitted before close()', async () => {
    const dir = tempDir();
    const { engine, store } = await openTestEngine(dir, { writes: { maxWaitMs: 60_000 }, wrap: (s) => slowSink(s, 10) });
    const ends = [];
    for (const [i, lines] of slices(3).entries()) {
      const src = engine.source(`s${i}`);
      await src.push(batchOf(src.name, lines));
      ends.push(src.end());
    }
    await engine.close();
    const results = await Promise.all(ends);
    expect((await storedIds(store)).length).toBe(results.reduce((n, r) => n + r.eventsIndexed, 0));
    expect(results.every((r) => accountingHolds(r))).toBe(true);
  });

  it('reports every line of a source when asked, as a _bulk receiver needs', async () => {
    const dir = tempDir();
    const { engine } = await openTestEngine(dir);
    const lines = [LINES[0]!, 'not json', '', LINES[0]!];
    const src = engine.source('req', { lineOutcomes: true });
    await src.push(batchOf('req', lines));
    const r = await src.end();
    await engine.close();
    expect(r.lines?.map((l) => l.status)).toEqual(['indexed', 'dead_lettered', 'filtered', 'duplicate']);
    // The same line twice is one event: both lines name the id it is stored under.
    const [first, , , again] = r.lines! as { eventId?: string }[];
    expect(first!.eventId).toMatch(/^[0-9a-f-]{36}$/);
    expect(again!.eventId).toBe(first!.eventId);
  });
});

describe('the engine, when a source ends', () => {
  it('writes its last events at once instead of waiting for size or the maximum wait', async () => {
    const dir = tempDir();
    const { engine } = await openTestEngine(dir, { writes: { maxWaitMs: 600_000 } });
    const src = engine.source('request');
    await src.push(batchOf('request', LINES.slice(0, 3)));
    const outcome = await Promise.race([src.end(), sleep(20_000).then(() => 'still waiting' as const)]);
    await engine.close();
    expect(outcome).toMatchObject({ linesRead: 3, eventsIndexed: 3 });
  });

  it('leaves its events for a fuller write when asked (a batch run between files)', async () => {
    const dir = tempDir();
    const { engine } = await openTestEngine(dir, { writes: { maxWaitMs: 600_000 } });
    const first = engine.source('a.log');
    await first.push(batchOf('a.log', LINES.slice(0, 3)));
    const firstDone = first.end({ flush: false });
    const second = engine.source('b.log');
    await second.push(batchOf('b.log', LINES.slice(3, 6)));
    const [a, b] = await Promise.all([firstDone, second.end()]);
    const writes = engine.stats().writes;
    await engine.close();
    expect(a.eventsIndexed + b.eventsIndexed).toBe(6);
    expect(writes).toBe(1);
  });
});

describe('the engine, with sources in order', () => {
  /** A pool that takes four batches at once and holds back the batches `late` picks, so later ones finish first. */
  function overtakingPool(late: (source: string) => boolean) {
    const inner = createTransformPool({ workers: 0, init: setup.workerInit, makeLocal: setup.makeTransform });
    return {
      capacity: 4,
      get restarts() {
        return inner.restarts;
      },
      transform: async (input: Parameters<typeof inner.transform>[0], alone?: boolean) => {
        if ('source' in input && late(input.source) && input.firstLine > 1) await sleep(300);
        return inner.transform(input, alone);
      },
      close: () => inner.close(),
    };
  }

  async function provenance(store: string): Promise<Map<string, string>> {
    const by = new Map<string, string>();
    for (const t of await tablesOf(store))
      for (const r of await queryStore(store, `SELECT id, source, line FROM "${t}"`)) by.set(String(r.id), `${String(r.source)}:${Number(r.line)}`);
    return by;
  }

  it("keeps the earlier source's copy of a line found in both, though the later source's batch is transformed first", async () => {
    const dir = tempDir();
    const { engine, store } = await openTestEngine(dir, { pool: overtakingPool((s) => s === 'a.log'), writes: { maxWaitMs: 600_000 } });
    const shared = LINES[3]!;
    const a = engine.source('a.log');
    await a.push(batchOf('a.log', LINES.slice(0, 3)));
    await a.push(batchOf('a.log', [shared], 4)); // held back 300 ms
    const aDone = a.end({ flush: false });
    const b = engine.source('b.log', { after: a });
    await b.push(batchOf('b.log', [shared, LINES[4]!]));
    const [ra, rb] = await Promise.all([aDone, b.end()]);
    await engine.close();

    expect(ra).toMatchObject({ linesRead: 4, eventsIndexed: 4, duplicatesSkipped: 0 });
    expect(rb).toMatchObject({ linesRead: 2, eventsIndexed: 1, duplicatesSkipped: 1 });
    const stored = await provenance(store);
    expect(stored.size).toBe(5);
    expect([...stored.values()].filter((p) => p === 'a.log:4')).toHaveLength(1);
    expect([...stored.values()].filter((p) => p.startsWith('b.log:'))).toEqual(['b.log:2']);
  });

  it('takes a later source at once when the one it follows has already drained', async () => {
    const dir = tempDir();
    const { engine } = await openTestEngine(dir, { writes: { maxWaitMs: 600_000 } });
    const a = engine.source('a.log');
    await a.push(batchOf('a.log', LINES.slice(0, 2)));
    const ra = await a.end();
    const b = engine.source('b.log', { after: a });
    await b.push(batchOf('b.log', LINES.slice(2, 4)));
    const rb = await Promise.race([b.end(), sleep(20_000).then(() => 'still waiting' as const)]);
    await engine.close();
    expect(ra).toMatchObject({ eventsIndexed: 2 });
    expect(rb).toMatchObject({ linesRead: 2, eventsIndexed: 2 });
  });
});
