import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runPeers } from '../../bench/peers.js';
import { tempDir } from '../helpers/env.js';

describe('the peers of the benchmark', () => {
  it('each installed peer writes every JSON line of the corpus and is stopped once it has; an absent one is skipped with its reason', async () => {
    const lines = readFileSync(join(import.meta.dirname, '../../fixtures/raw/key-protect.ndjson'), 'utf8')
      .trim()
      .split('\n');
    const corpus = join(tempDir(), 'corpus.ndjson');
    writeFileSync(corpus, `${[...lines, '{"truncated":', ...lines.slice(0, 5)].join('\n')}\n`);
    const outcomes = await runPeers(corpus);
    expect(outcomes.map((o) => o.name)).toEqual(['rsyslog', 'syslog-ng', 'jq']);
    for (const o of outcomes) {
      if ('skipped' in o) {
        expect(o.skipped, o.name).toMatch(/not installed|neither installed/);
        continue;
      }
      expect({ name: o.name, written: o.written, expected: o.expected }).toEqual({ name: o.name, written: lines.length + 5, expected: lines.length + 5 });
      // GNU time counts CPU in hundredths of a second: a peer this quick may show none.
      expect(o.cpuUs, o.name).toBeGreaterThanOrEqual(0);
      expect(o.maxRssMiB, o.name).toBeGreaterThan(0);
    }
  }, 120_000);
});
