import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SinkError } from '../../../src/sinks/sink.js';
import { openElasticsearchSink } from '../../../src/sinks/elasticsearch/sink.js';
import { streamName } from '../../../src/sinks/elasticsearch/templates.js';
import { planRequests, itemOutcome, actionLine } from '../../../src/sinks/elasticsearch/bulk.js';
import { startFakeEs, type FakeEs } from '../../helpers/fake-es.js';
import { fixtureEvents, testConfig } from './events.js';

let es: FakeEs;
beforeEach(async () => {
  es = await startFakeEs();
});
afterEach(async () => {
  await es.close();
});

const statuses = (outcomes: { status: string }[]) => outcomes.reduce<Record<string, number>>((m, o) => ((m[o.status] = (m[o.status] ?? 0) + 1), m), {});

describe('the Elasticsearch sink', () => {
  it('stores each event in its location stream and answers committed, then duplicate on a second write', async () => {
    const events = fixtureEvents();
    const sink = await openElasticsearchSink(testConfig(es.url), { setup: true });
    expect(statuses(await sink.write(events))).toEqual({ committed: events.length });
    expect(statuses(await sink.write(events))).toEqual({ duplicate: events.length });
    await sink.close();
    expect(es.stored()).toBe(events.length);
    for (const d of es.documents()) expect(d.stream).toBe(streamName(String(d.source.location)));
    // What the cluster holds is the event as given, byte for byte.
    const byId = new Map(events.map((e) => [e.id, e.json]));
    for (const d of es.documents()) expect(JSON.stringify(d.source)).toBe(byId.get(d.id));
    expect(
      es.requests.filter((r) => r.path.endsWith('_bulk')).every((r) => r.gzip && r.query.refresh === 'false' && r.query.require_data_stream === 'true'),
    ).toBe(true);
  });

  it('answers a 409 as a duplicate when it does not look ids up first', async () => {
    const events = fixtureEvents().slice(0, 10);
    const config = { ...testConfig(es.url), searchBeforeCreate: false };
    const sink = await openElasticsearchSink(config, { setup: true });
    await sink.write(events.slice(0, 4));
    expect(statuses(await sink.write(events))).toEqual({ duplicate: 4, committed: 6 });
    expect(es.items.filter((i) => i.status === 409)).toHaveLength(4);
    await sink.close();
  });

  it('without the look-up, stores an event twice once its first copy has rolled over: why the look-up is on by default', async () => {
    const events = fixtureEvents().slice(0, 5);
    const off = await openElasticsearchSink({ ...testConfig(es.url), searchBeforeCreate: false }, { setup: true });
    await off.write(events);
    for (const s of es.streams.keys()) es.rollover(s);
    expect(statuses(await off.write(events))).toEqual({ committed: 5 });
    await off.close();
    for (const s of es.streams.keys()) es.rollover(s);
    const on = await openElasticsearchSink(testConfig(es.url));
    expect(statuses(await on.write(events))).toEqual({ duplicate: 5 });
    await on.close();
  });

  it('counts an event whose answer was lost as committed when the resend finds it stored, not as a duplicate', async () => {
    const events = fixtureEvents().slice(0, 6);
    for (const searchBeforeCreate of [false, true]) {
      const server = await startFakeEs();
      const sink = await openElasticsearchSink({ ...testConfig(server.url), searchBeforeCreate }, { setup: true });
      server.fault({ kind: 'drop', after: true, path: /_bulk$/ });
      await expect(sink.write(events)).rejects.toMatchObject({ retriable: true });
      expect(server.stored()).toBe(6);
      expect(statuses(await sink.write(events))).toEqual({ committed: 6 });
      expect(statuses(await sink.write(events))).toEqual({ duplicate: 6 });
      await sink.close();
      await server.close();
    }
  });

  it('keeps the outcomes of answered requests when another request of the write fails, and marks only its events retriable', async () => {
    const events = fixtureEvents();
    const sink = await openElasticsearchSink(testConfig(es.url, { maxBytes: 4096, concurrency: 1 }), { setup: true });
    es.fault({ kind: 'request', status: 503, path: /_bulk$/ });
    const outcomes = await sink.write(events);
    const failed = outcomes.filter((o) => o.status === 'rejected');
    expect(failed.length).toBeGreaterThan(0);
    expect(failed.every((o) => o.status === 'rejected' && o.code === 'request_failed' && o.retriable)).toBe(true);
    expect(outcomes.filter((o) => o.status === 'committed')).toHaveLength(es.stored());
    await sink.close();
  });

  it('throws a retriable SinkError when no event of the write was acknowledged, and a final one for a refused request', async () => {
    const events = fixtureEvents().slice(0, 3);
    const sink = await openElasticsearchSink(testConfig(es.url), { setup: true });
    es.fault({ kind: 'request', status: 429, path: /_bulk$/ });
    await expect(sink.write(events)).rejects.toSatisfy((e) => e instanceof SinkError && e.retriable);
    es.fault({ kind: 'request', status: 401, path: /_bulk$/ });
    await expect(sink.write(events)).rejects.toSatisfy((e) => e instanceof SinkError && !e.retriable);
    expect(es.stored()).toBe(0);
    await sink.close();
  });

  it('dead-letters a mapping error at once with its type and reason, and retries a 429 item', async () => {
    const events = fixtureEvents().slice(0, 4);
    const sink = await openElasticsearchSink(testConfig(es.url), { setup: true });
    es.fault({ kind: 'item', status: 400, type: 'document_parsing_exception', reason: 'failed to parse field [x]', match: ({ id }) => id === events[0]!.id });
    es.fault({ kind: 'item', status: 429, type: 'es_rejected_execution_exception', match: ({ id }) => id === events[1]!.id });
    const outcomes = await sink.write(events);
    expect(outcomes[0]).toEqual({ status: 'rejected', code: 'document_parsing_exception', reason: 'failed to parse field [x]', retriable: false });
    expect(outcomes[1]).toMatchObject({ status: 'rejected', code: 'es_rejected_execution_exception', retriable: true });
    expect(statuses(outcomes.slice(2))).toEqual({ committed: 2 });
    expect(statuses(await sink.write([events[1]!]))).toEqual({ committed: 1 });
    await sink.close();
  });

  it('refuses an event whose location has no cluster, and sends nothing for it', async () => {
    const events = fixtureEvents();
    const config = { ...testConfig(es.url) };
    config.clusters = [{ ...config.clusters[0]!, locations: ['us-south'] }];
    const sink = await openElasticsearchSink(config, { setup: true });
    const outcomes = await sink.write(events);
    events.forEach((e, i) => {
      if (e.location === 'us-south') expect(outcomes[i]!.status).toBe('committed');
      else expect(outcomes[i]).toMatchObject({ status: 'rejected', code: 'no_cluster_for_location', retriable: false });
    });
    expect(new Set(es.items.map((i) => i.index))).toEqual(new Set([streamName('us-south')]));
    await sink.close();
  });
});

