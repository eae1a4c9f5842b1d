import { createWriteStream } from 'node:fs';

/**
 * The JSON-array corpus of the `array-*` stages (`npm run bench -- --array-gb N`): realistic
 * Activity Tracker events (about 1 KB each) in one array, to measure the stream-json reader and
 * its peak RSS on a document far larger than the heap.
 */

/** Writes `[ev, ev, ...]` of distinct events (ids, times, keys vary) until the file reaches `bytes`. */
export async function writeEventArray(file: string, bytes: number): Promise<number> {
  const out = createWriteStream(file);
  const write = (text: string) => (out.write(text) ? Promise.resolve() : new Promise<void>((r) => out.once('drain', () => r())));
  const CHUNK_EVENTS = 1000;
  let written = 2;
  let n = 0;
  await write('[\n');
  while (written < bytes) {
    const parts: string[] = [];
    for (let i = 0; i < CHUNK_EVENTS; i++, n++) parts.push(JSON.stringify(sampleEvent(n)));
    const text = `${n > CHUNK_EVENTS ? ',\n' : ''}${parts.join(',\n')}`;
    written += Buffer.byteLength(text);
    await write(text);
  }
  await write('\n]\n');
  await new Promise<void>((resolve, reject) => out.end((e?: Error | null) => (e ? reject(e) : resolve())));
  return n;
}

const BENCH_EPOCH_MS = Date.UTC(2025, 0, 1);
const REGIONS = ['us-south', 'eu-de', 'jp-tok', 'eu-gb'];
const VERBS = ['read', 'wrap', 'unwrap', 'list', 'create', 'rotate'];

function sampleEvent(n: number): Record<string, unknown> {
  const region = REGIONS[n % REGIONS.length]!;
  const hex = n.toString(16).padStart(12, '0');
  const crn = `crn:v1:bluemix:public:kms:${region}:a/b2e5a2a1c0d94f1e8a7b3c6d5e4f3a21:75539f09-f989-43f0-80fd-c1e6578e3ca2::`;
  const verb = VERBS[n % VERBS.length]!;
  return {
    id: `00000000-0000-8000-8000-${hex}`,
    eventTime: new Date(BENCH_EPOCH_MS + n * 37).toISOString().replace('Z', '+0000'),
    action: `kms.secrets.${verb}`,
    outcome: n % 50 === 0 ? 'failure' : 'success',
    message: `Key Protect: ${verb} secrets payroll-root-${n % 97}`,
    severity: 'normal',
    initiator: {
      id: `iam-ServiceId-f83d90d2-15ea-414e-a0ba-${hex}`,
      name: `ServiceId-${n % 13}`,
      typeURI: 'service/security/account/serviceid',
      credential: { type: 'apikey' },
      host: { address: `198.51.100.${n % 250}`, addressType: 'IPv4', agent: 'keyprotect-go-client/0.15.1' },
    },
    target: { id: `${crn.slice(0, -2)}:key:5e7a4c1b-0d6e-4c3b-9f0a-${hex}`, name: `payroll-root-${n % 97}`, typeURI: 'kms/secrets' },
    observer: { name: 'ActivityTracker' },
    reason: n % 50 === 0 ? { reasonCode: 403, reasonType: 'Forbidden', reasonForFailure: 'Forbidden' } : { reasonCode: 200, reasonType: 'OK' },
    requestData: { keyId: `5e7a4c1b-0d6e-4c3b-9f0a-${hex}`, instanceID: '75539f09-f989-43f0-80fd-c1e6578e3ca2', keyRingId: 'default' },
    responseData: { keyState: 1, keyVersionId: `be729de1-7e3a-46df-9c43-${hex}` },
    dataEvent: verb !== 'list',
    saveServiceCopy: true,
    correlationId: `7b1d2e3f-4a5b-4c6d-8e9f-${hex}`,
    logSourceCRN: crn,
  };
}
