/**
 * The V8 flags and environment the CLI runs with, as its shebang (cli/main.ts) spells them; the benchmark
 * starts its stages with the same ones so that its peak RSS is the CLI's. test/cli/node-flags.test.ts keeps
 * them equal.
 *
 * - `--max-old-space-size=256`: the live data of a streaming run is a few batches; without a cap V8 lets
 *   garbage grow the heap to gigabytes before collecting it (measured: 1 GB peak RSS on 100k lines, 386 MB
 *   with the cap).
 * - `--max-semi-space-size=8`: with workers the main thread only unpacks and loads; a smaller young
 *   generation took 300k lines into DuckDB with two workers from 556-570 to 498-515 MB peak RSS, with
 *   the same CPU time (without workers neither RSS nor CPU time changed).
 */
export const CLI_NODE_FLAGS = ['--max-old-space-size=256', '--max-semi-space-size=8'] as const;

/**
 * - `MALLOC_ARENA_MAX=2`: glibc gives each thread that allocates (libuv's pool running DuckDB calls, worker
 *   threads) its own arena, and freed memory stays in them. Two arenas: 300k lines into DuckDB with two
 *   workers, 479-481 → 432-436 MB peak RSS; a 256 MB JSON array, 288-290 → 254-264 MB; same CPU time and
 *   wall time in both. glibc reads it only when the process starts, hence the shebang. Other C libraries
 *   ignore it.
 */
export const CLI_NODE_ENV = { MALLOC_ARENA_MAX: '2' } as const;

/**
 * DuckDB's own allocator (the jemalloc linked into libduckdb) keeps freed pages resident for a second, as
 * DuckDB configures it (`dirty_decay_ms:1000,muzzy_decay_ms:1000`). A write allocates tens of MB and frees
 * them at COMMIT, faster than that decay: mid-run ~50 MB resident for ~3 MB in use. 300 ms and no muzzy
 * stage: a 2 GB array 341 → 328 MiB peak RSS, CPU 0.96-0.98 of before (docs/decisions/2026-12-03-flat-memory-2.md).
 * One arena instead of DuckDB's two: the sink's calls run on the main thread and on libuv's pool, and
 * with two arenas what one thread freed stayed dirty while the other faulted in fresh pages. The 2 GB
 * array 324-345k → 312-331k KiB peak RSS (six and eight runs), 1M lines 339-344 → 333-337 MiB, the same CPU
 * (docs/decisions/2026-12-05-duckdb-arenas.md).
 * jemalloc reads it when libduckdb is loaded, which is after the CLI starts (commands load DuckDB only
 * when run), so cli/main.ts sets it rather than the shebang; a value the user set is kept.
 */
export const DUCKDB_ALLOCATOR_ENV = { DUCKDB_JE_MALLOC_CONF: 'dirty_decay_ms:300,muzzy_decay_ms:0,narenas:1' } as const;

/** `NAME=value ...` as a shell or `env -S` spells CLI_NODE_ENV. */
export function cliEnvAssignments(): string {
  return Object.entries(CLI_NODE_ENV)
    .map(([k, v]) => `${k}=${v}`)
    .join(' ');
}
