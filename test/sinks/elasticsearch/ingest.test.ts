import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Rejected } from '../../../src/model/records.js';
import { runIngest } from '../../../src/run/ingest.js';
import { accountingHolds } from '../../../src/run/summary.js';
import { streamName } from '../../../src/sinks/elasticsearch/templates.js';
import { startFakeEs, type FakeEs } from '../../helpers/fake-es.js';
import { tempDir, TEST_ENV } from '../../helpers/env.js';

const FIXTURES = join(import.meta.dirname, '../../../fixtures/raw');

const servers: FakeEs[] = [];
afterEach(async () => {
  while (servers.length) await servers.pop()!.close();
});

async function fakeCluster(): Promise<FakeEs> {
  const es = await startFakeEs();
  servers.push(es);
  return es;
}

/** Ids of every event the fixtures make, from a run into NDJSON files. */
async function fixtureIds(): Promise<Map<string, string>> {
  const dir = tempDir();
  await runIngest({ paths: [FIXTURES], dataDir: dir, out: join(dir, 'out'), env: TEST_ENV, workers: 0 });
  const ids = new Map<string, string>();
  for (const location of readdirSync(join(dir, 'out'))) {
    for (const file of readdirSync(join(dir, 'out', location))) {
      for (const line of readFileSync(join(dir, 'out', location, file), 'utf8')
        .split('\n')
        .filter(Boolean)) {
        const e = JSON.parse(line) as { id: string; location: string };
        ids.set(e.id, e.location);
      }
    }
  }
  return ids;
}

function deadLetters(path: string): Rejected[] {
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Rejected);
}

/** An id's last hex digit, to pick a stable slice of the events for each fault. */
const lastDigit = (id: string) => id.at(-1)!;

