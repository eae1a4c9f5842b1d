import { locationOfCRN } from '../../transforms/build/crn.js';
import type { ActivityTrackerEvent, AuditlineMeta } from '../../model/event.js';
import type { FormatContext, FormatResult } from '../format.js';
import { parseEventTime } from './event-time.js';
import {
  booleanOf,
  canonicalActionOf,
  correlationIdOf,
  dataObjectOf,
  DERIVED_FIELDS,
  initiatorOf,
  LEGACY_FIELDS,
  legacyResponseData,
  logSourceCrnOf,
  lowerOf,
  outcomeOf,
  reasonCodeOf,
  reasonOf,
  serviceOfCRN,
  str,
  targetOf,
} from './fields.js';
import { isPlainObject } from './unwrap.js';

/** Pipeline name recorded when no loaded pipeline is for the event's service (an IAM or COS event). */
export const NO_PIPELINE = 'none';

const KNOWN_FIELDS = new Set<string>([
  'id',
  'eventTime',
  'action',
  'legacyAction',
  'outcome',
  'message',
  'severity',
  'dataEvent',
  'saveServiceCopy',
  'logSourceCRN',
  'correlationId',
  'initiator',
  'target',
  'observer',
  'reason',
  'requestData',
  'responseData',
  ...LEGACY_FIELDS,
  ...DERIVED_FIELDS,
]);

const invalid = (reason: string): FormatResult => ({ kind: 'reject', code: 'invalid_event', reason });

/**
 * An already-formed Activity Tracker event (envelopes removed, already redacted) to the stored
 * event model of DESIGN.md. Only what the profile documents is filled in (host, target name,
 * reasonType, dataEvent=false, saveServiceCopy=true, empty data objects, the message of the
 * guideline); everything else must be there: the schema applied after this step is as strict
 * as for built events.
 */
export function normaliseActivityTrackerEvent(record: Record<string, unknown>, ctx: FormatContext, format: string): FormatResult {
  const time = parseEventTime(record.eventTime);
  if (!time) return invalid(record.eventTime === undefined ? 'eventTime is missing' : 'eventTime is not a date and time');
  if (typeof record.action !== 'string' || record.action === '') return invalid('action is missing');

  const target = targetOf(record.target);
  const logSourceCRN = logSourceCrnOf(record, target);
  const location = logSourceCRN ? locationOfCRN(logSourceCRN) : undefined;
  const service = logSourceCRN ? serviceOfCRN(logSourceCRN) : undefined;
  if (!logSourceCRN || !location || !service) return invalid('no location: logSourceCRN is missing or not a CRN, and target.id is not a CRN');

  const requestData = dataObjectOf(record.requestData, 'requestData');
  if ('error' in requestData) return invalid(requestData.error);
  const responseData = dataObjectOf(record.responseData ?? legacyResponseData(record), 'responseData');
  if ('error' in responseData) return invalid(responseData.error);
  // 2020-05: reasonForFailure moved from requestData (and KP's responseData) to reason.
  const legacyFailure = str(requestData.value.reasonForFailure) ?? str(responseData.value.reasonForFailure);
  delete requestData.value.reasonForFailure;

  const original = record.action;
  const action = canonicalActionOf(original, ctx.pipelines);
  const legacyAction = str(record.legacyAction) ?? (action !== original ? original : undefined);
  const pipeline = ctx.pipelines.find((p) => p.config.service === service);
  const code = reasonCodeOf(isPlainObject(record.reason) ? record.reason.reasonCode : undefined);
  const outcome = outcomeOf(record.outcome, code);
  const reason = reasonOf(record.reason, outcome, legacyFailure);
  const initiator = initiatorOf(record.initiator);
  const severity = lowerOf(record.severity) ?? (pipeline && typeof code === 'number' ? pipeline.severityOf(action, code) : undefined);
  const correlationId = correlationIdOf(record);

  const auditline: AuditlineMeta & { logdna?: unknown } = {
    source: ctx.source,
    line: ctx.line,
    pipeline: pipeline?.name ?? NO_PIPELINE,
    format,
    redactions: 0,
  };
  if (ctx.keyId) auditline.keyId = ctx.keyId;
  if (isPlainObject(record.auditline) && record.auditline.logdna !== undefined) auditline.logdna = record.auditline.logdna;

  const event = {
    id: str(record.id) ?? (typeof record.id === 'number' ? String(record.id) : ctx.ids.eventId),
    eventTime: time.eventTime,
    '@timestamp': time.timestamp,
    action,
    ...(legacyAction ? { legacyAction } : {}),
    outcome,
    message: str(record.message) ?? messageOf(pipeline?.config.displayName ?? service, action, target, outcome),
    severity,
    dataEvent: booleanOf(record.dataEvent, false),
    saveServiceCopy: booleanOf(record.saveServiceCopy, true),
    logSourceCRN,
    ...(correlationId ? { correlationId } : {}),
    initiator,
    target,
    // The profile's observer is ActivityTracker by name only; observer.id/typeURI are reserved.
    observer: { name: 'ActivityTracker' },
    reason,
    requestData: requestData.value,
    responseData: responseData.value,
    ...extraFields(record),
    location,
    service,
    auditline,
  };
  // The shape is checked by the schema right after this returns (run/line-chain.ts).
  return { kind: 'event', event: event as unknown as ActivityTrackerEvent };
}

/** Fields the profile has beyond the model (resourceGroupId, tags, compliance, requestPath...) are kept. */
function extraFields(record: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(record)) if (!KNOWN_FIELDS.has(key)) out[key] = v;
  return out;
}

/** The guideline's message, `<Service>: <verb> <objectType> <target.name>[ -failure]`, for events that predate it. */
function messageOf(displayName: string, action: string, target: Record<string, unknown> | undefined, outcome: unknown): string {
  const [, objectType = '', verb = ''] = action.split('.');
  const name = typeof target?.name === 'string' ? target.name : '';
  return `${displayName}: ${verb} ${objectType} ${name}`.trimEnd() + (outcome === 'failure' ? ' -failure' : '');
}
