/**
 * A week of ordinary Key Protect and Secrets Manager traffic of one account, as service log lines
 * (the pino-http shape of the fixtures), and anomalies to plant in its last day, one per bundled
 * detection rule. Deterministic: the same options give the same lines.
 *
 * The account: workloads (service IDs) that wrap and unwrap with their own root keys around the
 * clock, more by day than by night, read their own few secrets and log in to Secrets Manager once
 * an hour; and people who work Monday to Friday, 08:00 to 18:00 UTC, in one location each: they list
 * and read keys, create and rotate keys, write policies that turn safeguards on, create an import
 * token now and then, and delete keys with a second person approving. A few calls fail, as they
 * do: a workload's call now and then (5xx), a person's call refused (403) more often.
 */

import { prng } from '../helpers/prng.js';

const ACCOUNT = 'b2e5a2a1c0d94f1e8a7b3c6d5e4f3a21';
const KP_INSTANCE: Record<string, string> = {
  'us-south': '75539f09-f989-43f0-80fd-c1e6578e3ca2',
  'eu-de': 'cab5e86f-4671-49ad-a433-e422fb2b1682',
  'jp-tok': 'e0b63b88-6841-4bff-9122-ded71f392bea',
};
const SM_INSTANCE = '346c694d-f3a3-4c86-a58d-e96503448eaf';
const SM_LOCATION = 'us-south';
const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;
/** People's working hours (UTC) and days (Monday to Friday: getUTCDay 1-5). */
const WORK_FROM_HOUR = 8;
const WORK_TO_HOUR = 18;

export interface WeekOptions {
  /** Midnight UTC of the first day; the last of the seven days is the one anomalies are planted in. */
  startMs: number;
  seed?: number;
  /** Calls per hour of each workload on average over a day (wrap, unwrap and secret reads together). */
  workloadCallsPerHour?: number;
}

export interface Week {
  lines: string[];
  /** Midnight UTC of the last day */
  lastDayMs: number;
}

/** One planted anomaly: the rule it must trip and its lines. */
export interface Planted {
  rule: string;
  lines: string[];
}

const hex = (n: number, width: number) => n.toString(16).padStart(width, '0');
/** A deterministic UUID-shaped id from a name. */
export function uuidOf(name: string): string {
  let h = 2166136261;
  for (const c of name) h = Math.imul(h ^ c.charCodeAt(0), 16777619) >>> 0;
  let g = h ^ 0x5bd1e995;
  for (const c of name) g = Math.imul(g ^ c.charCodeAt(0), 2246822519) >>> 0;
  return `${hex(h, 8)}-${hex(g & 0xffff, 4)}-4${hex((g >>> 16) & 0xfff, 3)}-a${hex((h >>> 8) & 0xfff, 3)}-${hex(g, 8)}${hex(h & 0xffff, 4)}`;
}

interface Principal {
  iamId: string;
  name: string;
  type: 'user' | 'serviceid';
  grantType: string;
}

export function principal(name: string): Principal {
  return name.includes('@')
    ? { iamId: `IBMid-${uuidOf(name).slice(0, 10).toUpperCase()}`, name, type: 'user', grantType: 'password' }
    : { iamId: `iam-ServiceId-${uuidOf(name)}`, name: `ServiceId-${name}`, type: 'serviceid', grantType: 'urn:ibm:params:oauth:grant-type:apikey' };
}

interface Call {
  at: number;
  method: string;
  url: string;
  status: number;
  who?: string;
  location: string;
  service: 'kp' | 'sm';
  ip: string;
  body?: unknown;
}

/** Numbers the lines of one generator: request and correlation ids follow the order lines are made in. */
function lineWriter(tag: string) {
  let seq = 0;
  return (c: Call): string => {
    seq += 1;
    const host = c.service === 'kp' ? `${c.location}.kms.cloud.ibm.com` : `${SM_INSTANCE}.${c.location}.secrets-manager.appdomain.cloud`;
    const headers: Record<string, string> = { host, 'correlation-id': uuidOf(`${tag}-corr-${seq}`), 'user-agent': 'week-client/1.0' };
    if (c.service === 'kp') headers['bluemix-instance'] = KP_INSTANCE[c.location]!;
    const entry: Record<string, unknown> = {
      level: 30,
      time: new Date(c.at).toISOString(),
      hostname: `${c.service}-api-${c.location}-1`,
      req: { id: `${tag}-${hex(seq, 6)}`, method: c.method, url: c.url, headers, remoteAddress: c.ip },
      res: { statusCode: c.status },
      responseTime: 12,
      account: ACCOUNT,
      msg: 'request completed',
    };
    if (c.who) entry.auth = principal(c.who);
    if (c.body !== undefined) entry.body = c.body;
    return JSON.stringify(entry);
  };
}