describe('ingest --es-config over two clusters, every failure mode injected', () => {
  it('ends every event in exactly one of indexed, duplicate or dead-lettered, resends nothing acknowledged, keeps locations on their cluster, and re-runs as duplicates', async () => {
    const expected = await fixtureIds();
    const locations = new Set(expected.values());
    expect([...locations].sort()).toEqual(['au-syd', 'eu-de', 'eu-gb', 'jp-tok', 'us-south']);

    const a = await fakeCluster();
    const b = await fakeCluster();
    const homes: Record<string, FakeEs | undefined> = { 'us-south': a, 'eu-de': a, 'jp-tok': b, 'eu-gb': b, 'au-syd': undefined };
    const dir = tempDir();
    const config = join(dir, 'es.yaml');
    // Small requests, so one write is several bulk requests and a failed one sits beside answered ones.
    writeFileSync(
      config,
      [
        'clusters:',
        `  americas-europe: { url: "${a.url}", locations: [us-south, eu-de] }`,
        `  asia-uk: { url: "${b.url}", locations: [jp-tok, eu-gb] }`,
        'bulk: { maxBytes: 8192, concurrency: 2, requestTimeoutMs: 1000 }',
        '',
      ].join('\n'),
    );

    // Already stored before this run, in backing indices that have since rolled over: `create` alone would not see them.
    const kpDlq = join(dir, 'dead-letter-kp.ndjson');
    const before = await runIngest({
      paths: [join(FIXTURES, 'key-protect.ndjson')],
      dataDir: dir,
      dlq: kpDlq,
      esConfig: config,
      esSetup: true,
      env: TEST_ENV,
      workers: 0,
    });
    const storedBefore = new Set([a, b].flatMap((es) => es.documents().map((d) => d.id)));
    expect(storedBefore.size).toBe(before.eventsIndexed);
    for (const es of [a, b]) for (const stream of es.streams.keys()) es.rollover(stream);
    const itemsBefore = new Map([a, b].map((es) => [es, es.items.length]));

    for (const es of [a, b]) {
      es.fault({ kind: 'item', status: 429, type: 'es_rejected_execution_exception', match: ({ id }) => lastDigit(id) === '1' });
      es.fault({ kind: 'item', status: 503, type: 'unavailable_shards_exception', match: ({ id }) => lastDigit(id) === '2' });
      es.fault({
        kind: 'item',
        status: 400,
        type: 'document_parsing_exception',
        reason: 'failed to parse field [reason.reasonCode]',
        match: ({ id }) => lastDigit(id) === '3',
        perItem: Infinity,
      });
      es.fault({ kind: 'request', status: 503, path: /_bulk$/ });
      es.fault({ kind: 'drop', after: false, path: /_bulk$/ });
      es.fault({ kind: 'drop', after: true, path: /_bulk$/ });
      // Answered after the client's 1 s timeout: the events are stored, the client never hears it.
      es.fault({ kind: 'delay', ms: 1500, path: /_bulk$/ });
    }

    const dlq = join(dir, 'dead-letter.ndjson');
    const first = await runIngest({ paths: [FIXTURES], dataDir: dir, dlq, esConfig: config, env: TEST_ENV, workers: 0 });
    expect(accountingHolds(first)).toBe(true);

    // Every fault fired, and no event stored before was sent again.
    for (const es of [a, b]) expect(es.items.slice(itemsBefore.get(es)).filter((i) => storedBefore.has(i.id))).toEqual([]);
    for (const es of [a, b]) expect(es.unfired()).toEqual([]);

    // Residency: each cluster received and stored only its own locations, each in its own stream.
    for (const [location, home] of Object.entries(homes)) {
      for (const es of [a, b]) {
        const received = es.items.filter((i) => i.index === streamName(location));
        if (es !== home) expect(received).toEqual([]);
      }
    }
    for (const es of [a, b]) for (const d of es.documents()) expect(d.stream).toBe(streamName(String(d.source.location)));

    // The summary's counts are what the clusters hold.
    const stored = new Map([a, b].flatMap((es) => es.documents().map((d) => [d.id, String(d.source.location)] as const)));
    expect(first.eventsIndexed + before.eventsIndexed).toBe(a.stored() + b.stored());
    for (const location of locations) {
      const held = [...stored].filter(([id, l]) => l === location && !storedBefore.has(id)).length;
      expect(first.byLocation[location] ?? 0).toBe(held);
    }

    // Each event ends exactly once: stored by this run, already stored before it (a duplicate), or dead-lettered with the cluster's reason.
    const rejected = deadLetters(dlq).filter((r) => r.code === 'sink_rejected');
    const rejectedIds = new Set(rejected.map((r) => r.eventId!));
    const duplicates = [...storedBefore];
    for (const [id, location] of expected) {
      const ends = [stored.has(id) && !storedBefore.has(id), rejectedIds.has(id), storedBefore.has(id)].filter(Boolean).length;
      expect(ends, `${id} (${location})`).toBe(1);
      if (!homes[location]) expect(rejected.find((r) => r.eventId === id)?.reason).toContain('no_cluster_for_location');
      else if (lastDigit(id) === '3' && !storedBefore.has(id)) expect(rejected.find((r) => r.eventId === id)?.reason).toContain('document_parsing_exception');
    }
    expect(first.duplicatesSkipped).toBe(duplicates.length);
    expect(rejected.length).toBe(expected.size - stored.size);

    // Nothing acknowledged was sent again: after an id is stored, no bulk item carries it.
    for (const es of [a, b]) {
      const storedAt = new Map<string, number>();
      es.items.forEach((item, k) => {
        if (item.status === 201 && !storedAt.has(item.id)) storedAt.set(item.id, k);
      });
      es.items.forEach((item, k) => {
        const at = storedAt.get(item.id);
        if (at !== undefined) expect(k <= at, `${item.id} sent again after it was stored`).toBe(true);
      });
    }

    // Re-running the same input adds nothing: what was stored is a duplicate, what was refused is refused again.
    const again = await runIngest({ paths: [FIXTURES], dataDir: dir, dlq: join(dir, 'dead-letter-2.ndjson'), esConfig: config, env: TEST_ENV, workers: 0 });
    expect(accountingHolds(again)).toBe(true);
    expect(again.eventsIndexed).toBe(0);
    expect(again.duplicatesSkipped).toBe(before.eventsIndexed + first.eventsIndexed);
    expect(again.deadLettered).toBe(first.deadLettered);
    expect(a.stored() + b.stored()).toBe(before.eventsIndexed + first.eventsIndexed);
  });

  it('refuses a cluster that was not set up, naming the command to run, unless --setup', async () => {
    const es = await fakeCluster();
    const dir = tempDir();
    const attempt = runIngest({ paths: [FIXTURES], dataDir: dir, es: es.url, env: TEST_ENV, workers: 0 });
    await expect(attempt).rejects.toMatchObject({ code: 'AL_ES_NOT_SET_UP', exitCode: 5 });
    await expect(attempt).rejects.toThrow(/auditline es setup/);
    expect(es.items).toEqual([]);
    const s = await runIngest({ paths: [FIXTURES], dataDir: dir, es: es.url, esSetup: true, env: TEST_ENV, workers: 0 });
    expect(s.eventsIndexed).toBe(es.stored());
  });
});
