import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBDataChunk, DuckDBInstance, DuckDBTimestampValue, type DuckDBAppender, type DuckDBType } from '@duckdb/node-api';
import { expandInputs, readLineBatches } from '../src/sources/file.js';
import { prepareTransform } from '../src/run/setup.js';
import { STORED_FIELDS, type StoredEvent } from '../src/model/fields.js';
import { createTableSql, tableOf } from '../src/sinks/duckdb/schema.js';
import { DEFAULT_TUNING, openDuckDbSink } from '../src/sinks/duckdb/sink.js';
import { byLocation } from '../src/sinks/sink.js';
import { BENCH_KEY } from './bench-key.js';

/**
 * The store's share of the CPU per line, taken apart: `node bench/dist/bench/store-share.js CORPUS [LINES]`.
 * The corpus's events are built first (untimed), then written in writes of 16,384 events as the
 * engine cuts them, twice: through the sink (openDuckDbSink, the whole write path), and step by step
 * with the same SQL and settings, each step's CPU time (user + system, every thread: DuckDB compresses
 * on its own) taken alone: grouping and the look-up range (ours), the count look-up, the appender's
 * calls per value (the binding into DuckDB's appender), the conversions ours makes for them
 * (timestamps), the appender's flush, and COMMIT (DuckDB's compression and write). With COLUMNAR=1
 * the step-by-step pass appends DuckDBDataChunks of 2,048 rows instead of row by row (tried, not
 * taken: docs/decisions/2026-12-03-memory-and-store-share.md). With SPOOL=csv the rows are encoded by us
 * into a CSV file per location (explicit columns and types) in the spill folder and loaded with one
 * INSERT … SELECT FROM read_csv, and the stored rows are compared with the appender's, every column
 * (tried, not taken: docs/decisions/2026-12-03-staged-writes.md). EVENT_COMPRESSION and OTHER_COMPRESSION set
 * the event column's and the other string columns' compression in the step-by-step pass
 * (docs/decisions/2026-12-05-store-floor.md).
 */
const [corpus, limitArg] = process.argv.slice(2) as [string, string | undefined];
const limit = Number(limitArg ?? 200_000);
const WRITE_EVENTS = 16_384;

const transform = prepareTransform({ key: BENCH_KEY }).makeTransform();
const events: StoredEvent[] = [];
const [source] = await expandInputs([corpus]);
for await (const batch of readLineBatches(source!)) {
  events.push(...transform(batch).events);
  if (events.length >= limit) break;
}
events.length = Math.min(events.length, limit);
const writes: StoredEvent[][] = [];
for (let i = 0; i < events.length; i += WRITE_EVENTS) writes.push(events.slice(i, i + WRITE_EVENTS));

