/**
 * The stored document: an Activity Tracker event (reference section 1.1), normalised,
 * plus auditline's own fields (`@timestamp`, `location`, `service`, `auditline`).
 */
export interface ActivityTrackerEvent {
  id: string;
  eventTime: string;
  '@timestamp': string;
  action: string;
  legacyAction?: string;
  outcome: 'success' | 'failure' | 'pending' | 'unknown';
  message: string;
  severity: 'normal' | 'warning' | 'critical';
  dataEvent: boolean;
  saveServiceCopy: boolean;
  logSourceCRN: string;
  correlationId?: string;
  initiator: {
    id: string;
    name: string;
    typeURI: string;
    credential: { type: string };
    host: { address: string; addressType: 'IPv4' | 'IPv6' | 'CSE' | 'subnet'; agent?: string };
    authnId?: string;
    authnName?: string;
  };
  target: { id: string; name: string; typeURI: string; alias?: string; resourceGroupId?: string };
  observer: { name: 'ActivityTracker' };
  reason: { reasonCode: number; reasonType: string; reasonForFailure?: string };
  requestData: Record<string, unknown>;
  responseData: Record<string, unknown>;
  location: string;
  service: string;
  auditline: AuditlineMeta;
  [extra: string]: unknown;
}

export interface AuditlineMeta {
  source: string;
  line: number;
  pipeline: string;
  format: string;
  route?: string;
  redactions: number;
  keyId?: string;
}
