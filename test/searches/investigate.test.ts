import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runIngest } from '../../src/run/ingest.js';
import { findSearch, planOf } from '../../src/searches/lint.js';
import { BUNDLED_SEARCHES_DIR } from '../../src/searches/load.js';
import { resolveParams } from '../../src/searches/params.js';
import { openSearchStore, runPlan, type SearchStore } from '../../src/searches/run.js';
import { openStoreReader } from '../../src/sinks/duckdb/read.js';
import { TEST_ENV } from '../helpers/env.js';

/**
 * The investigation searches return exactly the events a brute-force filter of every stored
 * event (what `auditline export` reads) returns for the same parameter, in time order.
 */
type Event = {
  id: string;
  '@timestamp': string;
  target: { id: string; alias?: string };
  requestData: Record<string, string>;
  correlationId?: string;
  initiator: { id: string; name: string };
};

const RAW = join(import.meta.dirname, '../../fixtures/raw');
const CLI = join(import.meta.dirname, '../../dist/cli/main.js');
let dataDir: string;
let store: SearchStore;
let all: Event[];

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'auditline-investigate-'));
  await runIngest({ paths: [join(RAW, 'key-protect.ndjson'), join(RAW, 'secrets-manager.ndjson')], dataDir, env: TEST_ENV, workers: 0 });
  const reader = await openStoreReader(join(dataDir, 'auditline.duckdb'));
  all = [];
  for await (const rows of reader.events({})) all.push(...rows.map((r) => JSON.parse(r) as Event));
  reader.close();
  store = await openSearchStore(join(dataDir, 'auditline.duckdb'));
});
afterAll(() => {
  store?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

async function run(name: string, params: Record<string, string>): Promise<string[]> {
  const search = findSearch(name, BUNDLED_SEARCHES_DIR);
  const plan = planOf(search, resolveParams(name, search.definition!, params));
  const result = await runPlan(store, plan, {});
  if (result.kind !== 'events') throw new Error('expected events');
  return result.events.map((e) => String(e.id));
}

const inTimeOrder = (events: Event[]) =>
  [...events].sort((a, b) => (a['@timestamp'] < b['@timestamp'] ? -1 : a['@timestamp'] > b['@timestamp'] ? 1 : a.id < b.id ? -1 : 1)).map((e) => e.id);

describe('investigation searches against a brute-force filter', () => {
  it('key-timeline by key id, CRN and the alias it was called by', async () => {
    const keyId = '421ac911-8464-46ac-9396-6eb504bd1c52';
    const byKey = (e: Event) =>
      e.target.id.toLowerCase().endsWith(`:key:${keyId}`) || e.target.id === keyId || e.requestData.keyId === keyId || e.target.alias === keyId;
    const expected = inTimeOrder(all.filter(byKey));
    expect(expected.length).toBeGreaterThan(5);
    expect(await run('key-timeline', { key: keyId })).toEqual(expected);
    const crn = all.find((e) => e.target.id.endsWith(`:key:${keyId}`))!.target.id;
    expect(await run('key-timeline', { key: crn })).toEqual(
      inTimeOrder(
        all.filter(
          (e) =>
            e.target.id.toLowerCase() === crn.toLowerCase() || e.target.id.toLowerCase().endsWith(`:key:${crn.toLowerCase()}`) || e.requestData.keyId === crn,
        ),
      ),
    );
  });

  it('correlation-trace for every correlation id in the fixtures', async () => {
    const ids = [...new Set(all.map((e) => e.correlationId).filter((c): c is string => c !== undefined))];
    for (const id of ids.slice(0, 20))
      expect(await run('correlation-trace', { correlationId: id })).toEqual(inTimeOrder(all.filter((e) => e.correlationId === id)));
  });

  it('initiator-activity by IAM id and by name', async () => {
    expect(await run('initiator-activity', { initiator: 'IBMid-270003GUSX' })).toEqual(
      inTimeOrder(all.filter((e) => e.initiator.id.toLowerCase() === 'ibmid-270003gusx' || e.initiator.name.toLowerCase() === 'ibmid-270003gusx')),
    );
    expect(await run('initiator-activity', { initiator: 'alice@example.com' })).toEqual(
      inTimeOrder(all.filter((e) => e.initiator.name === 'alice@example.com')),
    );
  });

  it('the CLI prints the same events as NDJSON, and CSV with the search fields', () => {
    const args = ['search', 'run', 'initiator-activity', '--param', 'initiator=alice@example.com', '--data-dir', dataDir];
    const ndjson = execFileSync('node', [CLI, ...args, '--format', 'ndjson'], { encoding: 'utf8' });
    expect(
      ndjson
        .trim()
        .split('\n')
        .map((l) => (JSON.parse(l) as Event).id),
    ).toEqual(inTimeOrder(all.filter((e) => e.initiator.name === 'alice@example.com')));
    const csv = execFileSync('node', [CLI, ...args, '--format', 'csv'], { encoding: 'utf8' });
    expect(csv.split('\r\n')[0]).toBe('@timestamp,location,action,outcome,target.id,initiator.host.address');
  });

  it('the CLI refuses a missing parameter with its code and exit status', () => {
    let status: number | null = null;
    let stderr = '';
    try {
      execFileSync('node', [CLI, 'search', 'run', 'key-timeline', '--data-dir', dataDir], { encoding: 'utf8', stdio: 'pipe' });
    } catch (e) {
      status = (e as { status: number }).status;
      stderr = String((e as { stderr: string }).stderr);
    }
    expect(status).toBe(2);
    expect(stderr).toContain('AL_SEARCH_PARAM: key-timeline: parameter "key" is required');
  });

  it('detect prints one JSON document and shows a finding recorded before as known', () => {
    const detect = () =>
      JSON.parse(
        execFileSync('node', [CLI, 'detect', '--data-dir', dataDir, '--since', '2025-11-14T00:00:00Z', '--until', '2025-11-28T00:00:00Z', '--format', 'json'], {
          encoding: 'utf8',
        }),
      ) as {
        new: number;
        findings: { status: string }[];
      };
    const first = detect();
    expect(first.findings.length).toBeGreaterThan(0);
    expect(first.new).toBe(first.findings.length);
    const second = detect();
    expect(second.new).toBe(0);
    expect(second.findings.map((f) => f.status)).toEqual(first.findings.map(() => 'known'));
  });
});
