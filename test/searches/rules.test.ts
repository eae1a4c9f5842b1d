import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runIngest } from '../../src/run/ingest.js';
import { runDetection } from '../../src/searches/detect.js';
import type { Finding } from '../../src/searches/findings.js';
import { BUNDLED_SEARCHES_DIR } from '../../src/searches/load.js';
import { openSearchStore, type SearchStore } from '../../src/searches/run.js';
import { TEST_ENV } from '../helpers/env.js';

/**
 * Every bundled rule over its purpose-made fixtures (test/searches/fixtures/): the `fires` logs
 * give exactly the expected finding of each rule, the near misses give none, and the bundled
 * ordinary traffic (fixtures/raw) trips no high or critical rule.
 */
const FIXTURES = join(import.meta.dirname, 'fixtures');
const DAY = { sinceMs: Date.parse('2025-11-21T00:00:00Z'), untilMs: Date.parse('2025-11-22T00:00:00Z') };
const fixtures = (kind: string) =>
  readdirSync(FIXTURES)
    .filter((f) => f.endsWith(`.${kind}.ndjson`))
    .map((f) => join(FIXTURES, f));

const dirs: string[] = [];
async function storeOf(paths: string[], rejects = 0): Promise<SearchStore> {
  const dataDir = mkdtempSync(join(tmpdir(), 'auditline-rules-'));
  dirs.push(dataDir);
  const summary = await runIngest({ paths, dataDir, env: TEST_ENV, workers: 0 });
  expect(summary.deadLettered).toBe(rejects);
  return openSearchStore(join(dataDir, 'auditline.duckdb'));
}

