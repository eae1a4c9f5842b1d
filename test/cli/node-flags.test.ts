import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CLI_NODE_FLAGS, cliEnvAssignments } from '../../src/cli/node-flags.js';

describe('the CLI V8 flags', () => {
  it('are the ones the shebang passes, so the benchmark measures what users run', () => {
    const shebang = readFileSync(new URL('../../src/cli/main.ts', import.meta.url), 'utf8').split('\n')[0]!;
    expect(shebang).toBe(`#!/usr/bin/env -S ${cliEnvAssignments()} node ${CLI_NODE_FLAGS.join(' ')}`);
  });
  it('are the ones `npm run demo` passes', () => {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { scripts: Record<string, string> };
    expect(pkg.scripts.demo).toContain(`${cliEnvAssignments()} node ${CLI_NODE_FLAGS.join(' ')} dist/cli/main.js`);
  });
});

/** Heap limits in MB of the main thread and of a worker started as run/worker-pool.ts starts them, in a node with `flags`. */
function heapLimits(flags: readonly string[]): { main: number; worker: number } {
  const script = `
    const { Worker } = require('node:worker_threads');
    const v8 = require('node:v8');
    const w = new Worker("require('node:worker_threads').parentPort.postMessage(require('node:v8').getHeapStatistics().heap_size_limit / 1048576)", { eval: true });
    w.on('message', (worker) => { console.log(JSON.stringify({ main: v8.getHeapStatistics().heap_size_limit / 1048576, worker })); w.terminate(); });`;
  return JSON.parse(execFileSync(process.execPath, [...flags, '-e', script], { encoding: 'utf8' })) as { main: number; worker: number };
}

describe("a transform worker's heap", () => {
  it("has the main thread's limits under the CLI's flags (what run/worker-pool.ts relies on)", () => {
    const { main, worker } = heapLimits(CLI_NODE_FLAGS);
    expect(worker).toBe(main);
    expect(main).toBeLessThan(512);
  });
});
