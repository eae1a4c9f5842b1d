import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { exportCommand } from '../../src/cli/export.js';
import type { ActivityTrackerEvent } from '../../src/model/event.js';
import { toCadf } from '../../src/profiles/cadf.js';
import { cadfActionOf, cadfResourceTypeOf } from '../../src/profiles/cadf-taxonomy.js';
import { validateCadf } from '../../src/profiles/cadf-validate.js';
import { runIngest } from '../../src/run/ingest.js';
import { runValidateCadf } from '../../src/run/validate.js';
import { tempDir, TEST_ENV } from '../helpers/env.js';

const FIXTURES = [join(import.meta.dirname, '../../fixtures/raw'), join(import.meta.dirname, '../../fixtures/formats/input')];

/** Runs `auditline export` in-process and returns what it wrote to stdout, line by line. */
async function exportLines(store: string, profile: 'cadf' | 'activity-tracker'): Promise<string[]> {
  const chunks: string[] = [];
  const write = process.stdout.write.bind(process.stdout);
  process.stdout.write = ((chunk: string | Uint8Array) => (chunks.push(String(chunk)), true)) as typeof process.stdout.write;
  try {
    await (exportCommand.handler as (a: unknown) => Promise<void>)({ store, 'data-dir': 'unused', profile });
  } finally {
    process.stdout.write = write;
  }
  return chunks
    .join('')
    .split('\n')
    .filter((l) => l !== '');
}

describe('export --profile cadf', () => {
  it('writes every stored event as a CADF event that passes all of pycadf’s rules', async () => {
    const dir = tempDir();
    const s = await runIngest({ paths: FIXTURES, dataDir: dir, env: TEST_ENV });
    const lines = await exportLines(join(dir, 'auditline.duckdb'), 'cadf');
    expect(lines.length).toBe(s.eventsIndexed);
    expect(lines.length).toBeGreaterThan(200);
    const failures = lines.map((l) => ({ l, problems: validateCadf(JSON.parse(l)) })).filter((f) => f.problems.length > 0);
    expect(failures.slice(0, 3).map((f) => f.problems)).toEqual([]);

    // validate --profile cadf agrees, and refuses the Activity Tracker form of the same events.
    const cadfFile = join(dir, 'cadf.ndjson');
    writeFileSync(cadfFile, `${lines.join('\n')}\n`);
    expect(await runValidateCadf({ paths: [cadfFile] })).toMatchObject({ linesRead: lines.length, valid: lines.length, invalid: 0 });
    const atFile = join(dir, 'at.ndjson');
    writeFileSync(atFile, `${(await exportLines(join(dir, 'auditline.duckdb'), 'activity-tracker')).slice(0, 10).join('\n')}\n`);
    expect(await runValidateCadf({ paths: [atFile] })).toMatchObject({ valid: 0, invalid: 10, invalidBy: { invalid_cadf: 10 } });
  });
});

const atEvent = (): ActivityTrackerEvent => ({
  id: 'e-1',
  eventTime: '2020-05-13T19:12:13.320+0000',
  '@timestamp': '2020-05-13T19:12:13.320Z',
  action: 'kms.secrets.unwrap',
  outcome: 'failure',
  message: 'Key Protect: unwrap secrets k -failure',
  severity: 'critical',
  dataEvent: true,
  saveServiceCopy: true,
  logSourceCRN: 'crn:v1:bluemix:public:kms:us-south:a/acct:inst::',
  correlationId: 'c-1',
  initiator: { id: '', name: 'IBM', typeURI: 'service/security/account/service', credential: { type: 'token' }, host: { address: '', addressType: 'IPv4' } },
  target: { id: 'crn:v1:bluemix:public:kms:us-south:a/acct:inst:key:k', name: 'k', typeURI: 'kms/secrets' },
  observer: { name: 'ActivityTracker' },
  reason: { reasonCode: 401, reasonType: 'Unauthorized', reasonForFailure: 'Unauthorized' },
  requestData: { keyId: 'k' },
  responseData: {},
  location: 'us-south',
  service: 'kms',
  auditline: { source: 's', line: 1, pipeline: 'key-protect', format: 'service-log', redactions: 0 },
});

