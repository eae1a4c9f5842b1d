import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { TEST_ENV, tempDir } from '../helpers/env.js';
import { BEARER, bulkBody, deal, fixtureLines, storedIds, TOKEN, idsIngestStores } from './helpers.js';

const CLI = join(import.meta.dirname, '../../dist/cli/main.js');
const SENDERS = 4;
const LINES_PER_REQUEST = 25;

/** Distinct raw lines: fixture lines with their request id and time changed, so each has its own event id. */
function loadLines(n: number): string[] {
  const base = [...fixtureLines('key-protect.ndjson'), ...fixtureLines('secrets-manager.ndjson')].map(
    (l) => JSON.parse(l) as { time: number; req: { id: string } },
  );
  return Array.from({ length: n }, (_, i) => {
    const record = structuredClone(base[i % base.length]!);
    record.req.id = `r-load-${i}`;
    if (typeof record.time === 'number') record.time += i;
    return JSON.stringify(record);
  });
}

async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((r) => probe.listen(0, '127.0.0.1', () => r()));
  const { port } = probe.address() as { port: number };
  await new Promise<void>((r) => probe.close(() => r()));
  return port;
}

interface Served {
  child: ChildProcess;
  url: string;
  exited: Promise<number | null>;
}

/** `auditline serve` as an operator starts it; resolves once it listens. */
async function serve(dir: string, port: number): Promise<Served> {
  const child = spawn(process.execPath, [CLI, 'serve', '--port', String(port), '--data-dir', dir, '--workers', '0'], {
    env: { ...process.env, ...TEST_ENV, AUDITLINE_TOKEN: TOKEN },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  let stderr = '';
  const url = await new Promise<string>((resolve, reject) => {
    child.stderr!.on('data', (d: Buffer) => {
      stderr += d.toString();
      const m = /listening on (\S+)/.exec(stderr);
      if (m) resolve(m[1]!);
    });
    void exited.then((code) => reject(new Error(`serve exited (${code}): ${stderr}`)));
  });
  return { child, url, exited };
}

/** Sends its requests one after another; each is retried until answered 200 (as shippers do), unless `giveUp` says stop. */
async function sender(url: () => string, lines: readonly string[], acked: string[], onAck: () => void, giveUp: () => boolean): Promise<void> {
  for (let i = 0; i < lines.length; i += LINES_PER_REQUEST) {
    const batch = lines.slice(i, i + LINES_PER_REQUEST);
    for (;;) {
      if (giveUp()) return;
      try {
        const r = await fetch(`${url()}/_bulk`, { method: 'POST', headers: { ...BEARER, 'content-type': 'application/x-ndjson' }, body: bulkBody(batch) });
        await r.text();
        if (r.status === 200) {
          acked.push(...batch);
          onAck();
          break;
        }
      } catch {
        // Refused or cut: the server is stopping or restarting; send the same request again.
      }
      await new Promise((r) => setTimeout(r, 20));
    }
  }
}

describe.skipIf(!existsSync(CLI))('auditline serve as a process (needs npm run build)', () => {
  it('on SIGTERM during load answers what is in flight, closes the store, exits 0, and keeps everything it acknowledged', async () => {
    const dir = tempDir();
    const served = await serve(dir, 0);
    const lines = loadLines(2000);
    const acked: string[] = [];
    let stopped = false;
    let signalled = false;
    const onAck = () => {
      if (!signalled && acked.length >= 200) {
        signalled = true;
        served.child.kill('SIGTERM');
      }
    };
    // After the signal, a sender stops at its first refusal instead of retrying a server that is gone.
    void served.exited.then(() => (stopped = true));
    await Promise.all(
      deal(lines, SENDERS).map((share) =>
        sender(
          () => served.url,
          share,
          acked,
          onAck,
          () => stopped,
        ),
      ),
    );
    expect(await served.exited).toBe(0);
    const stored = new Set(await storedIds(join(dir, 'auditline.duckdb')));
    const expected = await idsIngestStores(acked);
    expect(expected.length).toBeGreaterThan(0);
    for (const id of expected) expect(stored.has(id)).toBe(true);
  });

  it('killed with SIGKILL mid-load and restarted on the same store, stores every event once after the senders retry', async () => {
    const dir = tempDir();
    const port = await freePort();
    let served = await serve(dir, port);
    const lines = loadLines(2000);
    const acked: string[] = [];
    let killed = false;
    let restarted: Promise<void> | undefined;
    const onAck = () => {
      if (killed || acked.length < 200) return;
      killed = true;
      served.child.kill('SIGKILL');
      restarted = served.exited.then(async () => {
        served = await serve(dir, port);
      });
    };
    await Promise.all(
      deal(lines, SENDERS).map((share) =>
        sender(
          () => served.url,
          share,
          acked,
          onAck,
          () => false,
        ),
      ),
    );
    await restarted;
    served.child.kill('SIGTERM');
    expect(await served.exited).toBe(0);
    expect(killed).toBe(true);
    const stored = (await storedIds(join(dir, 'auditline.duckdb'))).sort();
    expect(stored).toEqual(await idsIngestStores(lines));
  });
});