export const keyId = (name: string) => uuidOf(`key-${name}`);
export const secretId = (name: string) => uuidOf(`secret-${name}`);
const keyUrl = (k: string, rest = '') => `/api/v2/keys/${keyId(k)}${rest}`;
const keyPolicy = (type: string, enabled: boolean) => ({
  metadata: { collectionType: 'application/vnd.ibm.kms.policy+json', collectionTotal: 1 },
  resources: [{ type: 'application/vnd.ibm.kms.policy+json', [type]: { enabled } }],
});
const instancePolicy = (type: string, enabled: boolean) => ({
  metadata: { collectionType: 'application/vnd.ibm.kms.policy+json', collectionTotal: 1 },
  resources: [{ policy_type: type, policy_data: { enabled } }],
});

interface Workload {
  name: string;
  location: string;
  keys: string[];
  /** Secrets it reads (workloads in Secrets Manager's location only) */
  secrets: string[];
  ip: string;
}

interface Person {
  name: string;
  location: string;
  ip: string;
}

/** The account's standing cast: who exists and what each uses. The planted anomalies reuse it. */
export const WORKLOADS: readonly Workload[] = [
  { name: 'svc-payments', location: 'us-south', keys: ['payments-root'], secrets: ['payments-db', 'payments-api'], ip: '10.10.1.11' },
  { name: 'svc-orders', location: 'us-south', keys: ['orders-root', 'orders-archive'], secrets: ['orders-db'], ip: '10.10.1.12' },
  { name: 'svc-ledger', location: 'us-south', keys: ['ledger-root'], secrets: ['ledger-db', 'ledger-mq', 'ledger-s3'], ip: '10.10.1.13' },
  { name: 'svc-reports', location: 'us-south', keys: ['reports-root'], secrets: ['reports-db'], ip: '10.10.1.14' },
  { name: 'svc-cos-backup', location: 'us-south', keys: ['backup-root'], secrets: [], ip: '10.10.1.15' },
  { name: 'svc-eu-shop', location: 'eu-de', keys: ['eu-shop-root'], secrets: [], ip: '10.20.1.11' },
  { name: 'svc-eu-crm', location: 'eu-de', keys: ['eu-crm-root', 'eu-crm-files'], secrets: [], ip: '10.20.1.12' },
  { name: 'svc-eu-backup', location: 'eu-de', keys: ['eu-backup-root'], secrets: [], ip: '10.20.1.13' },
];

export const PEOPLE: readonly Person[] = [
  { name: 'alice@example.com', location: 'us-south', ip: '198.51.100.10' },
  { name: 'bob@example.com', location: 'us-south', ip: '198.51.100.11' },
  { name: 'carol@example.com', location: 'us-south', ip: '198.51.100.12' },
  { name: 'dieter@example.com', location: 'eu-de', ip: '192.0.2.20' },
  { name: 'eva@example.com', location: 'eu-de', ip: '192.0.2.21' },
];

