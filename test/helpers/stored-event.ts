import { createHash } from 'node:crypto';
import type { StoredEvent } from '../../src/model/records.js';

export const T0 = Date.parse('2025-11-21T00:00:00.000Z');

/** An event as the transform makes it: the id is a hash of the line, so equal `n` means the same line, one second apart from n ± 1. */
export function storedEvent(n: number, over: Partial<StoredEvent> = {}): StoredEvent {
  const h = createHash('sha256').update(`line ${n}`).digest('hex');
  const location = over.location ?? 'us-south';
  const e: StoredEvent = {
    id: `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`,
    location,
    service: 'kms',
    time: T0 + n * 1000,
    action: 'kms.secrets.read',
    outcome: 'success',
    severity: 'normal',
    initiatorId: 'IBMid-1',
    initiatorName: 'alice@example.com',
    sourceAddress: n % 2 ? '203.0.113.7' : null,
    targetId: `crn:v1:bluemix:public:kms:${location}:a/1:2:key:${n}`,
    targetTypeURI: 'kms/secrets',
    correlationId: n % 3 ? `corr-${n}` : null,
    reasonCode: 200,
    dataEvent: false,
    source: 'a.log',
    line: n,
    json: '',
    ...over,
  };
  e.json = JSON.stringify({ id: e.id, '@timestamp': new Date(e.time).toISOString(), action: e.action, location: e.location, n });
  return e;
}