const cpu = () => {
  const c = process.cpuUsage();
  return c.user + c.system;
};
const dir = mkdtempSync(join(tmpdir(), 'auditline-store-share-'));
try {
  // The whole write path, as the engine calls it.
  const sink = await openDuckDbSink(join(dir, 'sink.duckdb'));
  let before = cpu();
  // STAGE_PART=n: each write staged in parts of n events (openWrite), as the engine hands its batches.
  const part = Number(process.env.STAGE_PART ?? 0);
  for (const w of writes) {
    if (part === 0) {
      await sink.write(w);
      continue;
    }
    const write = sink.openWrite!();
    for (let i = 0; i < w.length; i += part) await write.stage(w.slice(i, i + part));
    await write.commit();
  }
  const sinkUs = cpu() - before;
  // Closing checkpoints the store: what DuckDB still does for the writes then is part of their cost.
  before = cpu();
  await sink.close();
  const closeUs = cpu() - before;

  // Step by step, the same SQL and settings.
  const steps: Record<string, number> = { group: 0, countLookup: 0, timestamps: 0, appendCalls: 0, flush: 0, commit: 0 };
  const chunked: Record<string, number> = { columns: 0, appendChunks: 0, flush: 0, commit: 0 };
  const columnar = process.env.COLUMNAR === '1';
  // EVENT_COMPRESSION=uncompressed|fsst|dictionary: the event column's compression in the step-by-step pass.
  const eventCompression = process.env.EVENT_COMPRESSION ?? 'zstd';
  // OTHER_COMPRESSION=uncompressed|fsst|dictionary: the other string columns' compression in the step-by-step pass.
  const otherCompression = process.env.OTHER_COMPRESSION ?? 'zstd';
  const stepsTableSql = (table: string) =>
    createTableSql(table)
      .replace('JSON NOT NULL USING COMPRESSION zstd', `JSON NOT NULL USING COMPRESSION ${eventCompression}`)
      .replace(/VARCHAR( NOT NULL)? USING COMPRESSION zstd/g, `VARCHAR$1 USING COMPRESSION ${otherCompression}`);
  const typesOf = new Map<string, DuckDBType[]>();
  const instance = await DuckDBInstance.create(':memory:', {
    threads: String(DEFAULT_TUNING.threads),
    checkpoint_threshold: DEFAULT_TUNING.checkpointThreshold,
    memory_limit: DEFAULT_TUNING.memoryLimit,
    write_buffer_row_group_count: '1',
    max_vacuum_tasks: '0',
  });
  const conn = await instance.connect();
  await conn.run(`ATTACH '${join(dir, 'steps.duckdb')}' AS store (STORAGE_VERSION 'v1.2.0', ROW_GROUP_SIZE ${DEFAULT_TUNING.rowGroupRows})`);
  await conn.run('USE store');
  const kinds = STORED_FIELDS.map((f) => [f.key, f.kind] as const);
  for (const w of writes) {
    before = cpu();
    const groups = [...byLocation(w)].map(([location, group]) => {
      const batch = new Map(group.map((g) => [g.event.id, g.event]));
      let lo = Infinity;
      let hi = -Infinity;
      for (const e of batch.values()) {
        if (e.time < lo) lo = e.time;
        if (e.time > hi) hi = e.time;
      }
      return { table: tableOf(location), rows: [...batch.values()], lo, hi };
    });
    steps.group! += cpu() - before;
    await conn.run('BEGIN TRANSACTION');
    for (const g of groups) {
      await conn.run(stepsTableSql(g.table));
      before = cpu();
      const range = `FROM "${g.table}" WHERE event_time BETWEEN make_timestamptz(${BigInt(g.lo * 1000)}) AND make_timestamptz(${BigInt(g.hi * 1000)})`;
      await conn.runAndReadAll(`SELECT count(*) ${range}`);
      steps.countLookup! += cpu() - before;
      before = cpu();
      const stamps = g.rows.map((e) => new DuckDBTimestampValue(BigInt(Math.round(e.time * 1000))));
      steps.timestamps! += cpu() - before;
      const appender: DuckDBAppender = await conn.createAppender(g.table);
      if (columnar) {
        let types = typesOf.get(g.table);
        if (!types) typesOf.set(g.table, (types = kinds.map((_k, i) => appender.columnType(i))));
        for (let from = 0; from < g.rows.length; from += 2048) {
          const rows = g.rows.slice(from, from + 2048);
          before = cpu();
          const chunk = DuckDBDataChunk.create(types, rows.length);
          kinds.forEach(([key, kind], c) => {
            const values = rows.map((e) => (e as unknown as Record<string, unknown>)[key]);
            chunk.setColumnValues(
              c,
              kind === 'epochMillis' ? (values.map((v) => ({ micros: BigInt(Math.round((v as number) * 1000)) })) as never) : (values as never),
            );
          });
          chunked.columns! += cpu() - before;
          before = cpu();
          appender.appendDataChunk(chunk);
          chunked.appendChunks! += cpu() - before;
        }
        before = cpu();
        appender.closeSync();
        chunked.flush! += cpu() - before;
        continue;
      }
      before = cpu();
      for (let r = 0; r < g.rows.length; r++) {
        const e = g.rows[r]! as unknown as Record<string, unknown>;
        for (const [key, kind] of kinds) {
          const v = e[key];
          if (kind === 'epochMillis') appender.appendTimestamp(stamps[r]!);
          else if (kind === 'integer') appender.appendInteger(v as number);
          else if (kind === 'boolean') appender.appendBoolean(v as boolean);
          else if (v === null) appender.appendNull();
          else appender.appendVarchar(v as string);
        }
        appender.endRow();
      }
      steps.appendCalls! += cpu() - before;
      before = cpu();
      appender.closeSync();
      steps.flush! += cpu() - before;
    }
    before = cpu();
    await conn.run('COMMIT');
    (columnar ? chunked : steps).commit! += cpu() - before;
  }
  const spool: Record<string, number> = { encode: 0, load: 0, commit: 0 };
  let differing: number | undefined;
  if (process.env.SPOOL === 'csv') {
    await conn.run(`ATTACH '${join(dir, 'spool.duckdb')}' AS spool (STORAGE_VERSION 'v1.2.0', ROW_GROUP_SIZE ${DEFAULT_TUNING.rowGroupRows})`);
    await conn.run('USE spool');
    if (process.env.SPOOL_MEMORY) await conn.run(`SET memory_limit = '${process.env.SPOOL_MEMORY}'`);
    const columns = `{${STORED_FIELDS.map((f) => `'${f.column}': '${f.kind === 'epochMillis' ? 'BIGINT' : f.kind === 'integer' ? 'INTEGER' : f.kind === 'boolean' ? 'BOOLEAN' : 'VARCHAR'}'`).join(', ')}}`;
    const select = STORED_FIELDS.map((f) => (f.kind === 'epochMillis' ? `make_timestamptz(${f.column})` : f.column)).join(', ');
    const quote = (v: string) => `"${v.includes('"') ? v.replace(/"/g, '""') : v}"`;
    let file = 0;
    for (const w of writes) {
      await conn.run('BEGIN TRANSACTION');
      for (const [location, group] of byLocation(w)) {
        const table = tableOf(location);
        await conn.run(createTableSql(table));
        const seen = new Set<string>();
        before = cpu();
        const rows: string[] = [];
        for (const { event } of group) {
          if (seen.has(event.id)) continue;
          seen.add(event.id);
          const e = event as unknown as Record<string, unknown>;
          let row = '';
          for (const [key, kind] of kinds) {
            const v = e[key];
            if (row.length > 0 || key !== kinds[0]![0]) row += ',';
            if (kind === 'epochMillis') row += String(Math.round((v as number) * 1000));
            else if (kind === 'integer' || kind === 'boolean') row += String(v);
            else if (v !== null) row += quote(v as string);
          }
          rows.push(row);
        }
        const path = join(dir, `spool-${file++}.csv`);
        writeFileSync(path, rows.join('\n') + '\n');
        spool.encode! += cpu() - before;
        before = cpu();
        await conn.run(
          `INSERT INTO "${table}" SELECT ${select} FROM read_csv('${path}', columns = ${columns}, header = false, delim = ',', quote = '"', escape = '"', nullstr = '', allow_quoted_nulls = false, auto_detect = false, parallel = false)`,
        );
        spool.load! += cpu() - before;
        rmSync(path);
      }
      before = cpu();
      await conn.run('COMMIT');
      spool.commit! += cpu() - before;
    }
    // Every column of every row the same as the appender's (JSON compared as text, byte for byte).
    await conn.run("SET memory_limit = '1GB'");
    differing = 0;
    for (const [location] of byLocation(events)) {
      const t = tableOf(location);
      const [[n]] = (
        await conn.runAndReadAll(
          `SELECT (SELECT count(*) FROM (SELECT *, event::VARCHAR AS ev FROM store."${t}" EXCEPT ALL SELECT *, event::VARCHAR FROM spool."${t}")) + (SELECT count(*) FROM (SELECT *, event::VARCHAR FROM spool."${t}" EXCEPT ALL SELECT *, event::VARCHAR FROM store."${t}")) + abs((SELECT count(*) FROM store."${t}") - (SELECT count(*) FROM spool."${t}"))`,
        )
      ).getRows() as [[bigint]];
      differing += Number(n);
    }
  }
  await conn.run('CHECKPOINT store');
  const stepsFileBytes = statSync(join(dir, 'steps.duckdb')).size;
  conn.closeSync();
  instance.closeSync();
  const perLine = (us: number) => Number((us / events.length).toFixed(2));
  const stepsPerLine = Object.fromEntries(Object.entries(steps).map(([k, v]) => [k, perLine(v)]));
  console.log(
    JSON.stringify({
      events: events.length,
      writes: writes.length,
      sinkUsPerEvent: perLine(sinkUs),
      sinkCloseUsPerEvent: perLine(closeUs),
      stepsUsPerEvent: stepsPerLine,
      eventCompression,
      otherCompression,
      stepsFileMB: Number((stepsFileBytes / 1e6).toFixed(1)),
      stepsSum: perLine(Object.values(steps).reduce((a, b) => a + b, 0)),
      ...(differing !== undefined
        ? { spoolUsPerEvent: Object.fromEntries(Object.entries(spool).map(([k, v]) => [k, perLine(v)])), spoolRowsDiffering: differing }
        : {}),
      ...(columnar ? { columnarUsPerEvent: Object.fromEntries(Object.entries(chunked).map(([k, v]) => [k, perLine(v)])) } : {}),
    }),
  );
} finally {
  rmSync(dir, { recursive: true, force: true });
}