/** The seven days of ordinary traffic. */
export function ordinaryWeek(opts: WeekOptions): Week {
  const rand = prng(opts.seed ?? 7);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(rand() * items.length)]!;
  const write = lineWriter('wk');
  const calls: Call[] = [];
  const perHour = opts.workloadCallsPerHour ?? 20;

  for (let day = 0; day < 7; day++) {
    const midnight = opts.startMs + day * DAY;
    const weekday = new Date(midnight).getUTCDay();
    for (let hour = 0; hour < 24; hour++) {
      const from = midnight + hour * HOUR;
      // Day and night: half the average rate at 03:00 UTC, one and a half at 15:00.
      const diurnal = 1 - 0.5 * Math.cos(((hour - 3) / 24) * 2 * Math.PI);
      for (const w of WORKLOADS) {
        const n = Math.round(perHour * diurnal * (0.8 + 0.4 * rand()));
        for (let i = 0; i < n; i++) {
          const at = from + Math.floor(rand() * HOUR);
          const failed = rand() < 0.004;
          const r = rand();
          if (w.secrets.length > 0 && r < 0.2) {
            calls.push({
              at,
              method: 'GET',
              url: `/api/v2/secrets/${secretId(pick(w.secrets))}`,
              status: failed ? 503 : 200,
              who: w.name,
              location: SM_LOCATION,
              service: 'sm',
              ip: w.ip,
            });
          } else {
            const action = r < 0.45 ? 'wrap' : 'unwrap';
            calls.push({
              at,
              method: 'POST',
              url: keyUrl(pick(w.keys), `/actions/${action}`),
              status: failed ? 503 : 200,
              who: w.name,
              location: w.location,
              service: 'kp',
              ip: w.ip,
            });
          }
        }
        if (w.secrets.length > 0) {
          calls.push({
            at: from + Math.floor(rand() * 5 * MIN),
            method: 'PUT',
            url: '/v1/auth/ibmcloud/login',
            status: 200,
            who: w.name,
            location: SM_LOCATION,
            service: 'sm',
            ip: w.ip,
          });
        }
      }
      if (weekday === 0 || weekday === 6 || hour < WORK_FROM_HOUR || hour >= WORK_TO_HOUR) continue;
      for (const p of PEOPLE) {
        const at = () => from + Math.floor(rand() * HOUR);
        const kp = (method: string, url: string, status = 200, body?: unknown): Call => ({
          at: at(),
          method,
          url,
          status,
          who: p.name,
          location: p.location,
          service: 'kp',
          ip: p.ip,
          ...(body ? { body } : {}),
        });
        const own = WORKLOADS.filter((w) => w.location === p.location);
        const n = 4 + Math.floor(rand() * 5);
        for (let i = 0; i < n; i++) {
          const r = rand();
          const refused = rand() < 0.03;
          if (r < 0.35) calls.push(kp('GET', '/api/v2/keys', refused ? 403 : 200));
          else if (r < 0.75) calls.push(kp('GET', keyUrl(pick(pick(own).keys), '/metadata'), refused ? 403 : 200));
          else if (r < 0.9) calls.push(kp('GET', keyUrl(pick(pick(own).keys), '/policies'), refused ? 403 : 200));
          else if (p.location === SM_LOCATION)
            calls.push({
              at: at(),
              method: 'GET',
              url: '/api/v2/secrets',
              status: refused ? 403 : 200,
              who: p.name,
              location: SM_LOCATION,
              service: 'sm',
              ip: p.ip,
            });
          else calls.push(kp('GET', '/api/v2/instance/policies'));
        }
      }
    }
    if (weekday === 0 || weekday === 6) continue;
    // The day's administration, by whoever is on duty, inside working hours.
    const workAt = () => midnight + WORK_FROM_HOUR * HOUR + HOUR + Math.floor(rand() * (WORK_TO_HOUR - WORK_FROM_HOUR - 2) * HOUR);
    for (const location of ['us-south', 'eu-de']) {
      const staff = PEOPLE.filter((p) => p.location === location);
      const admin = pick(staff);
      const approver = staff.find((p) => p !== admin)!;
      const kp = (who: Person, at: number, method: string, url: string, status: number, body?: unknown): Call => ({
        at,
        method,
        url,
        status,
        who: who.name,
        location,
        service: 'kp',
        ip: who.ip,
        ...(body ? { body } : {}),
      });
      const fresh = `${location}-day${day}`;
      const created = workAt();
      calls.push(kp(admin, created, 'POST', '/api/v2/keys', 201));
      calls.push(kp(admin, created + 2 * MIN, 'PUT', `/api/v2/keys/${keyId(fresh)}/policies?policy=rotation`, 200, keyPolicy('rotation', true)));
      calls.push(kp(admin, created + 3 * MIN, 'PUT', `/api/v2/keys/${keyId(fresh)}/policies?policy=dualAuthDelete`, 200, keyPolicy('dualAuthDelete', true)));
      calls.push(kp(pick(staff), workAt(), 'POST', keyUrl(pick(WORKLOADS.filter((w) => w.location === location)).keys[0]!, '/actions/rotate'), 200));
      // Retiring the key made two days before: one schedules, the other deletes.
      if (day >= 4) {
        const retired = `${location}-day${day - 2}`;
        const scheduled = workAt();
        calls.push(kp(admin, scheduled, 'POST', `/api/v2/keys/${keyId(retired)}/actions/setKeyForDeletion`, 204));
        calls.push(kp(approver, scheduled + 20 * MIN, 'DELETE', `/api/v2/keys/${keyId(retired)}`, 200));
      }
      if (day === 3) {
        calls.push(kp(admin, workAt(), 'POST', '/api/v2/import_token', 201));
        calls.push(kp(admin, workAt(), 'PUT', '/api/v2/instance/policies?policy=allowedNetwork', 204, instancePolicy('allowedNetwork', true)));
      }
    }
  }
  calls.sort((a, b) => a.at - b.at);
  return { lines: calls.map(write), lastDayMs: opts.startMs + 6 * DAY };
}

/**
 * One anomaly per bundled detection rule, in the last day of the week (`lastDayMs`, a weekday):
 * each by members of the standing cast where the rule needs a history, at a working hour unless
 * it is the working window that is broken, and each apart from the others so that it trips its
 * own rule only.
 */
