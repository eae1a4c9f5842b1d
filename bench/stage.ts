import { createReadStream, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import split2 from 'split2';
import { runIngest } from '../src/run/ingest.js';
import { prepareTransform } from '../src/run/setup.js';
import { createTransformPool } from '../src/run/transform-pool.js';
import { expandInputs, readInputChunks, readLineBatches } from '../src/sources/file.js';
import { readJsonArrayBatches, sniffJsonDocument } from '../src/sources/json-array.js';
import type { LineBatch } from '../src/sources/lines.js';
import type { TransformedBatch } from '../src/model/records.js';
import type { Redactor } from '../src/transforms/redact/types.js';
import { createTransformer } from '../src/run/line-chain.js';
import { createEventValidator } from '../src/transforms/validate/validate.js';
import { BENCH_KEY, BENCH_KEY_ENV } from './bench-key.js';
import { detect } from './detect.js';
import { esLoader } from './es-loader.js';
import { serveBulk } from './serve-bulk.js';
import type { StageReport } from './stage-result.js';

/**
 * One benchmark stage, run in its own process by main.ts so that peak RSS and CPU time are the
 * stage's own. Prints one JSON line: { stage, lines, ms, cpuUs, maxRssMiB, readsCorpus, figures }.
 */
const NO_REDACTION: Redactor = {
  redactRecord: () => 0,
  redactParsedRecord: () => 0,
  recordText: (r) => JSON.stringify(r),
  redactText: (t) => t,
  fingerprint: (v) => BENCH_KEY.fingerprint(v),
};

/** A line count, or a report of what was measured (stage-result.ts). */
type Stage = (file: string) => Promise<number | StageReport>;

async function eachBatch(file: string, fn: (b: LineBatch) => void): Promise<number> {
  let lines = 0;
  const [source] = await expandInputs([file]);
  for await (const batch of readLineBatches(source!)) {
    lines += batch.lines.length;
    fn(batch);
  }
  return lines;
}

const TWO_WORKERS = 2;
/** Chunks given to each worker before waiting for the oldest: one being transformed, one queued. */
const CHUNKS_PER_WORKER = 2;

let sink = 0; // keeps results observable so the optimiser cannot drop the work
const setup = () => prepareTransform({ key: BENCH_KEY });

export const STAGES: Record<string, Stage> = {
  floor: (file) =>
    eachBatch(file, (b) => {
      for (const t of b.lines) {
        try {
          sink += JSON.stringify(JSON.parse(t)).length;
        } catch {
          sink++;
        }
      }
    }),
  'floor-split2': (file) =>
    new Promise((resolve, reject) => {
      let lines = 0;
      createReadStream(file)
        .pipe(split2())
        .on('data', (t: string) => {
          lines++;
          try {
            sink += JSON.stringify(JSON.parse(t)).length;
          } catch {
            sink++;
          }
        })
        .on('end', () => resolve(lines))
        .on('error', reject);
    }),
  'transform-1-thread': (file) => {
    const t = setup().makeTransform();
    return eachBatch(file, (b) => (sink += t(b).events.length));
  },
  'transform-no-redaction': (file) => {
    const s = setup();
    const t = createTransformer({
      pipelines: s.pipelines,
      forcedPipeline: false,
      format: undefined,
      redactor: NO_REDACTION,
      validate: createEventValidator(),
      keyId: undefined,
    });
    return eachBatch(file, (b) => (sink += t(b).events.length));
  },
  'transform-2-workers': async (file) => {
    const s = setup();
    const pool = createTransformPool({ workers: TWO_WORKERS, init: s.workerInit, makeLocal: s.makeTransform });
    const inFlight: Promise<TransformedBatch>[] = [];
    let lines = 0;
    const [source] = await expandInputs([file]);
    // Newline-aligned byte chunks, as ingest sends them: the main thread never splits lines.
    for await (const item of readInputChunks(source!)) {
      if ('reason' in item) throw new Error(`${file}: ${item.reason}`);
      inFlight.push(pool.transform(item));
      if (inFlight.length >= CHUNKS_PER_WORKER * TWO_WORKERS) lines += (await inFlight.shift()!).counts.linesRead;
    }
    for (const r of await Promise.all(inFlight)) lines += r.counts.linesRead;
    await pool.close();
    return lines;
  },
  'e2e-duckdb-1-thread': (file) => e2e(file, { workers: 0 }),
  'e2e-duckdb-2-workers': (file) => e2e(file, { workers: 2 }),
  'e2e-ndjson-2-workers': (file) => e2e(file, { workers: 2, ndjson: true }),
  // One worker beside the main thread: less CPU and memory a line, fewer lines/s into NDJSON
  // (docs/decisions/2026-12-04-worker-count.md).
  'e2e-duckdb-1-worker': (file) => e2e(file, { workers: 1 }),
  'e2e-ndjson-1-worker': (file) => e2e(file, { workers: 1, ndjson: true }),
  // Run only with `--array-gb N`: `file` is then a generated JSON array, streamed by stream-json.
  // The reader alone (elements as line batches, nothing transformed): its peak RSS is the streaming's own.
  'array-read': async (file) => {
    const [source] = await expandInputs([file]);
    const sniffed = await sniffJsonDocument(source!.open());
    if (sniffed.kind === 'lines') throw new Error(`${file} is not a JSON array or search response`);
    let lines = 0;
    for await (const batch of readJsonArrayBatches(file, sniffed.chunks, sniffed.kind)) lines += batch.lines.length;
    return lines;
  },
  // Into the default store (memory flat whatever the size) and into NDJSON (holds the ids it wrote).
  // Workers as the CLI chooses them by default (run/ingest.ts autoWorkers).
  'array-ingest-duckdb': (file) => e2e(file, { workers: undefined }),
  'array-ingest-ndjson': (file) => e2e(file, { workers: undefined, ndjson: true }),
  'serve-bulk': serveBulk,
  'es-loader': (file) => esLoader(file, true),
  'es-loader-no-lookup': (file) => esLoader(file, false),
  detect,
};

/** Stages that read the JSON-array corpus instead of the line corpus. */
export const ARRAY_STAGES = new Set(['array-read', 'array-ingest-duckdb', 'array-ingest-ndjson']);

async function e2e(file: string, o: { workers: number | undefined; ndjson?: boolean }): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), 'auditline-bench-'));
  try {
    const s = await runIngest({ paths: [file], dataDir: dir, workers: o.workers, out: o.ndjson ? join(dir, 'out') : undefined, env: BENCH_KEY_ENV });
    return s.linesRead;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const [name, file] = process.argv.slice(2) as [string, string];
  const stage = STAGES[name];
  if (!stage) throw new Error(`unknown stage ${name}`);
  const started = performance.now();
  const cpuBefore = process.cpuUsage(); // every thread of the process: workers and DuckDB's too
  const result = await stage(file);
  const ms = performance.now() - started;
  const cpu = process.cpuUsage(cpuBefore);
  const r: StageReport = typeof result === 'number' ? { lines: result } : result;
  const report = {
    stage: name,
    lines: r.lines,
    ms: r.ms ?? ms,
    cpuUs: r.cpuUs ?? cpu.user + cpu.system,
    maxRssMiB: r.maxRssMiB ?? process.resourceUsage().maxRSS / 1024,
    readsCorpus: r.readsCorpus ?? true,
    figures: r.figures,
  };
  process.stdout.write(`${JSON.stringify({ ...report, sink: sink > 0 })}\n`);
}
