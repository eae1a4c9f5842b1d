import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterEach, describe, expect, it } from 'vitest';
import { runIngest } from '../../src/run/ingest.js';
import { TEST_ENV, tempDir } from '../helpers/env.js';
import { ndjson, startTestServer } from '../server/helpers.js';
import { cli, CLI, PAGE_BUILT, pageLines } from './fixture.js';

/** `auditline ui`: a read-only server on loopback for a store nobody else holds, its URL carrying a new token. */

const children: ChildProcess[] = [];
afterEach(() => {
  for (const c of children.splice(0)) if (c.exitCode === null) c.kill('SIGTERM');
});

async function storeWithFixtures(): Promise<{ dir: string; store: string; indexed: number }> {
  const dir = tempDir('auditline-ui-cmd-');
  const input = join(dir, 'lines.ndjson');
  writeFileSync(input, ndjson(pageLines()));
  const store = join(dir, 'auditline.duckdb');
  const summary = await runIngest({ paths: [input], store, dlq: join(dir, 'dlq.ndjson'), dataDir: dir, workers: 0, env: TEST_ENV });
  return { dir, store, indexed: summary.eventsIndexed };
}

/** Starts `auditline ui` and resolves with the one line it prints on stdout. */
function startUi(store: string, dir: string): Promise<{ child: ChildProcess; pageUrl: string }> {
  const child = spawn(process.execPath, [CLI, 'ui', '--store', store, '--data-dir', dir, '--port', '0'], { env: { ...process.env, ...TEST_ENV } });
  children.push(child);
  return new Promise((resolve, reject) => {
    createInterface({ input: child.stdout! }).once('line', (pageUrl) => resolve({ child, pageUrl }));
    child.once('exit', (code) => reject(new Error(`auditline ui exited with ${code}`)));
  });
}

describe('auditline ui', () => {
  it('prints a loopback URL whose fragment carries a new token, and serves the page and the query routes with it', async () => {
    const { dir, store, indexed } = await storeWithFixtures();
    const { pageUrl } = await startUi(store, dir);
    const m = /^(http:\/\/127\.0\.0\.1:\d+)\/#token=([A-Za-z0-9_-]{43})$/.exec(pageUrl);
    expect(m, pageUrl).not.toBeNull();
    const [, base, token] = m!;
    const auth = { authorization: `Bearer ${token}` };
    if (PAGE_BUILT) expect((await fetch(`${base}/`, { headers: { accept: 'text/html' } })).status).toBe(200);
    expect((await fetch(`${base}/api/store`)).status).toBe(401);
    const span = (await (await fetch(`${base}/api/store`, { headers: auth })).json()) as { events: number };
    expect(span.events).toBe(indexed);
    const search = await fetch(`${base}/api/searches/key-timeline/page`, { method: 'POST', headers: auth, body: JSON.stringify({ params: { key: 'x' } }) });
    expect(search.status).toBe(200);

    // Read-only: no ingest route, no Elasticsearch-compatible receiver.
    for (const path of ['/v1/ingest', '/_bulk']) expect((await fetch(`${base}${path}`, { method: 'POST', headers: auth, body: '{}' })).status, path).toBe(404);

    const second = await startUi(store, dir);
    expect(second.pageUrl.split('#token=')[1]).not.toBe(token);
  });

  it('refuses a store a server holds, naming the process that holds it', async () => {
    const server = await startTestServer();
    try {
      const run = await cli(['ui', '--store', server.store, '--data-dir', server.dir, '--port', '0']);
      expect(run.code).not.toBe(0);
      expect(run.stderr).toContain(`held by the process ${process.pid}`);
      expect(run.stdout).toBe('');
    } finally {
      await server.close();
    }
  });
});
