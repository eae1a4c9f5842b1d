import { afterEach, describe, expect, it } from 'vitest';
import { resolveElasticsearchConfig } from '../../src/sinks/elasticsearch/index.js';
import { openClusters } from '../../src/sinks/elasticsearch/clusters.js';
import { setupCluster } from '../../src/sinks/elasticsearch/setup.js';
import { TEST_ENV } from '../helpers/env.js';
import { startFakeEs, type FakeEs } from '../helpers/fake-es.js';
import { BEARER, fixtureLines, ndjson, startTestServer, type TestServer } from './helpers.js';

let server: TestServer | undefined;
let es: FakeEs | undefined;
afterEach(async () => {
  await server?.close();
  await es?.close();
  server = es = undefined;
});

describe('serve into Elasticsearch', () => {
  it('stores what it acknowledges in the location data streams, through the same loader as ingest --es', async () => {
    es = await startFakeEs();
    const config = resolveElasticsearchConfig({ url: es.url, env: TEST_ENV });
    const clusters = openClusters(config);
    try {
      for (const cluster of clusters.all) await setupCluster(cluster, config.ilm);
    } finally {
      await clusters.close();
    }
    server = await startTestServer({ flags: { es: es.url } });
    const lines = fixtureLines('key-protect.ndjson');
    const res = await fetch(`${server.url}/v1/ingest`, { method: 'POST', headers: { ...BEARER, 'content-type': 'application/x-ndjson' }, body: ndjson(lines) });
    expect(res.status).toBe(200);
    const counts = (await res.json()) as { eventsIndexed: number; byLocation: Record<string, number> };
    expect(counts.eventsIndexed).toBeGreaterThan(0);
    expect(es.stored()).toBe(counts.eventsIndexed);
    const byStream = es.storedByStream();
    for (const [location, n] of Object.entries(counts.byLocation)) expect(byStream[`logs-auditline.events-${location.replace(/-/g, '_')}`]).toBe(n);
  });
});
