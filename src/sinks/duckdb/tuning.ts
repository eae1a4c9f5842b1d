/**
 * Measured with `npm run bench:build && node bench/dist/bench/duckdb-load.js`, which passes other
 * values to compare them (docs/decisions/2026-11-duckdb-loading.md).
 */
export interface DuckDbTuning {
  /**
   * Rows per row group of the tables this process writes (an ATTACH option, not stored in the file).
   * A transaction that appends at least a row group to a table has its rows compressed straight into
   * the file; smaller appends go through the WAL and are compressed by a later checkpoint, which also
   * rewrites the table's last, partly filled row group. With the 122,880-row default, a write of 8,192
   * events over five locations (~1,600 rows per table) always took the second path and every
   * checkpoint rewrote up to 120k rows: 1-20 s each, 10-14k rows/s from the database alone. 2,048
   * (the smallest DuckDB accepts) bounds that rewrite and lets larger writes skip the WAL.
   */
  rowGroupRows: number;
  /** DuckDB threads: 1 was faster than 2 (19.0k vs 15.5-16.3k rows/s), the other core runs the transform. */
  threads: number;
  /**
   * WAL size that starts a checkpoint. Rows not checkpointed yet sit in the buffer pool, so this stays
   * well under memoryLimit; with 2,048-row groups 16 MB loads as fast as 64 MB did.
   */
  checkpointThreshold: string;
  /**
   * Bounds DuckDB's buffer pool (cached blocks, rows not checkpointed yet) between writes and for a
   * write over few tables. 32 MB held ~30 MiB less peak RSS (CLI, 0.25 GB array with two workers:
   * 303-310 against 339-343 MiB), but DuckDB then offloads blocks to its spill folder, and on a full
   * disk a write failed as "failed to offload data block" instead of "No space left on device", which
   * the CLI recognises to say the disk is full (test/faults/disk.test.ts). What a write needs grows
   * with the tables it touches, each one's open row group held while it commits (the bench corpus's
   * events: 5 tables need 16-20 MB, 20 need 24-32, 40 need 40-48, 100 need 96-128), hence memoryPerTableMb.
   */
  memoryLimit: string;
  /**
   * A write over N tables runs with at least N times this many MB. A fixed 64 MB failed every write
   * over ~55 tables or more ("could not allocate block"), which stopped the run.
   */
  memoryPerTableMb: number;
  /**
   * The floor while the sink lends readers (`serve`): their queries share the instance's buffer pool,
   * and an aggregation that does not fit spills or fails.
   */
  memoryLimitWithReaders: string;
  /**
   * Rows written on one DuckDB instance before the sink closes it and attaches the store afresh. DuckDB
   * keeps an in-memory description of every row group written by the instance (segments, statistics;
   * outside its buffer pool, so memoryLimit does not bound it): ~20 MB of the main arena per million
   * rows, ~100 MB over a 5 GB input. Closing the instance frees it; reattaching costs ~0.1 s of CPU,
   * and a store attached afresh loads a row group's description only when a query touches it. For those
   * ~0.1 s the file is unlocked: another process opening the store then gets it, and this sink's next
   * write fails as a locked store (AL_SINK_IO) with everything before it committed and acknowledged.
   */
  reattachRows: number;
}

export const DEFAULT_TUNING: DuckDbTuning = {
  rowGroupRows: 2048,
  threads: 1,
  checkpointThreshold: '16MB',
  memoryLimit: '64MB',
  memoryPerTableMb: 2,
  memoryLimitWithReaders: '64MB',
  reattachRows: 524_288,
};

const UNIT_BYTES: Record<string, number> = { kb: 1e3, mb: 1e6, gb: 1e9, tb: 1e12, kib: 1024, mib: 1024 ** 2, gib: 1024 ** 3, tib: 1024 ** 4 };

/** A DuckDB memory size (`'32MB'`, `'1GiB'`) in DuckDB's megabytes (10^6 bytes), as `SET memory_limit` takes them. */
export function megabytesOf(size: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([kmgt]i?b)\s*$/i.exec(size);
  const unit = m && UNIT_BYTES[m[2]!.toLowerCase()];
  if (!unit) throw new Error(`not a DuckDB memory size: "${size}"`);
  return (Number(m[1]) * unit) / 1e6;
}
