import { fork } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runIngest } from '../src/run/ingest.js';
import { BENCH_KEY_ENV } from './bench-key.js';

/**
 * `es-loader` and `es-loader-no-lookup`: `ingest --es` end to end into a local bulk endpoint that
 * acknowledges every item at once (es-endpoint.ts, its own process), with the workers of
 * `e2e-duckdb-2-workers` so that the two compare: what the Elasticsearch loader costs against the
 * DuckDB store. `lookUp` false measures the bulk path without the search before create.
 */

const WORKERS = 2;
const ENDPOINT = fileURLToPath(new URL('./es-endpoint.js', import.meta.url));

/** One cluster for every location. */
function esConfig(dir: string, port: number, lookUp: boolean): string {
  const file = join(dir, 'es.yaml');
  writeFileSync(file, `clusters:\n  local: { url: "http://127.0.0.1:${port}", locations: ["*"] }\nsearchBeforeCreate: ${lookUp}\n`);
  return file;
}

export async function esLoader(file: string, lookUp: boolean): Promise<number> {
  const endpoint = fork(ENDPOINT);
  const dir = mkdtempSync(join(tmpdir(), 'auditline-bench-es-'));
  try {
    const port = await new Promise<number>((resolve, reject) => {
      endpoint.once('message', (m) => resolve(m as number));
      endpoint.once('exit', (code) => reject(new Error(`the bulk endpoint exited with ${code}`)));
    });
    const summary = await runIngest({
      paths: [file],
      dataDir: dir,
      env: BENCH_KEY_ENV,
      workers: WORKERS,
      esConfig: esConfig(dir, port, lookUp),
      esSetup: true,
    });
    return summary.linesRead;
  } finally {
    endpoint.kill();
    rmSync(dir, { recursive: true, force: true });
  }
}
