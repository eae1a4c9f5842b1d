/** Reading event fields by their dotted path, as the search's `fields` name them. */

/** Names the searches use that are ECS aliases or columns of another path in the event. */
const ALIASES: Record<string, string> = {
  'event.id': 'id',
  'event.action': 'action',
  'event.outcome': 'outcome',
  'user.id': 'initiator.id',
  'user.name': 'initiator.name',
  'source.ip': 'initiator.host.address',
  'trace.id': 'correlationId',
  'cloud.region': 'location',
  'cloud.service.name': 'service',
  'http.response.status_code': 'reason.reasonCode',
};

export function valueAt(event: unknown, name: string): unknown {
  let v: unknown = event;
  for (const part of (ALIASES[name] ?? name).split('.')) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<string, unknown>)[part];
  }
  return v;
}

export function textOf(v: unknown): string {
  if (v === undefined || v === null) return '';
  return typeof v === 'object' ? JSON.stringify(v) : String(v);
}
