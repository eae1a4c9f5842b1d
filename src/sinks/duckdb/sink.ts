import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import type { DigestSigner } from '../digest-chain.js';
import { SinkError, type EventSink, type StagedWrite } from '../sink.js';
import { attachStore, detachStore, type AttachedStore } from './attach.js';
import { openStagedWrite, type WriteContext } from './staged-write.js';
import { DEFAULT_TUNING, megabytesOf, type DuckDbTuning } from './tuning.js';

export { DEFAULT_TUNING, type DuckDbTuning } from './tuning.js';

/** The store sink, which can also lend read connections: DuckDB lets no other process open the file while it writes. */
export interface DuckDbSink extends EventSink {
  openWrite(): StagedWrite;
  /**
   * A new connection on the sink's own DuckDB instance, with the store as its default database: it
   * reads what has been committed (DuckDB's MVCC) without touching the write connection's
   * transaction. The caller closes it, before the sink is closed.
   */
  reader(): Promise<DuckDBConnection>;
}

/**
 * The embedded default store: one table per location, no index, one transaction per write. A write
 * takes its events whole (`write`) or in parts as they arrive (`openWrite`, staged-write.ts): each
 * part's new events are appended to their location's table at once, after a look-up of ids already
 * stored, and every event's outcome comes from what was appended or found; the write resolves after
 * COMMIT.
 *
 * No PRIMARY KEY: its index lives in memory and grows with the table (~1 GB RSS at 1M rows); appending
 * straight to the table is 20-25% faster than a staging table moved by INSERT … SELECT
 * (docs/decisions/2026-11-duckdb-loading.md). Stores created with the key still work.
 */
export async function openDuckDbSink(
  path: string,
  tuning: Partial<DuckDbTuning> = {},
  opts: { digests?: boolean; signer?: DigestSigner | undefined } = {},
): Promise<DuckDbSink> {
  const t: DuckDbTuning = { ...DEFAULT_TUNING, ...tuning };
  /** An in-memory store lives only as long as its instance. */
  const inMemory = path === ':memory:';
  if (!inMemory) mkdirSync(dirname(path), { recursive: true });
  const ownSpillDir = inMemory ? mkdtempSync(join(tmpdir(), 'auditline-duckdb-')) : undefined;
  const floorMb = megabytesOf(t.memoryLimit);
  const withReadersMb = megabytesOf(t.memoryLimitWithReaders);
  /** The memory_limit of the current instance, in MB. */
  let limitMb = floorMb;
  const attach = async () => {
    const attached = await attachStore(path, t, { spillDir: ownSpillDir ?? `${path}.tmp`, digests: opts.digests, signer: opts.signer });
    limitMb = floorMb;
    return attached;
  };
  let store: AttachedStore | undefined = await attach();
  /** Rows appended through the current instance (tuning.reattachRows). */
  let rowsOnInstance = 0;
  /** A lent reader reads through the sink's instance, so the sink keeps that instance from then on. */
  let readerLent = false;
  const knownTables = new Set<string>();
  const latest = new Map<string, number>();
  /** One write at a time: the transaction is the write connection's. */
  let writeOpen = false;

  /** Room for a write over `tables` tables (tuning.memoryPerTableMb); back to the floor after it. */
  async function fitMemory({ conn }: AttachedStore, tables: number): Promise<void> {
    const want = Math.max(readerLent ? withReadersMb : floorMb, Math.ceil(t.memoryPerTableMb * tables));
    if (want === limitMb) return;
    await conn.run(`SET memory_limit = '${want}MB'`);
    limitMb = want;
  }

  const context: WriteContext = {
    path,
    flushRows: t.rowGroupRows,
    knownTables,
    latest,
    fitMemory,
    async begin() {
      if (store && !inMemory && !readerLent && rowsOnInstance >= t.reattachRows) await reattach(store);
      // After a failed reattach (the disk, or another process that took the store in between), every write tries again.
      store ??= await attach();
      await store.conn.run('BEGIN TRANSACTION');
      return store;
    },
    ended(rows) {
      writeOpen = false;
      rowsOnInstance += rows;
    },
  };

  /** Between writes, with everything committed: a fresh instance drops what the last one held per row group. */
  async function reattach(current: AttachedStore): Promise<void> {
    store = undefined;
    rowsOnInstance = 0;
    knownTables.clear();
    latest.clear();
    try {
      detachStore(current);
    } catch (cause) {
      throw new SinkError(`DuckDB checkpoint failed: ${(cause as Error).message}`, { retriable: false, context: { file: path }, cause });
    }
    store = await attach();
  }

  const openWrite = (): StagedWrite => {
    if (writeOpen) throw new SinkError(`a write is already open on ${path}`, { retriable: false, context: { file: path } });
    writeOpen = true;
    return openStagedWrite(context);
  };

  return {
    name: `duckdb:${path}`,
    async write(events) {
      const write = openWrite();
      await write.stage(events);
      return write.commit();
    },
    openWrite,
    async reader() {
      readerLent = true;
      store ??= await attach();
      await fitMemory(store, 0);
      const reader = await store.instance.connect();
      await reader.run('USE store');
      return reader;
    },
    async close() {
      if (store) detachStore(store);
      store = undefined;
      if (ownSpillDir) rmSync(ownSpillDir, { recursive: true, force: true });
    },
  };
}
