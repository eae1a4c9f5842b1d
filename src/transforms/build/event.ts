import { STATUS_CODES } from 'node:http';
import type { LayoutNode } from '../../model/event-layout.js';
import type { ActivityTrackerEvent } from '../../model/event.js';
import type { Classified } from '../classify/classify.js';
import { instanceCRN, resourceCRN } from './crn.js';
import type { LineIds } from './ids.js';
import { addressType, credentialType, initiatorTypeURI } from './initiator.js';
import { isoBody } from './iso-time.js';

export interface BuildContext {
  source: string;
  line: number;
  format: string;
  keyId: string | undefined;
}

/** The AT timestamp format: `YYYY-MM-DDTHH:mm:ss.SSS+0000` (UTC, numeric offset without colon). */
export function formatEventTime(ms: number): string {
  return `${isoBody(ms)}+0000`;
}

/**
 * Every key of a built request event, in the order the builder writes them, with where each value
 * comes from: the redaction pass after the build (transforms/redact/built-event.ts) looks only at
 * what the builder composed. A key added to the
 * builder is added here too (test/transforms/build/event.test.ts checks every key of built events).
 */
export const REQUEST_EVENT_LAYOUT: readonly LayoutNode[] = [
  { key: 'id', kind: 'string', from: 'ours' },
  { key: 'eventTime', kind: 'string', from: 'ours' },
  { key: '@timestamp', kind: 'string', from: 'ours' },
  { key: 'action', kind: 'string', from: 'config' },
  { key: 'outcome', kind: 'string', from: 'ours' },
  { key: 'message', kind: 'string', from: 'composed' },
  { key: 'severity', kind: 'string', from: 'config' },
  { key: 'dataEvent', kind: 'boolean', from: 'ours' },
  { key: 'saveServiceCopy', kind: 'boolean', from: 'ours' },
  { key: 'logSourceCRN', kind: 'string', from: 'composed' },
  // The request's own, or the line's derived one (ours).
  { key: 'correlationId', kind: 'string', from: 'record' },
  {
    key: 'initiator',
    fields: [
      { key: 'id', kind: 'string', from: 'record' },
      { key: 'name', kind: 'string', from: 'record' },
      { key: 'typeURI', kind: 'string', from: 'ours' },
      { key: 'credential', fields: [{ key: 'type', kind: 'string', from: 'ours' }] },
      {
        key: 'host',
        fields: [
          { key: 'address', kind: 'string', from: 'record' },
          { key: 'addressType', kind: 'string', from: 'ours' },
          { key: 'agent', kind: 'string', from: 'record', optional: true },
        ],
      },
    ],
  },
  {
    key: 'target',
    fields: [
      { key: 'id', kind: 'string', from: 'composed' },
      { key: 'name', kind: 'string', from: 'composed' },
      { key: 'typeURI', kind: 'string', from: 'config' },
    ],
  },
  { key: 'observer', fields: [{ key: 'name', kind: 'string', from: 'ours' }] },
  {
    key: 'reason',
    fields: [
      { key: 'reasonCode', kind: 'number', from: 'ours' },
      { key: 'reasonType', kind: 'string', from: 'ours' },
      // The record's error message, or the status text (ours).
      { key: 'reasonForFailure', kind: 'string', from: 'record', optional: true },
    ],
  },
  { key: 'requestData', kind: 'json', from: 'composed' },
  { key: 'responseData', kind: 'json', from: 'composed' },
  { key: 'location', kind: 'string', from: 'composed' },
  { key: 'service', kind: 'string', from: 'config' },
  {
    key: 'auditline',
    fields: [
      { key: 'source', kind: 'string', from: 'config' },
      { key: 'line', kind: 'number', from: 'ours' },
      { key: 'pipeline', kind: 'string', from: 'config' },
      { key: 'format', kind: 'string', from: 'ours' },
      { key: 'route', kind: 'string', from: 'config' },
      { key: 'redactions', kind: 'number', from: 'ours' },
      { key: 'keyId', kind: 'string', from: 'ours', optional: true },
    ],
  },
];

