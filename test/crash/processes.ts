import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { CLI_NODE_ENV, CLI_NODE_FLAGS, DUCKDB_ALLOCATOR_ENV } from '../../src/cli/node-flags.js';
import { TEST_ENV } from '../helpers/env.js';
import { fixtureLines, TOKEN } from '../server/helpers.js';

export const CLI = join(import.meta.dirname, '../../dist/cli/main.js');

/** The CLI as its shebang runs it (same heap caps and malloc arenas), so memory figures are the CLI's. */
export function spawnCli(args: readonly string[], env: NodeJS.ProcessEnv = {}): ChildProcess {
  return spawn(process.execPath, [...CLI_NODE_FLAGS, CLI, ...args], {
    env: { ...process.env, ...CLI_NODE_ENV, ...DUCKDB_ALLOCATOR_ENV, ...TEST_ENV, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Resolves when the child exits, with everything it printed. */
export function exitOf(child: ChildProcess): Promise<Exit> {
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve) => child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr })));
}

export async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((r) => probe.listen(0, '127.0.0.1', () => r()));
  const { port } = probe.address() as { port: number };
  await new Promise<void>((r) => probe.close(() => r()));
  return port;
}

export interface ServeProcess {
  child: ChildProcess;
  url: string;
  exited: Promise<Exit>;
  /** Resident set size now, from /proc (bytes). */
  rss(): number;
}

/** `auditline serve` as an operator starts it, token from the environment; resolves once it listens. */
export async function startServe(args: readonly string[]): Promise<ServeProcess> {
  const child = spawnCli(['serve', '--workers', '0', ...args], { AUDITLINE_TOKEN: TOKEN });
  const exited = exitOf(child);
  let stderr = '';
  const url = await new Promise<string>((resolve, reject) => {
    child.stderr!.on('data', (d: Buffer) => {
      stderr += d.toString();
      const m = /listening on (\S+)/.exec(stderr);
      if (m) resolve(m[1]!);
    });
    void exited.then((e) => reject(new Error(`serve exited (${e.code ?? e.signal}): ${e.stderr}`)));
  });
  return { child, url, exited, rss: () => rssOf(child.pid!) };
}

export function rssOf(pid: number): number {
  const m = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) * 1024 : 0;
}

/** Distinct raw lines: fixture lines with their request id and time changed, so each has its own event id. */
export function distinctLines(n: number, tag = 'load'): string[] {
  const base = [...fixtureLines('key-protect.ndjson'), ...fixtureLines('secrets-manager.ndjson')].map(
    (l) => JSON.parse(l) as { time: number; req: { id: string } },
  );
  return Array.from({ length: n }, (_, i) => {
    const record = structuredClone(base[i % base.length]!);
    record.req.id = `r-${tag}-${i}`;
    if (typeof record.time === 'number') record.time += i;
    return JSON.stringify(record);
  });
}

/** A counter's value in a Prometheus text exposition (0 when the series is absent). */
export function metricValue(text: string, series: string): number {
  for (const line of text.split('\n')) if (line.startsWith(`${series} `)) return Number(line.slice(series.length + 1));
  return 0;
}
