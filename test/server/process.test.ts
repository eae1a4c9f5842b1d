import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CLI, distinctLines, freePort, startServe } from '../crash/processes.js';
import { tempDir } from '../helpers/env.js';
import { BEARER, bulkBody, deal, storedIds, idsIngestStores } from './helpers.js';

const SENDERS = 4;
const LINES_PER_REQUEST = 25;

/** `auditline serve` as an operator starts it on this folder and port. */
const serve = (dir: string, port: number) => startServe(['--port', String(port), '--data-dir', dir]);

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
    const lines = distinctLines(2000, 'load');
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
    expect((await served.exited).code).toBe(0);
    const stored = new Set(await storedIds(join(dir, 'auditline.duckdb')));
    const expected = await idsIngestStores(acked);
    expect(expected.length).toBeGreaterThan(0);
    for (const id of expected) expect(stored.has(id)).toBe(true);
  });

  it('killed with SIGKILL mid-load and restarted on the same store, stores every event once after the senders retry', async () => {
    const dir = tempDir();
    const port = await freePort();
    let served = await serve(dir, port);
    const lines = distinctLines(2000, 'load');
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
    expect((await served.exited).code).toBe(0);
    expect(killed).toBe(true);
    const stored = (await storedIds(join(dir, 'auditline.duckdb'))).sort();
    expect(stored).toEqual(await idsIngestStores(lines));
  });
});
