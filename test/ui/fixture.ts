import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { TEST_ENV } from '../helpers/env.js';
import { BEARER, fixtureLines, ndjson, TOKEN } from '../server/helpers.js';

/**
 * What the page tests read: the raw fixtures of both services, plus a few Activity Tracker events
 * made for the page: three sharing one correlation id across services, two of them carrying the
 * same secret (stored as one fingerprint), and one whose fields hold markup from a hostile line.
 */

export const CLI = join(import.meta.dirname, '../../dist/cli/main.js');
export const PAGE_BUILT = existsSync(join(import.meta.dirname, '../../dist/ui/index.html'));
export const CHROMIUM = '/usr/bin/chromium';
export const HAVE_CHROMIUM = existsSync(CHROMIUM);

/** The correlation id the made events share. */
export const TRACE_ID = '5f0c1e2d-7a3b-4c5d-8e9f-0a1b2c3d4e5f';
/** A key of the fixtures with a long life: wrap, unwrap, rewrap, rotate, disable, enable, scheduled and unscheduled deletion. */
export const TIMELINE_KEY = 'da96a1ef-d1a0-4cad-9a50-15b9108ecc59';
export const HOSTILE_TEXT = '<img src=x onerror="window.__pwned=1"><script>window.__pwned=2</script>';
export const HOSTILE_ID = '0a0a0a0a-0000-4000-8000-00000000bad1';
export const SECRET_IDS = ['0a0a0a0a-0000-4000-8000-000000000001', '0a0a0a0a-0000-4000-8000-000000000002'];
export const TRACE_IDS = [...SECRET_IDS, '0a0a0a0a-0000-4000-8000-000000000003'];

type AtEvent = Record<string, unknown> & { requestData?: Record<string, unknown> };

function expectedEvents(file: string): AtEvent[] {
  return readFileSync(join(import.meta.dirname, '../../fixtures/expected', file), 'utf8')
    .split('\n')
    .filter((l) => l.includes('"event"'))
    .map((l) => (JSON.parse(l) as { event: AtEvent }).event);
}

/** A stored event of the fixtures turned back into an Activity Tracker line with a new id and time (the store recomputes location, service and auditline). */
function madeEvent(base: AtEvent, id: string, time: string, change: Partial<AtEvent>): string {
  const { auditline: _a, location: _l, service: _s, ...rest } = base;
  return JSON.stringify({ ...rest, id, eventTime: time.replace('Z', '+0000'), '@timestamp': time, ...change });
}

export function madeLines(): string[] {
  const [kp] = expectedEvents('key-protect.expected.ndjson');
  const sm = expectedEvents('secrets-manager.expected.ndjson');
  const secret = { client_secret: 'ui-test-secret-value-0123456789' };
  return [
    madeEvent(kp!, TRACE_IDS[0]!, '2025-11-21T01:30:00.000Z', { correlationId: TRACE_ID, requestData: { ...kp!.requestData, ...secret } }),
    madeEvent(sm[0]!, TRACE_IDS[1]!, '2025-11-21T01:30:01.000Z', { correlationId: TRACE_ID, requestData: { ...sm[0]!.requestData, ...secret } }),
    madeEvent(sm[1]!, TRACE_IDS[2]!, '2025-11-21T01:30:02.000Z', { correlationId: TRACE_ID }),
    madeEvent(kp!, HOSTILE_ID, '2025-11-21T01:31:00.000Z', { message: HOSTILE_TEXT, requestData: { ...kp!.requestData, note: HOSTILE_TEXT } }),
  ];
}

export function pageLines(): string[] {
  return [...fixtureLines('key-protect.ndjson'), ...fixtureLines('secrets-manager.ndjson'), ...madeLines()];
}

/** Sends lines to a running serve and returns how many it stored. */
export async function ingest(url: string, lines: readonly string[]): Promise<number> {
  const res = await fetch(`${url}/v1/ingest`, { method: 'POST', headers: { ...BEARER, 'content-type': 'application/x-ndjson' }, body: ndjson(lines) });
  if (res.status !== 200) throw new Error(`ingest answered ${res.status}: ${await res.text()}`);
  return ((await res.json()) as { eventsIndexed: number }).eventsIndexed;
}

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

export function cli(args: readonly string[]): Promise<CliRun> {
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], { env: { ...process.env, ...TEST_ENV }, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

/** `auditline search run NAME --param ... --format json --server URL`: the events the CLI prints. */
export async function cliSearch(server: string, name: string, params: Record<string, string>): Promise<Record<string, unknown>[]> {
  const run = await cli([
    'search',
    'run',
    name,
    ...Object.entries(params).flatMap(([k, v]) => ['--param', `${k}=${v}`]),
    '--format',
    'json',
    '--server',
    server,
    '--token',
    TOKEN,
  ]);
  if (run.code !== 0) throw new Error(run.stderr);
  return (JSON.parse(run.stdout) as { events: Record<string, unknown>[] }).events;
}

export { TOKEN };

/** A person deleting a key at 01:45 UTC: one more off-hours-admin finding, for the page to show while it is open. */
export const LATE_FINDING_ID = '0a0a0a0a-0000-4000-8000-0000000000f1';
export function lateFindingLine(): string {
  const base = expectedEvents('key-protect.expected.ndjson').find(
    (e) => e.action === 'kms.secrets.delete' && String((e.initiator as { id?: string }).id).startsWith('IBMid'),
  );
  if (!base) throw new Error('the fixtures hold no key deletion by a person');
  return madeEvent(base, LATE_FINDING_ID, '2025-11-21T01:45:00.000Z', {});
}