let fires: SearchStore;
let nearMiss: SearchStore;
let ordinary: SearchStore;
beforeAll(async () => {
  [fires, nearMiss, ordinary] = await Promise.all([
    storeOf(fixtures('fires')),
    storeOf(fixtures('near-miss')),
    storeOf([join(import.meta.dirname, '../../fixtures/raw/key-protect.ndjson'), join(import.meta.dirname, '../../fixtures/raw/secrets-manager.ndjson')]),
  ]);
});
afterAll(() => {
  for (const s of [fires, nearMiss, ordinary]) s?.close();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const detect = (store: SearchStore, range = DAY) => runDetection(store, { dir: BUNDLED_SEARCHES_DIR, ...range });
const summary = (f: Finding) => ({
  name: f.name,
  location: f.location,
  group: Object.keys(f.group),
  count: f.count,
  firstSeen: f.firstSeen,
  lastSeen: f.lastSeen,
  samples: f.sampleEventIds.length,
});

describe('bundled detection rules on their fixtures', () => {
  it('each rule raises exactly its finding on the logs made to trip it', async () => {
    const found = (await detect(fires)).map(summary);
    expect(found).toEqual([
      {
        name: 'dual-auth-bypass',
        location: 'us-south',
        group: ['target.id', 'initiator.id'],
        count: 2,
        firstSeen: '2025-11-21T09:00:00.000Z',
        lastSeen: '2025-11-21T09:30:00.000Z',
        samples: 2,
      },
      {
        name: 'unwrap-failure-burst',
        location: 'us-south',
        group: ['initiator.id'],
        count: 6,
        firstSeen: '2025-11-21T10:00:00.000Z',
        lastSeen: '2025-11-21T10:04:00.000Z',
        samples: 5,
      },
      {
        name: 'mass-key-deletion',
        location: 'us-south',
        group: ['initiator.id'],
        count: 5,
        firstSeen: '2025-11-21T11:02:00.000Z',
        lastSeen: '2025-11-21T11:10:00.000Z',
        samples: 5,
      },
      {
        name: 'secret-enumeration',
        location: 'us-south',
        group: ['initiator.id'],
        count: 10,
        firstSeen: '2025-11-21T12:00:00.000Z',
        lastSeen: '2025-11-21T12:09:00.000Z',
        samples: 5,
      },
      {
        name: 'login-failure-burst',
        location: 'us-south',
        group: ['initiator.host.address'],
        count: 6,
        firstSeen: '2025-11-21T14:00:00.000Z',
        lastSeen: '2025-11-21T14:05:00.000Z',
        samples: 5,
      },
      {
        name: 'new-principal-on-key',
        location: 'us-south',
        group: ['target.id'],
        count: 1,
        firstSeen: '2025-11-21T07:03:00.000Z',
        lastSeen: '2025-11-21T07:03:00.000Z',
        samples: 1,
      },
      {
        name: 'policy-weakened',
        location: 'us-south',
        group: ['initiator.id', 'target.id'],
        count: 1,
        firstSeen: '2025-11-21T08:00:00.000Z',
        lastSeen: '2025-11-21T08:00:00.000Z',
        samples: 1,
      },
      {
        name: 'policy-weakened',
        location: 'us-south',
        group: ['initiator.id', 'target.id'],
        count: 1,
        firstSeen: '2025-11-21T08:05:00.000Z',
        lastSeen: '2025-11-21T08:05:00.000Z',
        samples: 1,
      },
      {
        name: 'import-token-abuse',
        location: 'us-south',
        group: ['initiator.id'],
        count: 5,
        firstSeen: '2025-11-21T13:00:00.000Z',
        lastSeen: '2025-11-21T13:30:00.000Z',
        samples: 5,
      },
      {
        name: 'access-denied-spike',
        location: 'us-south',
        group: ['initiator.id'],
        count: 6,
        firstSeen: '2025-11-21T15:00:00.000Z',
        lastSeen: '2025-11-21T15:27:00.000Z',
        samples: 5,
      },
      {
        name: 'multi-location-principal',
        location: 'eu-de,jp-tok,us-south',
        group: ['initiator.id'],
        count: 3,
        firstSeen: '2025-11-21T17:00:00.000Z',
        lastSeen: '2025-11-21T17:04:00.000Z',
        samples: 3,
      },
      {
        name: 'off-hours-admin',
        location: 'us-south',
        group: ['initiator.id', 'target.id'],
        count: 1,
        firstSeen: '2025-11-21T02:00:00.000Z',
        lastSeen: '2025-11-21T02:00:00.000Z',
        samples: 1,
      },
      {
        name: 'call-rate-anomaly',
        location: 'eu-gb',
        group: ['action'],
        count: 40,
        firstSeen: '2025-11-21T16:00:00.000Z',
        lastSeen: '2025-11-21T16:58:30.000Z',
        samples: 5,
      },
    ]);
  });

  it('a finding names the rule, its techniques, the group values and the values counted', async () => {
    const found = await detect(fires);
    const enumeration = found.find((f) => f.name === 'secret-enumeration')!;
    expect(enumeration).toMatchObject({
      rule: 'secret-enumeration',
      severity: 'high',
      techniques: ['T1555', 'T1526'],
      group: { 'initiator.id': expect.stringMatching(/^iam-ServiceId-/) as unknown },
    });
    expect(enumeration.values).toHaveLength(5);
    const newUser = found.find((f) => f.name === 'new-principal-on-key')!;
    expect(newUser.values).toEqual([expect.stringMatching(/^iam-ServiceId-/)]);
    const spike = found.find((f) => f.name === 'access-denied-spike')!;
    expect(spike.baseline).toEqual({ events: 10, errors: 6, historyEvents: 20, historyErrors: 1 });
  });

  it('no rule fires on the near misses', async () => {
    expect((await detect(nearMiss)).map(summary)).toEqual([]);
  });

  it('ordinary traffic trips no high or critical rule', async () => {
    const found = await detect(ordinary, { sinceMs: Date.parse('2025-11-14T00:00:00Z'), untilMs: Date.parse('2025-11-28T00:00:00Z') });
    expect(found.filter((f) => f.severity === 'high' || f.severity === 'critical').map(summary)).toEqual([]);
  });

  it('a rule limited to one location sees only that location', async () => {
    const found = await runDetection(fires, { dir: BUNDLED_SEARCHES_DIR, ...DAY, location: 'eu-gb' });
    expect(found.map((f) => f.name)).toEqual(['call-rate-anomaly']);
  });
});
