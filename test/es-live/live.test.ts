import { Client } from '@elastic/elasticsearch';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runIngest } from '../../src/run/ingest.js';
import { accountingHolds } from '../../src/run/summary.js';
import { clientOptions, openClusters } from '../../src/sinks/elasticsearch/clusters.js';
import { configForUrl, setupCluster, streamName } from '../../src/sinks/elasticsearch/index.js';
import { tempDir, TEST_ENV } from '../helpers/env.js';

/**
 * The same scenarios as test/sinks/elasticsearch against a real cluster. It only adds to the
 * cluster (auditline's templates, policy and `logs-auditline.events-*` streams) and never deletes,
 * so counts are checked as differences. Credentials: `user:pass@` in ES_URL or AUDITLINE_ES_API_KEY.
 */
const ES_URL = process.env.ES_URL;
const FIXTURES = join(import.meta.dirname, '../../fixtures/raw');
const env = { ...TEST_ENV, ...(process.env.AUDITLINE_ES_API_KEY ? { AUDITLINE_ES_API_KEY: process.env.AUDITLINE_ES_API_KEY } : {}) };

describe.skipIf(!ES_URL)('a live Elasticsearch cluster', () => {
  let client: Client;
  beforeAll(() => {
    const config = configForUrl(ES_URL!, env);
    client = new Client(clientOptions(config.clusters[0]!, 30_000));
  });
  afterAll(async () => {
    await client.close();
  });

  const counts = async (): Promise<Record<string, number>> => {
    await client.indices.refresh({ index: 'logs-auditline.events-*', allow_no_indices: true, ignore_unavailable: true });
    const r = await client.search({
      index: 'logs-auditline.events-*',
      size: 0,
      allow_no_indices: true,
      ignore_unavailable: true,
      aggs: { l: { terms: { field: 'location', size: 100 } } },
    });
    const buckets = (r.aggregations?.l as { buckets: { key: string; doc_count: number }[] } | undefined)?.buckets ?? [];
    return Object.fromEntries(buckets.map((b) => [b.key, b.doc_count]));
  };

  it('sets up once; a second setup changes nothing', async () => {
    const config = configForUrl(ES_URL!, env);
    const clusters = openClusters(config);
    try {
      await setupCluster(clusters.all[0]!, config.ilm, ['us-south']);
      const second = await setupCluster(clusters.all[0]!, config.ilm, ['us-south']);
      expect(second.every((c) => c.status === 'unchanged')).toBe(true);
    } finally {
      await clusters.close();
    }
  });

  it('stores the fixtures per location, with counts equal to what the cluster holds, and re-runs as duplicates', async () => {
    const before = await counts();
    const dir = tempDir();
    const first = await runIngest({ paths: [FIXTURES], dataDir: dir, es: ES_URL, esSetup: true, env, workers: 0 });
    expect(accountingHolds(first)).toBe(true);
    const after = await counts();
    for (const [location, n] of Object.entries(first.byLocation)) expect(after[location]! - (before[location] ?? 0)).toBe(n);
    for (const location of Object.keys(after)) {
      const inStream = await client.count({ index: streamName(location), query: { bool: { must_not: { term: { location } } } } });
      expect(inStream.count).toBe(0);
    }
    const again = await runIngest({ paths: [FIXTURES], dataDir: dir, es: ES_URL, env, workers: 0 });
    expect(again.eventsIndexed).toBe(0);
    expect(again.duplicatesSkipped).toBe(first.eventsIndexed + first.duplicatesSkipped);
  });
});
