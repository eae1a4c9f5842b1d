import { describe, expect, it } from 'vitest';
import { normaliseActivityTrackerEvent } from '../../src/formats/activity-tracker/normalise.js';
import { flattenArchiveNames, unwrapActivityTrackerRecord } from '../../src/formats/activity-tracker/unwrap.js';
import type { FormatContext } from '../../src/formats/format.js';
import type { ActivityTrackerEvent } from '../../src/model/event.js';
import { detectJsonFormat } from '../../src/formats/registry.js';
import { idsOfLine } from '../../src/transforms/build/ids.js';
import { loadPipelines } from '../../src/transforms/classify/compile-pipeline.js';

const pipelines = loadPipelines();
const ctx: FormatContext = { pipelines, forcedPipeline: false, source: 't.ndjson', line: 1, ids: idsOfLine('x'), keyId: undefined };
const CRN = 'crn:v1:bluemix:public:kms:us-south:a/acct:inst::';

const event = (over: Record<string, unknown> = {}) => ({
  eventTime: '2020-05-13T19:12:13.32+0000',
  action: 'kms.secrets.read',
  outcome: 'success',
  message: 'Key Protect: read secrets k',
  severity: 'normal',
  initiator: { id: 'IBMid-1', name: 'a@b.c', typeURI: 'service/security/account/user', credential: { type: 'token' } },
  target: { id: `${CRN.slice(0, -2)}:key:k1`, name: 'k', typeURI: 'kms/secrets' },
  observer: { name: 'ActivityTracker' },
  reason: { reasonCode: 200, reasonType: 'OK' },
  logSourceCRN: CRN,
  ...over,
});

function normalised(record: Record<string, unknown>): ActivityTrackerEvent {
  const unwrapped = unwrapActivityTrackerRecord(record);
  if (!unwrapped.ok) throw new Error(unwrapped.reason);
  const r = normaliseActivityTrackerEvent(unwrapped.record, ctx, 'activity-tracker');
  if (r.kind !== 'event') throw new Error(`${r.kind}: ${'reason' in r ? r.reason : ''}`);
  return r.event;
}

describe('envelopes', () => {
  it('renames o_-prefixed objects at every depth and leaves scalars alone', () => {
    expect(flattenArchiveNames({ o_initiator: { id: 'x', o_host: { address: '1.2.3.4' } }, o_note: 'scalar', eventTime: 't' })).toEqual({
      initiator: { id: 'x', host: { address: '1.2.3.4' } },
      o_note: 'scalar',
      eventTime: 't',
    });
  });

  it('keeps LogDNA _ts, _app and _host as source metadata and drops the other line identifiers', () => {
    const u = unwrapActivityTrackerRecord({ _line: JSON.stringify(event()), _ts: '1622538000000', _app: CRN, _host: 'kms', _file: '/var/log/at/x', _id: 'l1' });
    expect(u.ok && u.record.auditline).toEqual({ logdna: { ts: 1622538000000, app: CRN, host: 'kms' } });
    expect(u.ok && Object.keys(u.record).filter((k) => k.startsWith('_'))).toEqual([]);
  });

  it('promotes the fields of a legacy payload wrapper, also when the payload is a JSON string', () => {
    const inner = event();
    const u = unwrapActivityTrackerRecord({ payload: JSON.stringify(inner), saveServiceCopy: true });
    expect(u.ok && u.record).toEqual({ ...inner, saveServiceCopy: true });
  });

  it('refuses a LogDNA line whose text is not JSON and has no fields beside it', () => {
    expect(unwrapActivityTrackerRecord({ _line: '{"eventTime":"2020', _ts: 1 })).toMatchObject({ ok: false, code: 'invalid_event' });
  });

  it('detects each envelope as its own format', () => {
    expect(detectJsonFormat(event())?.name).toBe('activity-tracker');
    expect(detectJsonFormat({ payload: event() })?.name).toBe('activity-tracker');
    expect(detectJsonFormat({ _source: { o_initiator: {} } })?.name).toBe('at-archive');
    expect(detectJsonFormat({ _line: '{}', _ts: 1 })?.name).toBe('logdna');
    expect(detectJsonFormat({ type: 'response', request: { id: 'r' } })?.name).toBe('vault-audit');
    expect(detectJsonFormat({ req: { method: 'GET' } })?.name).toBe('service-log');
    expect(detectJsonFormat({ hello: 'world' })).toBeUndefined();
  });
});

describe('normalising an already-formed event', () => {
  it('reads the correlation id from every place an era put it, top level first', () => {
    expect(normalised(event({ correlationId: 'top', responseBody: { correlationId: 'body' } })).correlationId).toBe('top');
    expect(normalised(event({ responseBody: { correlationID: 'upper' } })).correlationId).toBe('upper');
    expect(normalised(event({ responseHeader: { content: 'header' } })).correlationId).toBe('header');
    expect(normalised(event()).correlationId).toBeUndefined();
  });

  it('turns string codes and booleans into numbers and booleans, and fills the documented defaults', () => {
    const e = normalised(event({ reason: { reasonCode: '404' }, outcome: 'failure', dataEvent: 'TRUE', saveServiceCopy: undefined }));
    expect(e.reason).toEqual({ reasonCode: 404, reasonType: 'Not Found', reasonForFailure: 'Not Found' });
    expect(e.dataEvent).toBe(true);
    expect(e.saveServiceCopy).toBe(true);
    expect(normalised(event()).dataEvent).toBe(false);
  });

  it('maps an old action name to the current one and keeps the old one as legacyAction', () => {
    const e = normalised(event({ action: 'kms.secrets.listkeyversions' }));
    expect(e.action).toBe('kms.secrets-key-versions.list');
    expect(e.legacyAction).toBe('kms.secrets.listkeyversions');
  });

  it('puts the CRN prefix back and takes location and service from the CRN', () => {
    const e = normalised(event({ logSourceCRN: 'v1:bluemix:public:secrets-manager:eu-de:a/acct:inst::' }));
    expect(e.logSourceCRN).toBe('crn:v1:bluemix:public:secrets-manager:eu-de:a/acct:inst::');
    expect([e.location, e.service, e.auditline.pipeline]).toEqual(['eu-de', 'secrets-manager', 'secrets-manager']);
  });

  it('drops the legacy and reserved fields and keeps the profile fields the model does not name', () => {
    const e = normalised(
      event({
        typeURI: 'x',
        type: 'ActivityTracker',
        eventType: 'activity',
        meta: {},
        requestHeader: {},
        latencies: {},
        attachments: [],
        requestBody: {},
        resourceGroupId: 'rg',
        tags: ['a'],
        observer: { name: 'ActivityTracker', typeURI: 'security/edge/activity-tracker', id: 'crn' },
      }),
    );
    for (const k of ['typeURI', 'type', 'eventType', 'meta', 'requestHeader', 'latencies', 'attachments', 'requestBody']) expect(e).not.toHaveProperty(k);
    expect(e.observer).toEqual({ name: 'ActivityTracker' });
    expect([e.resourceGroupId, e.tags]).toEqual(['rg', ['a']]);
  });

  it("keeps the event's own id, else derives one from the line", () => {
    expect(normalised(event({ id: 'own-id' })).id).toBe('own-id');
    expect(normalised(event()).id).toBe(ctx.ids.eventId);
  });

  it('severity missing: the pipeline of the service decides, as for built events', () => {
    expect(normalised(event({ severity: undefined, action: 'kms.secrets.delete' })).severity).toBe('critical');
    expect(normalised(event({ severity: undefined, reason: { reasonCode: 403 }, outcome: 'failure' })).severity).toBe('critical');
  });
});
