import { execFileSync } from 'node:child_process';
import { createReadStream, existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { DuckDBInstance, DuckDBTimestampValue, type DuckDBAppender, type DuckDBConnection } from '@duckdb/node-api';
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { CLI_NODE_ENV, CLI_NODE_FLAGS, DUCKDB_ALLOCATOR_ENV } from '../src/cli/node-flags.js';
import type { ActivityTrackerEvent } from '../src/model/event.js';
import { STORED_FIELDS, toStored, type StoredEvent } from '../src/model/fields.js';
import { COLUMNS, createTableSql, tableOf } from '../src/sinks/duckdb/schema.js';
import { DEFAULT_TUNING, openDuckDbSink, type DuckDbTuning } from '../src/sinks/duckdb/sink.js';

/**
 * How fast can Node load events into DuckDB? Each method runs in its own process
 * (peak RSS is its own, the CLI's V8 flags) on the same events, written by
 * `auditline ingest <corpus> --out DIR` and merged in line order (see ARCHITECTURE.md). Methods
 * alternate within a round so that a noisy, shared machine hurts them alike; compare ratios.
 *
 *   npm run bench:build && node bench/dist/bench/duckdb-load.js --events /tmp/events-1m.ndjson --limit 100000 --rounds 2
 *
 * `sink` is the product's store (openDuckDbSink); the others are written here with plain DuckDB SQL
 * and the appender. rows/s counts the time inside `write` and `close` (reading and JSON.parse excluded);
 * peak RSS is taken before a second run re-writes the first --reingest events (all duplicates).
 */
const METHODS = ['sink', 'pk-appender', 'anti-appender', 'anti-appender-tuned', 'ndjson-tuned', 'none'] as const;
type Method = (typeof METHODS)[number];

// Above the run below: top-level await starts it before later declarations are initialised.
const EVENT_TIME = STORED_FIELDS.find((f) => f.key === 'time')!.column;

type Append = (a: DuckDBAppender, value: unknown) => void;

/** The appender call for each kind of the field table (model/fields.ts), as the sink makes them. */
const APPEND_BY_KIND: Record<(typeof STORED_FIELDS)[number]['kind'], Append> = {
  text: (a, v) => a.appendVarchar(v as string),
  optionalText: (a, v) => (v === null ? a.appendNull() : a.appendVarchar(v as string)),
  epochMillis: (a, v) => a.appendTimestamp(new DuckDBTimestampValue(micros(v as number))),
  integer: (a, v) => a.appendInteger(v as number),
  boolean: (a, v) => a.appendBoolean(v as boolean),
};

const args = await yargs(hideBin(process.argv))
  .option('events', { type: 'string', demandOption: true, describe: 'NDJSON of events (one Activity Tracker event per line)' })
  .option('limit', { type: 'number', default: Infinity })
  .option('methods', { type: 'string', default: 'sink,anti-appender,pk-appender' })
  .option('rounds', { type: 'number', default: 1 })
  .option('batch', {
    type: 'number',
    default: 16_384,
    describe: 'events per write (the runner sends at most 16,384, fewer when every location already has a row group: run/sink-batch.ts)',
  })
  .option('reingest', { type: 'number', default: 20_000, describe: 'then write the first N events again: all must be duplicates' })
  .option('rg', { type: 'number', describe: 'sink: rows per row group' })
  .option('threads', { type: 'number', describe: 'sink: DuckDB threads' })
  .option('ckpt', { type: 'string', describe: 'sink: checkpoint_threshold' })
  .option('mem', { type: 'string', describe: 'sink: memory_limit' })
  .option('child', { type: 'string', hidden: true })
  .strict()
  .parseAsync();

interface Outcome {
  method: string;
  rows: number;
  writeMs: number;
  wallMs: number;
  maxRssMiB: number;
  dbMiB: number;
  indexed: number;
  duplicates: number;
  stored: number;
  reingestOk: boolean | null;
}

if (args.child) {
  console.log(JSON.stringify(await runChild(args.child as Method)));
} else {
  const methods = args.methods.split(',') as Method[];
  for (const m of methods) if (!METHODS.includes(m)) throw new Error(`unknown method ${m}; known: ${METHODS.join(', ')}`);
  const passOn = (['events', 'limit', 'batch', 'reingest', 'rg', 'threads', 'ckpt', 'mem'] as const).flatMap((k) =>
    args[k] === undefined ? [] : [`--${k}`, String(args[k])],
  );
  const results: Outcome[] = [];
  for (let round = 0; round < args.rounds; round++) {
    for (const m of round % 2 ? [...methods].reverse() : methods) {
      let r: Outcome;
      try {
        const out = execFileSync(process.execPath, [...CLI_NODE_FLAGS, fileURLToPath(import.meta.url), ...passOn, '--child', m], {
          encoding: 'utf8',
          stdio: ['ignore', 'pipe', 'inherit'],
          maxBuffer: 1 << 20,
          env: { ...process.env, ...CLI_NODE_ENV, ...DUCKDB_ALLOCATOR_ENV },
        });
        r = JSON.parse(out.trim().split('\n').pop()!) as Outcome;
      } catch {
        process.stderr.write(`  round ${round + 1} ${m}: FAILED\n`);
        continue;
      }
      results.push(r);
      process.stderr.write(`  round ${round + 1} ${m}: ${Math.round(r.rows / (r.writeMs / 1000))} rows/s, ${r.maxRssMiB} MiB\n`);
    }
  }
  const tuning = ['rg', 'threads', 'ckpt', 'mem']
    .filter((k) => args[k] !== undefined)
    .map((k) => `${k}=${args[k]}`)
    .join(' ');
  console.log(`events: ${args.events}, batch ${args.batch}${tuning ? `, sink tuning: ${tuning}` : ''}, node ${process.version}`);
  console.log(
    `${'method'.padEnd(22)}${'rows'.padStart(9)}${'rows/s'.padStart(9)}${'wall s'.padStart(8)}${'peak RSS MiB'.padStart(14)}${'db MiB'.padStart(8)}  checks`,
  );
  for (const r of results) {
    const checks =
      r.method === 'none'
        ? ''
        : `${r.stored === r.indexed && r.indexed + r.duplicates === r.rows ? 'counts ok' : `COUNTS WRONG (stored ${r.stored})`}${r.reingestOk === null ? '' : r.reingestOk ? ', re-ingest ok' : ', RE-INGEST WRONG'}`;
    console.log(
      `${r.method.padEnd(22)}${String(r.rows).padStart(9)}${String(Math.round(r.rows / (r.writeMs / 1000))).padStart(9)}${(r.wallMs / 1000).toFixed(1).padStart(8)}${String(r.maxRssMiB).padStart(14)}${r.dbMiB.toFixed(0).padStart(8)}  ${checks}`,
    );
  }
}

async function runChild(method: Method): Promise<Outcome> {
  const dir = mkdtempSync(join(tmpdir(), 'duckdb-load-'));
  const path = join(dir, 'store.duckdb');
  try {
    const tuning: Partial<DuckDbTuning> = {};
    if (args.rg !== undefined) tuning.rowGroupRows = args.rg;
    if (args.threads !== undefined) tuning.threads = args.threads;
    if (args.ckpt !== undefined) tuning.checkpointThreshold = args.ckpt;
    if (args.mem !== undefined) tuning.memoryLimit = args.mem;
    const sink = method === 'none' ? undefined : await openMethod(method, path, dir, tuning);
    const started = performance.now();
    let writeMs = 0;
    let rows = 0;
    let indexed = 0;
    let duplicates = 0;
    const write = async (batch: StoredEvent[]) => {
      rows += batch.length;
      if (!sink) return;
      const t0 = performance.now();
      const w = await sink.write(batch);
      writeMs += performance.now() - t0;
      indexed += w.indexed;
      duplicates += w.duplicates;
    };
    let batch: StoredEvent[] = [];
    for await (const text of createInterface({ input: createReadStream(args.events), crlfDelay: Infinity })) {
      if (rows + batch.length >= args.limit) break;
      batch.push(storedOf(text));
      if (batch.length === args.batch) {
        await write(batch);
        batch = [];
      }
    }
    if (batch.length) await write(batch);
    // Closing checkpoints what is still in the WAL: part of the cost of loading.
    const t0 = performance.now();
    await sink?.close();
    writeMs += performance.now() - t0;
    const wallMs = performance.now() - started;
    const maxRssMiB = Math.round(process.resourceUsage().maxRSS / 1024);
    // Another run over the same store: the first N events again must all be duplicates.
    const reingestOk =
      sink && args.reingest > 0 ? await reingestFirst(await openMethod(method as Exclude<Method, 'none'>, path, dir, tuning), args.reingest) : null;
    const stored = sink ? await countRows(path) : 0;
    const dbMiB = existsSync(path) ? (statSync(path).size + (existsSync(`${path}.wal`) ? statSync(`${path}.wal`).size : 0)) / (1 << 20) : 0;
    return { method, rows, writeMs: sink ? writeMs : wallMs, wallMs, maxRssMiB, dbMiB, indexed, duplicates, stored, reingestOk };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The line is JSON.stringify(event) already (written by the NDJSON sink). */
function storedOf(text: string): StoredEvent {
  const e = JSON.parse(text) as ActivityTrackerEvent;
  return { ...toStored(e, e.auditline.source, e.auditline.line), json: text };
}

/** Re-reads the first N events and writes them to a reopened store: duplicates across runs. */
async function reingestFirst(sink: Loader, n: number): Promise<boolean> {
  const again: StoredEvent[] = [];
  for await (const text of createInterface({ input: createReadStream(args.events), crlfDelay: Infinity })) {
    if (again.length >= Math.min(n, args.limit)) break;
    again.push(storedOf(text));
  }
  let ok = true;
  for (let i = 0; i < again.length; i += args.batch) {
    const part = again.slice(i, i + args.batch);
    const w = await sink.write(part);
    ok &&= w.indexed === 0 && w.duplicates === part.length;
  }
  await sink.close();
  return ok;
}

async function countRows(path: string): Promise<number> {
  const instance = await DuckDBInstance.create(path, { access_mode: 'READ_ONLY' });
  const conn = await instance.connect();
  try {
    const tables = (await conn.runAndReadAll(`SELECT table_name FROM information_schema.tables WHERE table_name LIKE 'events_%'`))
      .getRows()
      .map(([t]) => String(t));
    if (tables.length === 0) return 0;
    const [[n]] = (await conn.runAndReadAll(`SELECT ${tables.map((t) => `(SELECT count(*) FROM "${t}")`).join(' + ')}`)).getRows() as [[bigint]];
    return Number(n);
  } finally {
    conn.closeSync();
    instance.closeSync();
  }
}

/** What every method does with a write: the counts are checked against the rows stored. */
interface Loader {
  write(events: StoredEvent[]): Promise<{ indexed: number; duplicates: number }>;
  close(): Promise<void>;
}

async function openSink(path: string, tuning: Partial<DuckDbTuning>): Promise<Loader> {
  const sink = await openDuckDbSink(path, tuning);
  return {
    async write(events) {
      const outcomes = await sink.write(events);
      const indexed = outcomes.filter((o) => o.status === 'committed').length;
      const duplicates = outcomes.filter((o) => o.status === 'duplicate').length;
      if (indexed + duplicates !== events.length) throw new Error(`the sink rejected ${events.length - indexed - duplicates} events`);
      return { indexed, duplicates };
    },
    close: () => sink.close(),
  };
}

function openMethod(method: Exclude<Method, 'none'>, path: string, dir: string, tuning: Partial<DuckDbTuning>): Promise<Loader> {
  switch (method) {
    case 'sink':
      return openSink(path, tuning);
    case 'pk-appender':
      return openStageSink(path, dir, { pk: true, tuned: false, load: 'appender' });
    case 'anti-appender':
      return openStageSink(path, dir, { pk: false, tuned: false, load: 'appender' });
    case 'anti-appender-tuned':
      return openStageSink(path, dir, { pk: false, tuned: true, load: 'appender' }, tuning);
    case 'ndjson-tuned':
      return openStageSink(path, dir, { pk: false, tuned: true, load: 'ndjson' }, tuning);
  }
}

/**
 * The alternatives: a staging table filled by the row appender (with `pk`, the store as it was: a
 * PRIMARY KEY and INSERT … ON CONFLICT) or by read_json over a temporary NDJSON file, then one
 * INSERT … SELECT per location that leaves out ids already stored. `tuned` opens the store as the sink
 * does (DEFAULT_TUNING and --rg etc., ZSTD); otherwise with DuckDB's defaults for the file.
 */
async function openStageSink(
  path: string,
  dir: string,
  o: { pk: boolean; tuned: boolean; load: 'appender' | 'ndjson' },
  tuning: Partial<DuckDbTuning> = {},
): Promise<Loader> {
  const t = { ...DEFAULT_TUNING, ...tuning };
  const stage = 'auditline_stage';
  const plainColumns = COLUMNS.map((c) => `${c.name} ${c.type}`).join(', ');
  // pk: the id as PRIMARY KEY; tuned: the sink's schema (ZSTD); otherwise the plain columns.
  const createTable = (table: string) =>
    o.pk
      ? `CREATE TABLE IF NOT EXISTS "${table}" (${plainColumns.replace('id VARCHAR NOT NULL', 'id VARCHAR PRIMARY KEY')})`
      : o.tuned
        ? createTableSql(table)
        : `CREATE TABLE IF NOT EXISTS "${table}" (${plainColumns})`;
  let instance: DuckDBInstance;
  if (o.tuned) {
    // read_json's buffers need more than the sink's 64 MB (out of memory on 100k events).
    const memoryLimit = o.load === 'ndjson' && !tuning.memoryLimit ? '192MB' : t.memoryLimit;
    instance = await DuckDBInstance.create(':memory:', { threads: String(t.threads), checkpoint_threshold: t.checkpointThreshold, memory_limit: memoryLimit });
  } else {
    instance = await DuckDBInstance.create(path, { checkpoint_threshold: '64MB', memory_limit: '192MB' });
  }
  const conn: DuckDBConnection = await instance.connect();
  if (o.tuned) {
    await conn.run(`ATTACH '${path}' AS store (STORAGE_VERSION 'v1.2.0', ROW_GROUP_SIZE ${t.rowGroupRows})`);
    await conn.run('USE store');
  }
  await conn.run(`CREATE TEMP TABLE ${stage} (${plainColumns})`);
  const known = new Set<string>();
  const ndjson = join(dir, 'stage.ndjson');
  // event_time travels as epoch microseconds, turned into a TIMESTAMPTZ by the SELECT.
  const readJsonColumns = `{${COLUMNS.map((c) => `${c.name}: '${c.name === EVENT_TIME ? 'BIGINT' : c.type.replace(' NOT NULL', '')}'`).join(', ')}}`;

  async function append(events: StoredEvent[]): Promise<void> {
    const appender = await conn.createAppender(stage, null, 'temp');
    for (const e of events) appendRow(appender, e);
    appender.closeSync();
  }

  async function writeLocation(location: string, events: StoredEvent[]): Promise<{ indexed: number; duplicates: number }> {
    const table = tableOf(location);
    if (!known.has(table)) {
      await conn.run(createTable(table));
      known.add(table);
    }
    let sql: string;
    if (o.pk) {
      await append(events);
      sql = `INSERT INTO "${table}" SELECT DISTINCT ON (id) * FROM ${stage} ON CONFLICT DO NOTHING RETURNING id`;
    } else {
      const unique = [...new Map(events.map((e) => [e.id, e])).values()];
      const lo = micros(Math.min(...unique.map((e) => e.time)));
      const hi = micros(Math.max(...unique.map((e) => e.time)));
      let from: string;
      if (o.load === 'appender') {
        await append(unique);
        from = stage;
      } else {
        writeFileSync(ndjson, unique.map(ndjsonRow).join(''));
        const cols = COLUMNS.map((c) => (c.name === EVENT_TIME ? `make_timestamptz(${EVENT_TIME}) AS ${EVENT_TIME}` : c.name)).join(', ');
        from = `(SELECT ${cols} FROM read_json('${ndjson}', format = 'newline_delimited', columns = ${readJsonColumns}, maximum_object_size = 16777216))`;
      }
      sql = `INSERT INTO "${table}" SELECT s.* FROM ${from} s ANTI JOIN (SELECT id FROM "${table}" WHERE event_time BETWEEN make_timestamptz(${lo}) AND make_timestamptz(${hi})) t USING (id) RETURNING id`;
    }
    const inserted = (await conn.runAndReadAll(sql)).getRows().length;
    if (o.load === 'appender') await conn.run(`DELETE FROM ${stage}`);
    return { indexed: inserted, duplicates: events.length - inserted };
  }

  return {
    async write(events) {
      const total = { indexed: 0, duplicates: 0 };
      try {
        await conn.run('BEGIN TRANSACTION');
        for (const [location, group] of groupByLocation(events)) {
          const r = await writeLocation(location, group);
          total.indexed += r.indexed;
          total.duplicates += r.duplicates;
        }
        await conn.run('COMMIT');
      } catch (e) {
        await conn.run('ROLLBACK').catch(() => undefined);
        throw e;
      }
      return total;
    },
    async close() {
      conn.closeSync();
      instance.closeSync();
    },
  };
}

function micros(ms: number): bigint {
  return BigInt(Math.round(ms * 1000));
}

function groupByLocation(events: StoredEvent[]): Map<string, StoredEvent[]> {
  const groups = new Map<string, StoredEvent[]>();
  for (const e of events) groups.set(e.location, [...(groups.get(e.location) ?? []), e]);
  return groups;
}

function appendRow(a: DuckDBAppender, event: StoredEvent): void {
  const values = event as unknown as Record<string, unknown>;
  for (const f of STORED_FIELDS) APPEND_BY_KIND[f.kind](a, values[f.key]);
  a.endRow();
}

/** One line of the read_json input: every column by name, the event document spliced in as it was stored. */
function ndjsonRow(e: StoredEvent): string {
  const values = e as unknown as Record<string, unknown>;
  const keys: Record<string, unknown> = {};
  for (const f of STORED_FIELDS) {
    if (f.key === 'json') continue;
    keys[f.column] = f.kind === 'epochMillis' ? Number(micros(values[f.key] as number)) : values[f.key];
  }
  const document = STORED_FIELDS.find((f) => f.key === 'json')!.column;
  return `${JSON.stringify(keys).slice(0, -1)},"${document}":${e.json}}\n`;
}
