import type { ActivityTrackerEvent } from '../model/event.js';
import { CADF_EVENT_TYPE_URI, cadfActionOf, cadfResourceTypeOf, cadfServiceTypeOf } from './cadf-taxonomy.js';

/**
 * The strict CADF view of a stored event (`export --profile cadf`): DSP0262 attributes only, in
 * the vocabularies pycadf validates (reference 2.4). What CADF has no attribute for (the AT
 * action and typeURI, message, data objects, location...) travels in one attachment, so the
 * view loses nothing and the original event can be told from it.
 */

export interface CadfResource {
  typeURI: string;
  id: string;
  name?: string;
  host?: { address?: string; agent?: string };
}

export interface CadfEvent {
  typeURI: typeof CADF_EVENT_TYPE_URI;
  eventType: 'activity';
  id: string;
  eventTime: string;
  action: string;
  outcome: ActivityTrackerEvent['outcome'];
  initiator: CadfResource;
  target: CadfResource;
  observer: CadfResource;
  reason: { reasonType: 'HTTP'; reasonCode: string };
  severity: string;
  tags?: string[];
  attachments: { typeURI: string; name: string; content: Record<string, unknown> }[];
}

/** Name of the attachment that carries the Activity Tracker profile's own fields. */
export const AT_ATTACHMENT = 'activityTracker';

/** DSP0262's timestamp form: `hh:mm` offset, never `Z` (pycadf's own `+0000` output is not what the spec says). */
export function cadfTimestamp(eventTime: string): string {
  return eventTime.replace(/([+-]\d{2})(\d{2})$/, '$1:$2');
}

const nonEmpty = (v: string | undefined): v is string => typeof v === 'string' && v !== '';

export function toCadf(e: ActivityTrackerEvent): CadfEvent {
  const host: CadfResource['host'] = {};
  if (nonEmpty(e.initiator.host?.address)) host.address = e.initiator.host.address;
  if (nonEmpty(e.initiator.host?.agent)) host.agent = e.initiator.host.agent;
  const initiator: CadfResource = {
    typeURI: e.initiator.typeURI,
    // A service acting on its own names no initiator id (reference 1.2): it is its own initiator.
    id: nonEmpty(e.initiator.id) ? e.initiator.id : e.logSourceCRN,
    ...(nonEmpty(e.initiator.name) ? { name: e.initiator.name } : {}),
    ...(Object.keys(host).length ? { host } : {}),
  };
  return {
    typeURI: CADF_EVENT_TYPE_URI,
    eventType: 'activity',
    id: e.id,
    eventTime: cadfTimestamp(e.eventTime),
    action: cadfActionOf(e.action),
    outcome: e.outcome,
    initiator,
    target: {
      typeURI: cadfResourceTypeOf(e.target.typeURI, e.service),
      id: e.target.id,
      ...(nonEmpty(e.target.name) ? { name: e.target.name } : {}),
    },
    observer: { typeURI: cadfServiceTypeOf(e.service), id: e.logSourceCRN, name: e.service },
    reason: { reasonType: 'HTTP', reasonCode: String(e.reason.reasonCode) },
    severity: e.severity,
    // keystonemiddleware's convention for the correlation id (reference 2.5)
    ...(e.correlationId ? { tags: [`correlation_id?value=${e.correlationId}`] } : {}),
    attachments: [{ typeURI: 'application/json', name: AT_ATTACHMENT, content: profileFields(e) }],
  };
}

function profileFields(e: ActivityTrackerEvent): Record<string, unknown> {
  const content: Record<string, unknown> = {
    action: e.action,
    ...(e.legacyAction ? { legacyAction: e.legacyAction } : {}),
    message: e.message,
    dataEvent: e.dataEvent,
    saveServiceCopy: e.saveServiceCopy,
    logSourceCRN: e.logSourceCRN,
    location: e.location,
    service: e.service,
    initiatorCredentialType: e.initiator.credential.type,
    targetTypeURI: e.target.typeURI,
    reasonType: e.reason.reasonType,
    ...(e.reason.reasonForFailure !== undefined ? { reasonForFailure: e.reason.reasonForFailure } : {}),
    requestData: e.requestData,
    responseData: e.responseData,
  };
  if (e.correlationId) content.correlationId = e.correlationId;
  return content;
}
