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
