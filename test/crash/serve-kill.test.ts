import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../helpers/env.js';
import { BEARER, bulkBody, deal, idsIngestStores, ndjson, storedIds } from '../server/helpers.js';
import { CLI, distinctLines, freePort, startServe, type ServeProcess } from './processes.js';
import { repeatedIds } from './store-snapshot.js';

/** Kills of the server under load per run of this file; AUDITLINE_CRASH_POINTS raises it. */
const KILLS = Number(process.env.AUDITLINE_CRASH_POINTS ?? 4);
const SENDERS = 4;
const LINES_PER_REQUEST = 20;
/** Each kill comes this long after the restarted server acknowledged its first request, at random: mid-load, mid-commit. */
const KILL_AFTER_MS = 400;

/** One shipper: each request sent until it is answered 200 (bulk or ingest), as Filebeat and Vector do. */
async function sender(url: () => string, lines: readonly string[], route: '/_bulk' | '/v1/ingest', acked: { n: number }): Promise<void> {
  for (let i = 0; i < lines.length; i += LINES_PER_REQUEST) {
    const batch = lines.slice(i, i + LINES_PER_REQUEST);
    const body = route === '/_bulk' ? bulkBody(batch) : ndjson(batch);
    for (;;) {
      try {
        const r = await fetch(`${url()}${route}`, { method: 'POST', headers: { ...BEARER, 'content-type': 'application/x-ndjson' }, body });
        const text = await r.text();
        if (r.status === 200 && !(route === '/_bulk' && text.includes('"errors":true'))) break;
      } catch {
        // Refused or cut: the server is down or restarting.
      }
      await sleep(25);
    }
    acked.n += batch.length;
  }
}

describe.skipIf(!existsSync(CLI))('serve killed with SIGKILL again and again under load (needs npm run build)', () => {
  it(
    `with senders retrying until acknowledged, stores every line once, as ingest stores them (${KILLS} kills)`,
    async () => {
      const dir = tempDir();
      const port = await freePort();
      const args = ['--port', String(port), '--data-dir', dir];
      let server: ServeProcess = await startServe(args);
      const lines = distinctLines(2000, 'serve-crash');
      const acked = { n: 0 };
      let finished = false;
      const senders = Promise.all(deal(lines, SENDERS).map((share, i) => sender(() => server.url, share, i % 2 === 0 ? '/_bulk' : '/v1/ingest', acked))).then(
        () => (finished = true),
      );

      const kills: string[] = [];
      while (kills.length < KILLS && !finished) {
        const before = acked.n;
        while (acked.n === before && !finished) await sleep(5);
        await sleep(Math.random() * KILL_AFTER_MS);
        if (finished) break;
        server.child.kill('SIGKILL');
        const e = await server.exited;
        kills.push(`killed (${e.signal}) at ${acked.n} lines acknowledged`);
        server = await startServe(args);
      }
      await senders;
      server.child.kill('SIGTERM');
      expect((await server.exited).code).toBe(0);
      if (process.env.AUDITLINE_REPORT) process.stderr.write(`${kills.join('\n')}\n`);
      // The load outlasted the kills asked for: each landed while requests were in flight.
      expect(kills.length).toBe(KILLS);

      const store = join(dir, 'auditline.duckdb');
      expect(await repeatedIds(store)).toEqual([]);
      expect((await storedIds(store)).sort()).toEqual(await idsIngestStores(lines));
    },
    60_000 + KILLS * 10_000,
  );
});
