import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import type { DigestSigner } from '../digest-chain.js';
import { SinkError } from '../sink.js';
import { keepsDigests, openDigestLog, type DigestLog } from './digests.js';
import { storeLockedError } from './store-lock.js';
import type { DuckDbTuning } from './tuning.js';

const NO_DIGESTS: DigestLog = { sealed: false, record: async () => undefined, rolledBack: () => undefined };

/** A DuckDB instance with the store attached as its default database, and the store's digest chain. */
export interface AttachedStore {
  instance: DuckDBInstance;
  conn: DuckDBConnection;
  digests: DigestLog;
}

export interface AttachOptions {
  /** Where DuckDB spills what does not fit memory_limit. */
  spillDir: string;
  digests?: boolean | undefined;
  signer?: DigestSigner | undefined;
}

/** Opens an instance with the sink's settings and attaches the store file (or `:memory:`) to it. */
export async function attachStore(path: string, t: DuckDbTuning, opts: AttachOptions): Promise<AttachedStore> {
  let instance: DuckDBInstance | undefined;
  try {
    instance = await DuckDBInstance.create(':memory:', {
      // Where DuckDB spills what does not fit memory_limit. An in-memory instance's default is `.tmp`
      // under the working directory, shared by every process started there: two runs in one folder
      // overwrote each other's spill files and a commit failed reading one back. Beside the store
      // (DuckDB's own default for a file database), which the store lock gives to one process.
      temp_directory: opts.spillDir,
      threads: String(t.threads),
      checkpoint_threshold: t.checkpointThreshold,
      memory_limit: t.memoryLimit,
      // A transaction's new row groups are flushed one at a time, not buffered five at a time (sink
      // alone, 400k events: ~330 → ~300-315 MiB peak RSS, no slower).
      write_buffer_row_group_count: '1',
      // No vacuum at checkpoints. Every write leaves each table one partly filled row group, and the
      // checkpoint that closes the store (or a later one) merged those by decompressing and
      // compressing them again: 8.7 s of CPU to close a store written with 1M rows (~8.7 µs a row),
      // and the blocks it replaced stayed in the file as free space (300k rows: 203 MB against 130).
      // Vacuum reclaims deleted rows, and the store deletes none.
      max_vacuum_tasks: '0',
    });
    const conn = await instance.connect();
    // Storage v1.2 is the first with ZSTD for strings (schema.ts). Attaching an older store upgrades its
    // version tag (DuckDB before 1.2 can no longer open it); its data stays as it is.
    await conn.run(`ATTACH '${path.replace(/'/g, "''")}' AS store (STORAGE_VERSION 'v1.2.0', ROW_GROUP_SIZE ${t.rowGroupRows})`);
    await conn.run('USE store');
    // Tamper evidence, when asked for or once the store keeps it: each write's committed events are chained
    // in a digest in the same transaction (digests.ts). It costs ~10% CPU and 60-90 MB of peak RSS on
    // 200k lines with two workers, so a store is sealed only on request; a sealed store stays sealed.
    const digests = opts.digests || (await keepsDigests(conn)) ? await openDigestLog(conn, opts.signer) : NO_DIGESTS;
    return { instance, conn, digests };
  } catch (cause) {
    instance?.closeSync();
    throw (
      storeLockedError(cause, path, 'AL_SINK_IO') ??
      new SinkError(`cannot open DuckDB store "${path}": ${(cause as Error).message}`, { retriable: false, context: { file: path }, cause })
    );
  }
}

/** Closes the connection and the instance: DuckDB checkpoints the store and frees what it held for it. */
export function detachStore(store: AttachedStore): void {
  store.conn.closeSync();
  store.instance.closeSync();
}
