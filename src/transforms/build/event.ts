import { STATUS_CODES } from 'node:http';
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

/** Builds the Activity Tracker event of one classified request. Input values are already redacted. */
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