describe('the CADF mapping', () => {
  it('maps Activity Tracker verbs onto the CADF action taxonomy', () => {
    const cases: Record<string, string> = {
      'kms.secrets.list': 'read/list',
      'kms.secrets.read': 'read',
      'secrets-manager.instance.login': 'authenticate/login',
      'kms.secrets.wrap': 'update/wrap',
      'kms.secrets.rewrap': 'update/rewrap',
      'kms.secrets.create': 'create',
      'kms.secrets.delete': 'delete',
      'kms.secrets.ack-rotate': 'update/ack-rotate',
      'secrets-manager.secret.request': 'unknown',
      'vault.audit-device.disable': 'disable',
    };
    for (const [at, cadf] of Object.entries(cases)) expect(cadfActionOf(at), at).toBe(cadf);
  });

  it('maps target typeURIs onto the CADF resource taxonomy', () => {
    expect(cadfResourceTypeOf('kms/secrets', 'kms')).toBe('data/security/key');
    expect(cadfResourceTypeOf('secrets-manager/secret', 'secrets-manager')).toBe('data/security/keymanager/secret');
    expect(cadfResourceTypeOf('secrets-manager/secret-group', 'secrets-manager')).toBe('data/security/keymanager/container');
    expect(cadfResourceTypeOf('kms/instance-policies', 'kms')).toBe('data/security/policy');
    expect(cadfResourceTypeOf('secrets-manager/secret-engine-config', 'secrets-manager')).toBe('data/config');
    expect(cadfResourceTypeOf('iam-groups/group', 'iam-groups')).toBe('data/security/group');
    expect(cadfResourceTypeOf('something/unheard-of', 'x')).toBe('unknown');
  });

  it('writes reason as strings with reasonType HTTP, the observer as a resource, and the DSP0262 timestamp', () => {
    const c = toCadf(atEvent());
    expect(c).toMatchObject({
      typeURI: 'http://schemas.dmtf.org/cloud/audit/1.0/event',
      eventType: 'activity',
      eventTime: '2020-05-13T19:12:13.320+00:00',
      action: 'update/unwrap',
      reason: { reasonType: 'HTTP', reasonCode: '401' },
      observer: { typeURI: 'service/security/keymanager', id: 'crn:v1:bluemix:public:kms:us-south:a/acct:inst::' },
      target: { typeURI: 'data/security/key', id: 'crn:v1:bluemix:public:kms:us-south:a/acct:inst:key:k', name: 'k' },
      tags: ['correlation_id?value=c-1'],
    });
    // A service acting on its own has no initiator id: it is its own initiator, and keeps no empty host.
    expect(c.initiator).toEqual({ typeURI: 'service/security/account/service', id: 'crn:v1:bluemix:public:kms:us-south:a/acct:inst::', name: 'IBM' });
    expect(c.attachments[0]!.content).toMatchObject({
      action: 'kms.secrets.unwrap',
      targetTypeURI: 'kms/secrets',
      reasonType: 'Unauthorized',
      location: 'us-south',
    });
    expect(validateCadf(c)).toEqual([]);
  });
});

// Each case breaks one attribute of a valid event, wherever it is: plain JSON, typed loosely on purpose.
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- test data edited in place, any shape
type Editable = Record<string, any>;