export function plantedAnomalies(lastDayMs: number): Planted[] {
  const write = lineWriter('pl');
  const at = (hour: number, minute = 0) => lastDayMs + hour * HOUR + minute * MIN;
  const [payments, orders, ledger] = WORKLOADS as [Workload, Workload, Workload];
  const [alice, bob, carol] = PEOPLE as [Person, Person, Person];
  const eva = PEOPLE[4]!;
  const kp = (c: Omit<Call, 'service' | 'location'> & { location?: string }): string => write({ location: 'us-south', service: 'kp', ...c });
  const sm = (c: Omit<Call, 'service' | 'location'>): string => write({ ...c, location: SM_LOCATION, service: 'sm' });
  const range = (n: number) => Array.from({ length: n }, (_, i) => i);
  return [
    {
      rule: 'unwrap-failure-burst',
      lines: [0, 1, 2, 3, 3.5, 4].map((m) =>
        kp({ at: at(10, m), method: 'POST', url: keyUrl(payments.keys[0]!, '/actions/unwrap'), status: 422, who: payments.name, ip: payments.ip }),
      ),
    },
    {
      rule: 'mass-key-deletion',
      lines: range(5).map((i) => kp({ at: at(11, 2 * i), method: 'DELETE', url: keyUrl(`us-south-mass-${i}`), status: 200, who: bob.name, ip: bob.ip })),
    },
    {
      rule: 'secret-enumeration',
      lines: range(10).map((i) =>
        sm({ at: at(12, i), method: 'GET', url: `/api/v2/secrets/${secretId(`other-team-${i}`)}`, status: 200, who: ledger.name, ip: ledger.ip }),
      ),
    },
    {
      rule: 'dual-auth-bypass',
      lines: [
        kp({ at: at(9), method: 'POST', url: keyUrl('us-south-bypass', '/actions/setKeyForDeletion'), status: 204, who: carol.name, ip: carol.ip }),
        kp({ at: at(9, 30), method: 'DELETE', url: keyUrl('us-south-bypass'), status: 200, who: carol.name, ip: carol.ip }),
      ],
    },
    {
      rule: 'policy-weakened',
      lines: [
        kp({
          at: at(8, 30),
          method: 'PUT',
          url: keyUrl(orders.keys[0]!, '/policies?policy=dualAuthDelete'),
          status: 200,
          who: alice.name,
          ip: alice.ip,
          body: keyPolicy('dualAuthDelete', false),
        }),
      ],
    },
    {
      rule: 'new-principal-on-key',
      lines: [kp({ at: at(13), method: 'POST', url: keyUrl(payments.keys[0]!, '/actions/unwrap'), status: 200, who: orders.name, ip: orders.ip })],
    },
    {
      rule: 'import-token-abuse',
      lines: [0, 5, 10, 20, 30].map((m) =>
        kp({ at: at(13, 30 + m / 2), method: 'POST', url: '/api/v2/import_token', status: 201, who: 'svc-importer', ip: '10.10.9.9' }),
      ),
    },
    {
      rule: 'login-failure-burst',
      lines: range(6).map((m) => sm({ at: at(14, m), method: 'PUT', url: '/v1/auth/ibmcloud/login', status: 401, ip: '203.0.113.66' })),
    },
    {
      rule: 'access-denied-spike',
      lines: range(10).map((i) =>
        kp({ at: at(15, i * 3), method: 'GET', url: keyUrl(orders.keys[1]!, '/metadata'), status: i < 6 ? 403 : 200, who: orders.name, ip: orders.ip }),
      ),
    },
    {
      rule: 'call-rate-anomaly',
      lines: range(40).map((i) =>
        kp({ at: at(16) + i * 90_000, method: 'GET', url: keyUrl('eu-crm-files', '/metadata'), status: 200, who: eva.name, ip: eva.ip, location: 'eu-de' }),
      ),
    },
    {
      rule: 'multi-location-principal',
      lines: (['us-south', 'eu-de', 'jp-tok'] as const).map((location, i) =>
        kp({ at: at(17, 2 * i), method: 'GET', url: '/api/v2/keys', status: 200, who: alice.name, ip: alice.ip, location }),
      ),
    },
    {
      rule: 'off-hours-admin',
      lines: [
        kp({
          at: at(2, 30),
          method: 'PUT',
          url: keyUrl(ledger.keys[0]!, '/policies?policy=rotation'),
          status: 200,
          who: carol.name,
          ip: carol.ip,
          body: keyPolicy('rotation', true),
        }),
      ],
    },
  ];
}