describe('bulk requests and answers', () => {
  it('cuts requests by bytes, never splitting an event, one oversized event alone', () => {
    const item = (n: number, size: number) => ({ slot: n, stream: 's', id: `id${n}`, json: 'x'.repeat(size) });
    const perItem = (size: number, n: number) => Buffer.byteLength(actionLine('s', `id${n}`)) + size + 2;
    const requests = planRequests([item(0, 100), item(1, 100), item(2, 5000), item(3, 100)], perItem(100, 0) * 2);
    expect(requests.map((r) => r.items.map((i) => i.slot))).toEqual([[0, 1], [2], [3]]);
    expect(requests[0]!.body.split('\n')).toHaveLength(4);
  });

  it('reads item answers: 2xx stored, 409 duplicate, 429 and 5xx retriable, other errors final', () => {
    expect(itemOutcome({ create: { status: 201 } })).toEqual({ status: 'committed' });
    expect(itemOutcome({ create: { status: 409, error: { type: 'version_conflict_engine_exception' } } })).toEqual({ status: 'duplicate' });
    expect(itemOutcome({ create: { status: 503, error: { type: 'unavailable_shards_exception', reason: 'r' } } })).toMatchObject({
      retriable: true,
      code: 'unavailable_shards_exception',
    });
    expect(
      itemOutcome({ create: { status: 400, error: { type: 'mapper_parsing_exception', reason: 'bad', caused_by: { type: 'x', reason: 'why' } } } }),
    ).toEqual({
      status: 'rejected',
      code: 'mapper_parsing_exception',
      reason: 'bad; caused by x: why',
      retriable: false,
    });
  });
});
