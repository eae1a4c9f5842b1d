import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runIngest } from '../../../src/run/ingest.js';
import { parseElasticsearchConfig } from '../../../src/sinks/elasticsearch/config.js';
import { openEventSearch, type EventSearch } from '../../../src/sinks/elasticsearch/search.js';
import { startFakeEs, type FakeEs } from '../../helpers/fake-es.js';
import { tempDir, TEST_ENV } from '../../helpers/env.js';

/** The search entry point: each location searched on its own cluster, sorted searches paged, aggregations per cluster. */
const FIXTURES = join(import.meta.dirname, '../../../fixtures/raw');

let a: FakeEs;
let b: FakeEs;
const configText = () => ['clusters:', `  west: { url: "${a.url}", locations: [us-south] }`, `  east: { url: "${b.url}", locations: ["*"] }`, ''].join('\n');
beforeAll(async () => {
  [a, b] = await Promise.all([startFakeEs(), startFakeEs()]);
  const dir = tempDir();
  const file = join(dir, 'es.yaml');
  writeFileSync(file, configText());
  await runIngest({ paths: [FIXTURES], dataDir: dir, esConfig: file, esSetup: true, env: TEST_ENV, workers: 0 });
});
afterAll(async () => {
  await Promise.all([a, b].map((es) => es?.close()));
});

const open = (pageSize?: number): EventSearch => openEventSearch(parseElasticsearchConfig(configText(), 'es.yaml'), pageSize === undefined ? {} : { pageSize });

describe('the search entry point', () => {
  it('lists each location once, on the cluster that holds it, in stream-name order', async () => {
    const search = open();
    try {
      const located = await search.locations();
      expect(located.map((l) => [l.location, l.cluster.name])).toEqual([
        ['au-syd', 'east'],
        ['eu-de', 'east'],
        ['eu-gb', 'east'],
        ['jp-tok', 'east'],
        ['us-south', 'west'],
      ]);
      expect((await search.locations('us-south')).map((l) => l.stream)).toEqual(['logs-auditline.events-us_south']);
    } finally {
      await search.close();
    }
  });

  it('answers per cluster with its hits and aggregations, and pages a sorted search past the page size', async () => {
    const body = {
      query: { match_all: {} },
      size: 500,
      sort: [{ '@timestamp': { order: 'asc' } }, { id: { order: 'asc' } }],
      track_total_hits: true,
      aggs: { l: { terms: { field: 'location', size: 10 } } },
    };
    const whole = await (async () => {
      const s = open();
      try {
        return await s.search({ body });
      } finally {
        await s.close();
      }
    })();
    const paged = open(4);
    try {
      const answers = await paged.search({ body });
      expect(answers).toEqual(whole);
      const east = answers.find((x) => x.cluster === 'east')!;
      expect(east.hits).toHaveLength(b.stored());
      expect(east.total).toBe(b.stored());
      const counts = (east.aggregations!.l as { buckets: { key: string; doc_count: number }[] }).buckets;
      expect(Object.fromEntries(counts.map((c) => [c.key, c.doc_count]))).toEqual(
        Object.fromEntries(Object.entries(b.storedByStream()).map(([s, n]) => [s.slice('logs-auditline.events-'.length).replace(/_/g, '-'), n])),
      );
      const searches = b.requests.filter((r) => r.path.endsWith('/_search')).length;
      expect(searches).toBeGreaterThan(b.stored() / 4);
      const one = await paged.search({ location: 'us-south', body: { ...body, size: 6 } });
      expect(one.map((x) => [x.cluster, x.locations, x.hits.length])).toEqual([['west', ['us-south'], 6]]);
    } finally {
      await paged.close();
    }
  });

  it('turns a refused search into AL_ES_REQUEST naming the cluster', async () => {
    const search = open();
    try {
      a.fault({ kind: 'request', status: 503, path: /_search$/ });
      await expect(search.search({ location: 'us-south', body: { query: { match_all: {} } } })).rejects.toMatchObject({
        code: 'AL_ES_REQUEST',
        message: expect.stringContaining('cluster "west"') as unknown,
      });
    } finally {
      await search.close();
    }
  });
});
