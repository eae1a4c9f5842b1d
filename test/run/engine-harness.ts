import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { StoredEvent } from '../../src/model/records.js';
import { openEngine, type Engine, type EngineOptions } from '../../src/run/engine.js';
import type { RetryPolicy } from '../../src/run/retry-policy.js';
import { prepareTransform } from '../../src/run/setup.js';
import { createTransformPool } from '../../src/run/transform-pool.js';
import { hmacKeyFromBytes } from '../../src/secrets/hmac-key.js';
import { openDeadLetter } from '../../src/sinks/dead-letter.js';
import { openDuckDbSink } from '../../src/sinks/duckdb/sink.js';
import type { EventOutcome, EventSink } from '../../src/sinks/sink.js';
import type { LineBatch } from '../../src/sources/lines.js';
import { TEST_HMAC_KEY } from '../helpers/env.js';

const RAW = join(import.meta.dirname, '../../fixtures/raw');

/** Distinct service-log lines that each become an event (the bundled fixtures, without the malformed file). */
export const LINES: string[] = ['key-protect.ndjson', 'secrets-manager.ndjson'].flatMap((f) =>
  readFileSync(join(RAW, f), 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== ''),
);

export const key = hmacKeyFromBytes(Buffer.from(TEST_HMAC_KEY, 'hex'));
export const setup = prepareTransform({ key });

/** No waiting between tries: the policy's count and give-up are what is under test, not its clock. */
export const QUICK_RETRY: RetryPolicy = { maxAttempts: 3, initialDelayMs: 1, multiplier: 1, maxDelayMs: 1, maxElapsedMs: 60_000, jitter: false };

export function batchOf(source: string, lines: string[], firstLine = 1): LineBatch {
  return { source, firstLine, lines, oversized: [] };
}

export interface TestEngine {
  engine: Engine;
  store: string;
  dlq: string;
}

/** An engine over a real DuckDB store and dead-letter file in `dir`; `wrap` puts a test sink around the store. */
export async function openTestEngine(
  dir: string,
  opts: Partial<EngineOptions> & { wrap?: (store: EventSink) => EventSink; workers?: number; workerScript?: URL } = {},
): Promise<TestEngine> {
  const store = join(dir, 'store.duckdb');
  const dlq = join(dir, 'dead-letter.ndjson');
  const duck = await openDuckDbSink(store);
  const { wrap, workers = 0, workerScript, ...rest } = opts;
  const engine = openEngine({
    pool: createTransformPool({ workers, init: setup.workerInit, makeLocal: setup.makeTransform, workerScript }),
    sink: wrap ? wrap(duck) : duck,
    deadLetter: openDeadLetter(dlq),
    redactor: setup.makeRedactor(),
    retry: QUICK_RETRY,
    ...rest,
  });
  return { engine, store, dlq };
}

export function deadLetters(path: string): { code: string; reason: string; line: number; source: string; eventId?: string }[] {
  if (!existsSync(path)) return [];
  const text = readFileSync(path, 'utf8');
  return text
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as { code: string; reason: string; line: number; source: string; eventId?: string });
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A sink in front of another that waits before each write, and records the most events it was ever handed at once. */
export function slowSink(inner: EventSink, ms: number): EventSink & { writes: number } {
  const s = {
    name: `slow(${inner.name})`,
    writes: 0,
    async write(events: readonly StoredEvent[]) {
      s.writes++;
      await sleep(ms);
      return inner.write(events);
    },
    close: () => inner.close(),
  };
  return s;
}

/** Refuses the events `refuse` picks with the given outcome; passes the rest on. */
export function refusingSink(
  inner: EventSink,
  refuse: (e: StoredEvent, attempt: number) => EventOutcome | undefined,
): EventSink & { seen: Map<string, number> } {
  const seen = new Map<string, number>();
  return {
    name: `refusing(${inner.name})`,
    seen,
    async write(events) {
      const outcomes = new Array<EventOutcome>(events.length);
      const pass: { event: StoredEvent; index: number }[] = [];
      events.forEach((event, index) => {
        const attempt = (seen.get(event.id) ?? 0) + 1;
        seen.set(event.id, attempt);
        const refused = refuse(event, attempt);
        if (refused) outcomes[index] = refused;
        else pass.push({ event, index });
      });
      const got = await inner.write(pass.map((p) => p.event));
      pass.forEach((p, k) => (outcomes[p.index] = got[k]!));
      return outcomes;
    },
    close: () => inner.close(),
  };
}
