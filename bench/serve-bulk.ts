import { spawn, type ChildProcess } from 'node:child_process';
import { createReadStream, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import split2 from 'split2';
import { CLI_NODE_ENV, CLI_NODE_FLAGS, DUCKDB_ALLOCATOR_ENV } from '../src/cli/node-flags.js';
import { BENCH_KEY_ENV } from './bench-key.js';
import { processCpuUs, processMaxRssMiB } from './proc-stats.js';
import type { StageReport } from './stage-result.js';

/**
 * `serve-bulk`: the built CLI's `auditline serve` on a temporary DuckDB store, fed the corpus through
 * `/_bulk` by concurrent senders, each waiting for its answer (given once the batch is committed)
 * before sending its next batch, as a shipper does. Figures: sustained lines/s from the first send to
 * the last answer, the latency of one batch, and the server process's CPU and peak RSS (the senders
 * run in the stage's process and share the machine's cores with it).
 */

const SENDERS = 4;
const BATCH_LINES = 1000;
const SERVER_WORKERS = 2;
const TOKEN = 'bench-token';
/** The CLI as the bench build compiled it from the same sources: bench/dist/src/cli/main.js. */
const CLI = fileURLToPath(new URL('../src/cli/main.js', import.meta.url));
const START_TIMEOUT_MS = 30_000;
/** Workers compile their pipelines after the server listens: wait until its CPU use settles. */
const SETTLE_POLL_MS = 200;
const SETTLE_MAX_MS = 10_000;
/** CPU under 5% of one core over a poll counts as settled. */
const SETTLED_CPU_US = SETTLE_POLL_MS * 1000 * 0.05;
const CREATE_ACTION = '{"create":{}}';
const INDEX = 'auditline-bench';

type SendBatch = (lines: string[]) => Promise<{ failedItems: number }>;

export async function serveBulk(file: string): Promise<StageReport> {
  const dir = mkdtempSync(join(tmpdir(), 'auditline-bench-serve-'));
  const server = spawn(
    process.execPath,
    [
      ...CLI_NODE_FLAGS,
      CLI,
      'serve',
      '--port',
      '0',
      '--data-dir',
      dir,
      '--store',
      join(dir, 'auditline.duckdb'),
      '--token',
      TOKEN,
      '--workers',
      String(SERVER_WORKERS),
    ],
    {
      env: { ...process.env, ...CLI_NODE_ENV, ...DUCKDB_ALLOCATOR_ENV, ...BENCH_KEY_ENV },
      stdio: ['ignore', 'ignore', 'pipe'],
    },
  );
  try {
    const url = await listeningUrl(server);
    await settle(server.pid!);
    const send = await bulkSender(url);
    const batches = readBatches(file);
    const latencies: number[] = [];
    let lines = 0;
    let failedItems = 0;
    const cpuBefore = processCpuUs(server.pid!);
    const started = performance.now();
    // One shared iterator: an async generator queues concurrent next() calls, so every batch goes to exactly one sender.
    await Promise.all(
      Array.from({ length: SENDERS }, async () => {
        for await (const batch of batches) {
          const sent = performance.now();
          const answer = await send(batch);
          latencies.push(performance.now() - sent);
          lines += batch.length;
          failedItems += answer.failedItems;
        }
      }),
    );
    const ms = performance.now() - started;
    const cpuAfter = processCpuUs(server.pid!);
    const maxRssMiB = processMaxRssMiB(server.pid!);
    latencies.sort((a, b) => a - b);
    return {
      lines,
      ms,
      ...(cpuBefore !== undefined && cpuAfter !== undefined ? { cpuUs: cpuAfter - cpuBefore } : {}),
      ...(maxRssMiB !== undefined ? { maxRssMiB } : {}),
      figures: {
        senders: SENDERS,
        batchLines: BATCH_LINES,
        batches: latencies.length,
        batchP50Ms: percentile(latencies, 0.5),
        batchP99Ms: percentile(latencies, 0.99),
        failedItems,
      },
    };
  } finally {
    await stop(server);
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Nearest-rank percentile of sorted values. */
function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))] ?? NaN;
}

async function* readBatches(file: string): AsyncGenerator<string[]> {
  let batch: string[] = [];
  for await (const line of createReadStream(file).pipe(split2()) as AsyncIterable<string>) {
    batch.push(line);
    if (batch.length === BATCH_LINES) {
      yield batch;
      batch = [];
    }
  }
  if (batch.length > 0) yield batch;
}

/**
 * Batches sent with the official client (gzip bodies, no retries so a failure shows), or when it is
 * not installed with plain HTTP and a gzip NDJSON body. The corpus lines go as they are, malformed
 * ones included: the server dead-letters those and answers a failed item.
 */
async function bulkSender(url: string): Promise<SendBatch> {
  const body = (lines: string[]) => lines.flatMap((l) => [CREATE_ACTION, l]);
  try {
    const { Client } = await import('@elastic/elasticsearch');
    const client = new Client({ node: url, auth: { bearer: TOKEN }, compression: true, maxRetries: 0, requestTimeout: 120_000 });
    return async (lines) => {
      const r = await client.bulk<string>({ index: INDEX, operations: body(lines) });
      return { failedItems: r.errors ? r.items.filter((i) => Object.values(i)[0]?.error !== undefined).length : 0 };
    };
  } catch {
    const gzipAsync = promisify(gzip);
    return async (lines) => {
      const res = await fetch(`${url}/${INDEX}/_bulk`, {
        method: 'POST',
        headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/x-ndjson', 'content-encoding': 'gzip' },
        body: await gzipAsync(`${body(lines).join('\n')}\n`),
      });
      if (!res.ok) throw new Error(`/_bulk answered ${res.status}: ${(await res.text()).slice(0, 200)}`);
      const answer = (await res.json()) as { errors: boolean; items: Record<string, { error?: unknown }>[] };
      return { failedItems: answer.errors ? answer.items.filter((i) => Object.values(i)[0]?.error !== undefined).length : 0 };
    };
  }
}

/** The URL `serve` reports on stderr once it listens (cli/serve.ts: "listening on http://host:port"). */
function listeningUrl(server: ChildProcess): Promise<string> {
  return new Promise((resolve, reject) => {
    let stderr = '';
    const timer = setTimeout(() => reject(new Error(`serve did not start in ${START_TIMEOUT_MS} ms:\n${stderr}`)), START_TIMEOUT_MS);
    server.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
      const url = /listening on (https?:\/\/\S+)/.exec(stderr)?.[1];
      if (url) {
        clearTimeout(timer);
        resolve(url);
      }
    });
    server.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`serve exited with ${code}:\n${stderr}`));
    });
  });
}

async function settle(pid: number): Promise<void> {
  const deadline = performance.now() + SETTLE_MAX_MS;
  const first = processCpuUs(pid);
  if (first === undefined) {
    await sleep(SETTLE_MAX_MS / 5); // no /proc: a fixed wait longer than the workers' start-up
    return;
  }
  let last: number = first;
  while (performance.now() < deadline) {
    await sleep(SETTLE_POLL_MS);
    const now: number = processCpuUs(pid) ?? last;
    if (now - last <= SETTLED_CPU_US) return;
    last = now;
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** SIGTERM: `serve` answers what is in flight, closes the store and exits (server/shutdown.ts). */
async function stop(server: ChildProcess): Promise<void> {
  if (server.exitCode !== null || server.signalCode !== null) return;
  const exited = new Promise((r) => server.once('exit', r));
  server.kill('SIGTERM');
  await exited;
}
