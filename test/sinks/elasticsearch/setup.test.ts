import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openClusters } from '../../../src/sinks/elasticsearch/clusters.js';
import { checkCluster, setupCluster } from '../../../src/sinks/elasticsearch/setup.js';
import { DEFAULT_ILM } from '../../../src/sinks/elasticsearch/config.js';
import { ILM_POLICY, INDEX_TEMPLATE, streamName } from '../../../src/sinks/elasticsearch/templates.js';
import { startFakeEs, type FakeEs } from '../../helpers/fake-es.js';
import { testConfig } from './events.js';

const CLI = join(import.meta.dirname, '../../../dist/cli/main.js');

let es: FakeEs;
beforeEach(async () => {
  es = await startFakeEs();
});
afterEach(async () => {
  await es.close();
});

describe('es setup', () => {
  it('creates the policy, templates and streams, and a second run changes nothing and says so', async () => {
    const clusters = openClusters(testConfig(es.url));
    const cluster = clusters.all[0]!;
    const first = await setupCluster(cluster, DEFAULT_ILM, ['us-south', 'eu-de']);
    expect(first.map((c) => [c.kind, c.status])).toEqual([
      ['ilm_policy', 'created'],
      ['component_template', 'created'],
      ['component_template', 'created'],
      ['index_template', 'created'],
      ['data_stream', 'created'],
      ['data_stream', 'created'],
    ]);
    expect([...es.streams.keys()].sort()).toEqual([streamName('eu-de'), streamName('us-south')]);
    const puts = es.requests.filter((r) => r.method === 'PUT').length;
    const second = await setupCluster(cluster, DEFAULT_ILM, ['us-south', 'eu-de']);
    expect(second.every((c) => c.status === 'unchanged')).toBe(true);
    expect(es.requests.filter((r) => r.method === 'PUT').length).toBe(puts);
    await checkCluster(cluster);

    // A changed retention updates the policy alone.
    const third = await setupCluster(cluster, { ...DEFAULT_ILM, deleteAfter: '400d' }, []);
    expect(third.filter((c) => c.status !== 'unchanged')).toEqual([{ cluster: 'default', kind: 'ilm_policy', name: ILM_POLICY, status: 'updated' }]);
    await clusters.close();
  });

  it('finds a template of another version out of date: ingest refuses, setup updates it and rolls the streams over', async () => {
    const clusters = openClusters(testConfig(es.url));
    const cluster = clusters.all[0]!;
    await setupCluster(cluster, DEFAULT_ILM, ['us-south']);
    (es.indexTemplates.get(INDEX_TEMPLATE)!._meta as { fingerprint: string }).fingerprint = 'older';
    await expect(checkCluster(cluster)).rejects.toMatchObject({ code: 'AL_ES_NOT_SET_UP' });
    const changes = await setupCluster(cluster, DEFAULT_ILM, ['us-south']);
    expect(changes.filter((c) => c.status === 'updated').map((c) => c.kind)).toEqual(['index_template', 'data_stream']);
    expect(es.requests.some((r) => r.path.endsWith('/_rollover') && r.query.lazy === 'true')).toBe(true);
    await checkCluster(cluster);
    await clusters.close();
  });

  it.skipIf(!existsSync(CLI))('runs from the command line: created, then unchanged', async () => {
    const run = async () => (await promisify(execFile)(process.execPath, [CLI, 'es', 'setup', '--es', es.url, '--json'])).stdout;
    const first = JSON.parse(await run()) as { status: string }[];
    expect(first.every((c) => c.status === 'created')).toBe(true);
    const text = (await promisify(execFile)(process.execPath, [CLI, 'es', 'setup', '--es', es.url])).stdout;
    expect(text).toContain('0 created, 0 updated, 4 unchanged');
  });
});
