import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { resolveServeOptions, type ServeFlags } from '../../src/server/config.js';
import { startServer, type RunningServer, type StartOptions } from '../../src/server/server.js';
import type { ServeLimits } from '../../src/server/options.js';
import { runIngest } from '../../src/run/ingest.js';
import { TEST_ENV, tempDir } from '../helpers/env.js';

export const TOKEN = 'test-token-0123456789';
export const BEARER = { authorization: `Bearer ${TOKEN}` };
const FIXTURES = join(import.meta.dirname, '../../fixtures/raw');

/** The raw lines of a fixture file (no trailing empty line). */
export function fixtureLines(name: string): string[] {
  return readFileSync(join(FIXTURES, name), 'utf8')
    .split('\n')
    .filter((l, i, all) => l !== '' || i < all.length - 1);
}

/** Every well-formed raw line of the fixtures, plus the malformed file's lines (dead-lettered). */
export function allFixtureLines(): string[] {
  return [...fixtureLines('key-protect.ndjson'), ...fixtureLines('secrets-manager.ndjson'), ...fixtureLines('malformed.ndjson')];
}

export interface TestServer extends RunningServer {
  dir: string;
  store: string;
  dlq: string;
}

/** A server on a loopback port chosen by the system, with a real DuckDB store in a temporary folder. */
export async function startTestServer(
  opts: { flags?: ServeFlags; limits?: Partial<ServeLimits>; start?: StartOptions; dir?: string } = {},
): Promise<TestServer> {
  const dir = opts.dir ?? tempDir('auditline-serve-');
  const store = join(dir, 'auditline.duckdb');
  const dlq = join(dir, 'dead-letter.ndjson');
  const options = resolveServeOptions(
    { host: '127.0.0.1', port: 0, store, dlq, dataDir: dir, token: [TOKEN], workers: 0, ...opts.flags },
    undefined,
    TEST_ENV,
    0,
  );
  Object.assign(options.limits, opts.limits);
  const server = await startServer(options, { log: () => undefined, ...opts.start });
  return Object.assign(server, { dir, store, dlq });
}

/** Events in the store: id and the line of the source they came from, across every location table. */
export async function storedIds(store: string): Promise<string[]> {
  const { queryStore, tablesOf } = await import('../helpers/store.js');
  const tables = await tablesOf(store);
  if (tables.length === 0) return [];
  const rows = await queryStore(store, tables.map((t) => `SELECT id FROM "${t}"`).join(' UNION ALL '));
  return rows.map((r) => String(r.id));
}

export function ndjson(lines: readonly string[]): string {
  return `${lines.join('\n')}\n`;
}

export function bulkBody(lines: readonly string[], op = 'create', index = 'logs'): string {
  return lines.map((l) => `{"${op}":{"_index":"${index}"}}\n${l}\n`).join('');
}

/** Splits items round-robin into n groups. */
export function deal<T>(items: readonly T[], n: number): T[][] {
  const groups: T[][] = Array.from({ length: n }, () => []);
  items.forEach((item, i) => groups[i % n]!.push(item));
  return groups;
}

/** The ids `auditline ingest` stores for the same lines: what the server must hold, each once. */
export async function idsIngestStores(lines: readonly string[]): Promise<string[]> {
  const dir = tempDir();
  const file = join(dir, 'lines.ndjson');
  writeFileSync(file, ndjson(lines));
  await runIngest({ paths: [file], store: join(dir, 'expected.duckdb'), dlq: join(dir, 'dlq.ndjson'), dataDir: dir, workers: 0, env: TEST_ENV });
  return (await storedIds(join(dir, 'expected.duckdb'))).sort();
}
