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

/** `NAME=value ...` as a shell or `env -S` spells CLI_NODE_ENV. */
export function cliEnvAssignments(): string {
  return Object.entries(CLI_NODE_ENV)
    .map(([k, v]) => `${k}=${v}`)
    .join(' ');
}
