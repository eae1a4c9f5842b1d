import { fork } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { runIngest } from '../src/run/ingest.js';


/**
 * The Elasticsearch loader's own ceiling: `ingest --es` end to end into a local bulk endpoint that
 * acknowledges every item at once (it still gunzips and splits the body, as a node would), against
 * `ingest` into DuckDB in the same run. The endpoint runs in its own process so its work is not the
 * loader's. Usage, after `npm run bench:build`:
 *   node bench/dist/bench/es-loader.js bench/corpus/corpus-200000.ndjson
 */

const ROLE = process.argv[2];

/** One cluster for every location; `lookUp` false measures the bulk path without the search before create. */
function esConfig(dir: string, port: number, lookUp: boolean): string {
  const file = join(dir, 'es.yaml');
  writeFileSync(file, `clusters:\n  local: { url: "http://127.0.0.1:${port}", locations: ["*"] }\nsearchBeforeCreate: ${lookUp}\n`);
  return file;
}

if (ROLE === '--endpoint') {
  const answer = (res: import('node:http').ServerResponse, body: unknown) => {
    res.writeHead(200, { 'x-elastic-product': 'Elasticsearch', 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  };
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks);
      const path = (req.url ?? '/').split('?')[0]!;
      if (path.endsWith('/_bulk')) {
        const body = (req.headers['content-encoding'] === 'gzip' ? gunzipSync(raw) : raw).toString('utf8');
        let lines = 0;
        for (let i = body.indexOf('\n'); i !== -1; i = body.indexOf('\n', i + 1)) lines++;
        const items = new Array(Math.ceil(lines / 2)).fill({ create: { status: 201 } });
        answer(res, { errors: false, took: 0, items });
      } else if (path.endsWith('/_search')) answer(res, { took: 0, timed_out: false, hits: { hits: [] } });
      else if (path.startsWith('/_index_template/')) answer(res, { index_templates: [] });
      else if (path.startsWith('/_ilm/policy/')) answer(res, {});
      else if (path.startsWith('/_component_template/')) answer(res, { component_templates: [] });
      else answer(res, { version: { number: '9.1.0' }, acknowledged: true, data_streams: [{}] });
    });
  });
  server.listen(0, '127.0.0.1', () => process.send?.((server.address() as import('node:net').AddressInfo).port));
} else {
  const corpus = ROLE;
  if (!corpus) throw new Error('usage: es-loader.js <corpus.ndjson>');
  const endpoint = fork(new URL(import.meta.url).pathname, ['--endpoint']);
  const port = await new Promise<number>((resolve) => endpoint.once('message', (m) => resolve(m as number)));
  // A fixed key: figures do not depend on it, and no key file is written.
  const env = { AUDITLINE_HMAC_KEY: '07'.repeat(32) } as NodeJS.ProcessEnv;
  const rows: { stage: string; lines: number; ms: number; linesPerSec: number }[] = [];
  try {
    for (const stage of ['duckdb', 'elasticsearch', 'elasticsearch-no-lookup'] as const) {
      const dir = mkdtempSync(join(tmpdir(), 'auditline-es-bench-'));
      const started = performance.now();
      const summary = await runIngest({
        paths: [corpus],
        dataDir: dir,
        env,
        workers: 0,
        ...(stage === 'duckdb' ? {} : { esConfig: esConfig(dir, port, stage === 'elasticsearch'), esSetup: true }),
      });
      const ms = performance.now() - started;
      rows.push({ stage, lines: summary.linesRead, ms: Math.round(ms), linesPerSec: Math.round(summary.linesRead / (ms / 1000)) });
      rmSync(dir, { recursive: true, force: true });
    }
  } finally {
    endpoint.kill();
  }
  const duck = rows.find((r) => r.stage === 'duckdb')!;
  const es = rows.find((r) => r.stage === 'elasticsearch')!;
  const bare = rows.find((r) => r.stage === 'elasticsearch-no-lookup')!;
  const ratio = (r: { linesPerSec: number }) => Number((r.linesPerSec / duck.linesPerSec).toFixed(2));
  process.stdout.write(`${JSON.stringify({ rows, esToDuckDb: ratio(es), esNoLookupToDuckDb: ratio(bare) }, null, 2)}\n`);
}