/**
 * Builds the Activity Tracker event of one classified request. Input values are already redacted;
 * its keys are REQUEST_EVENT_LAYOUT's.
 */
export function buildRequestEvent(c: Classified, ids: LineIds, ctx: BuildContext): ActivityTrackerEvent {
  const { pipeline, facts, action } = c;
  const { config, field } = pipeline;
  const record = facts.record;
  const status = facts.status;
  const outcome = status < 400 ? 'success' : 'failure';
  const reasonType = STATUS_CODES[status] ?? 'Unknown';

  const target = c.entry.target;
  const resourceId = target?.idParam ? facts.params[target.idParam] : undefined;
  const logSourceCRN = instanceCRN(config.service, facts.location, facts.account, facts.instance);
  const targetId =
    target?.resourceType && resourceId
      ? resourceCRN(config.service, facts.location, facts.account, facts.instance, target.resourceType, resourceId)
      : logSourceCRN;
  const targetName = resourceId ?? facts.instance;
  const objectType = actionPart(action, 1);
  const verb = actionPart(action, 2);
  // One formatting of the instant for both fields (toISOString twice was most of this function's time).
  const instant = isoBody(c.time);

  const iamId = str(field.initiatorId(record));
  const address = str(field.remoteAddress(record));
  const agent = str(field.userAgent(record));
  const correlationId = str(field.correlationId(record)) || ids.derivedCorrelationId;

  const event: ActivityTrackerEvent = {
    id: ids.eventId,
    eventTime: `${instant}+0000`,
    '@timestamp': `${instant}Z`,
    action,
    outcome,
    message: `${config.displayName}: ${verb} ${objectType} ${targetName}${outcome === 'failure' ? ' -failure' : ''}`,
    severity: pipeline.severityOf(action, status),
    dataEvent: pipeline.isDataEvent(action),
    saveServiceCopy: true,
    logSourceCRN,
    correlationId,
    initiator: {
      id: iamId,
      name: str(field.initiatorName(record)),
      typeURI: initiatorTypeURI(field.principalType(record), iamId),
      credential: { type: credentialType(field.grantType(record)) },
      host: agent ? { address, addressType: addressType(address), agent } : { address, addressType: addressType(address) },
    },
    target: { id: targetId, name: targetName, typeURI: target?.typeURI ?? `${config.service}/${objectType}` },
    observer: { name: 'ActivityTracker' },
    reason:
      outcome === 'failure'
        ? { reasonCode: status, reasonType, reasonForFailure: str(field.errorMessage(record)) || reasonType }
        : { reasonCode: status, reasonType },
    requestData: pickScalars(pipeline.requestData, facts),
    responseData: pickScalars(pipeline.responseData, facts),
    location: facts.location,
    service: config.service,
    auditline: {
      source: ctx.source,
      line: ctx.line,
      pipeline: pipeline.name,
      format: ctx.format,
      route: c.entry.key,
      redactions: 0,
    },
  };
  if (ctx.keyId) event.auditline.keyId = ctx.keyId;
  return event;
}

/** Only identifiers and states reach request/responseData: objects and arrays (bodies) are never copied. */
function pickScalars(getters: CompiledGetters, facts: Classified['facts']): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  // Index loop: `for (const [name, get] of ...)` allocates an iterator and destructures per entry.
  for (let i = 0; i < getters.length; i++) {
    const getter = getters[i]!;
    const v = getter[1](facts);
    if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') out[getter[0]] = v;
  }
  return out;
}
type CompiledGetters = Classified['pipeline']['requestData'];

function str(v: unknown): string {
  return typeof v === 'string' ? v : typeof v === 'number' ? String(v) : '';
}

/** Part `n` of a dotted action (`service.objectType.verb`), '' when it has fewer parts; what `split('.')[n]` gives, without the array. */
function actionPart(action: string, n: number): string {
  let start = 0;
  for (let i = 0; i < n; i++) {
    const dot = action.indexOf('.', start);
    if (dot < 0) return '';
    start = dot + 1;
  }
  const end = action.indexOf('.', start);
  return end < 0 ? action.slice(start) : action.slice(start, end);
}
