import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openElasticsearchSink } from '../../../src/sinks/elasticsearch/sink.js';
import { streamName } from '../../../src/sinks/elasticsearch/templates.js';
import { startFakeEs, type FakeEs } from '../../helpers/fake-es.js';
import { fixtureEvents, testConfig } from './events.js';

let es: FakeEs;
beforeEach(async () => {
  es = await startFakeEs();
});
afterEach(async () => {
  await es.close();
});

describe('the Elasticsearch sink', () => {
  it('stores each event in its location stream and answers committed, then duplicate on a second write', async () => {
    const events = fixtureEvents();
    const sink = await openElasticsearchSink(testConfig(es.url), { setup: true });
    const first = await sink.write(events);
    expect(first.every((o) => o.status === 'committed')).toBe(true);
    const second = await sink.write(events);
    expect(second.every((o) => o.status === 'duplicate')).toBe(true);
    await sink.close();
    expect(es.stored()).toBe(events.length);
    for (const d of es.documents()) expect(d.stream).toBe(streamName(String(d.source.location)));
  });
});