describe('pycadf’s rules (reference 2.3)', () => {
  const valid = () => JSON.parse(JSON.stringify(toCadf(atEvent()))) as Editable;
  const problemsOf = (change: (e: Editable) => void) => {
    const e = valid();
    change(e);
    return validateCadf(e).join('\n');
  };

  it.each<[string, (e: Editable) => void, RegExp]>([
    ['typeURI missing', (e) => delete e.typeURI, /\/typeURI must be/],
    ['eventType outside the enum', (e) => (e.eventType = 'audit'), /\/eventType must be one of/],
    ['id empty', (e) => (e.id = ''), /\/id must be a non-empty string/],
    ['eventTime with Z', (e) => (e.eventTime = '2020-05-13T19:12:13Z'), /\/eventTime must be/],
    ['eventTime as AT writes it (+0000)', (e) => (e.eventTime = '2020-05-13T19:12:13.320+0000'), /\/eventTime must be/],
    ['an Activity Tracker action', (e) => (e.action = 'kms.secrets.read'), /\/action is not in the CADF action taxonomy/],
    ['outcome in another case', (e) => (e.outcome = 'Success'), /\/outcome must be one of/],
    ['both initiator and initiatorId', (e) => (e.initiatorId = 'x'), /exactly one of initiator and initiatorId/],
    ['neither target nor targetId', (e) => delete e.target, /exactly one of target and targetId/],
    ['an Activity Tracker target typeURI', (e) => (e.target.typeURI = 'kms/secrets'), /\/target\/typeURI is not in the CADF resource taxonomy/],
    ['a resource without typeURI', (e) => delete e.initiator.typeURI, /\/initiator\/typeURI must be set/],
    ['the observer of the AT profile (a name only)', (e) => (e.observer = { name: 'ActivityTracker' }), /\/observer\/id must be a non-empty string/],
    ['a target that names itself', (e) => (e.target = { id: 'target', typeURI: 'data/security/key' }), /\/target\/id must not be the literal "target"/],
    ['a numeric reasonCode', (e) => (e.reason.reasonCode = 401), /\/reason\/reasonCode must be a string/],
    ['a reason without reasonType', (e) => delete e.reason.reasonType, /needs reasonType and reasonCode/],
    ['a null attribute', (e) => (e.severity = null), /\/severity is null/],
    ['a control event without reason', (e) => ((e.eventType = 'control'), delete e.reason), /required for control events/],
    ['a monitor event without measurements', (e) => (e.eventType = 'monitor'), /measurements are required/],
    ['a credential without token', (e) => (e.initiator.credential = { type: 'apikey' }), /credential must have a token/],
    ['an attachment without content', (e) => delete e.attachments[0].content, /\/attachments\/0 needs typeURI, name and content/],
  ])('refuses %s', (_name, change, expected) => expect(problemsOf(change)).toMatch(expected));

  it('accepts the reference forms and the policy form of a reason', () => {
    expect(problemsOf((e) => (e.observer = { id: 'target' }))).toBe('');
    expect(problemsOf((e) => ((e.targetId = e.target.id), delete e.target))).toBe('');
    expect(problemsOf((e) => (e.reason = { policyType: 'iam', policyId: 'p-1' }))).toBe('');
    expect(problemsOf((e) => (e.action = 'read/list/associations'))).toBe('');
  });
});

describe('CADF actions of every bundled pipeline', () => {
  /** Every action a pipeline file can produce: route and alias values, and the catch-alls apart. */
  function actionsOf(file: string): { actions: Set<string>; catchAlls: Set<string> } {
    const actions = new Set<string>();
    const catchAlls = new Set<string>();
    const text = readFileSync(file, 'utf8');
    const service = /^service: (\S+)$/m.exec(text)![1]!;
    let inCatchAll = false;
    for (const line of text.split('\n')) {
      if (/^\S/.test(line)) inCatchAll = line.startsWith('catchAll:');
      const m = /:\s+([a-z][a-z0-9-]*(?:\.[a-z0-9-]+){2})\s*(?:#.*)?$/.exec(line);
      if (m && m[1]!.startsWith(`${service}.`)) (inCatchAll ? catchAlls : actions).add(m[1]!);
    }
    return { actions, catchAlls };
  }

  it('maps every audited action to a CADF taxonomy action, and only invalid-request catch-alls to unknown', () => {
    const dir = join(import.meta.dirname, '../../pipelines');
    let checked = 0;
    for (const f of readdirSync(dir).filter((n) => n.endsWith('.yaml'))) {
      const { actions, catchAlls } = actionsOf(join(dir, f));
      for (const a of actions) {
        if (catchAlls.has(a)) continue;
        expect(cadfActionOf(a), `${f}: ${a}`).not.toBe('unknown');
        checked++;
      }
      for (const a of catchAlls) expect(cadfActionOf(a), `${f}: ${a}`).toBe('unknown');
    }
    expect(cadfActionOf('kms.secrets.purge')).toBe('delete/purge');
    expect(checked).toBeGreaterThan(50);
  });
});
