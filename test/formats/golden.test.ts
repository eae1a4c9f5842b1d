import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { prepareTransform } from '../../src/run/setup.js';
import { hmacKeyFromBytes } from '../../src/secrets/hmac-key.js';
import { expandInputs, readLineBatches } from '../../src/sources/file.js';
import { createEventValidator } from '../../src/transforms/validate/validate.js';
import { TEST_HMAC_KEY } from '../helpers/env.js';

/**
 * Golden pairs of the input formats: fixtures/formats/input/<file> beside
 * fixtures/formats/expected/<file>.expected.ndjson, one outcome per input line or array
 * element (the event, the reject code and reason, or the filter reason). The source path is
 * masked to the file name; nothing else changes between runs (ids and correlation ids are
 * derived from the input, the key is the fixed test key). Expected files are rewritten only
 * with AUDITLINE_UPDATE_GOLDEN=1; review the diff.
 */
const INPUT = join(import.meta.dirname, '../../fixtures/formats/input');
const EXPECTED = join(import.meta.dirname, '../../fixtures/formats/expected');
const UPDATE = process.env.AUDITLINE_UPDATE_GOLDEN === '1';

type Outcome = { line: number; event?: Record<string, unknown>; rejected?: string; reason?: string; filtered?: string };

async function outcomesOf(file: string): Promise<Outcome[]> {
  const setup = prepareTransform({ key: hmacKeyFromBytes(Buffer.from(TEST_HMAC_KEY, 'hex')) });
  const transform = setup.makeTransform();
  const outcomes = new Map<number, Outcome>();
  const [source] = await expandInputs([file]);
  for await (const batch of readLineBatches(source!)) {
    // One line per transform call, so each filtered line has its own reason.
    for (let i = 0; i < batch.lines.length; i++) {
      const line = batch.firstLine + i;
      const oversized = batch.oversized.filter((o) => o.index === i).map((o) => ({ ...o, index: 0 }));
      const broken = batch.broken?.index === i ? { ...batch.broken, index: 0 } : undefined;
      const out = transform({ source: basename(file), firstLine: line, lines: [batch.lines[i]!], oversized, ...(broken && { broken }) });
      for (const e of out.events) outcomes.set(line, { line, event: JSON.parse(e.json) as Record<string, unknown> });
      for (const r of out.rejects) outcomes.set(line, { line, rejected: r.code, reason: r.reason });
      const [filtered] = Object.keys(out.counts.filteredBy);
      if (filtered) outcomes.set(line, { line, filtered });
    }
  }
  return [...outcomes.values()].sort((a, b) => a.line - b.line);
}

const inputs = readdirSync(INPUT).filter((f) => !f.startsWith('.') && !f.endsWith('.md'));

describe('golden fixtures of the input formats', () => {
  for (const name of inputs) {
    it(`${name} gives exactly the expected events, rejects and filters`, async () => {
      const actual = await outcomesOf(join(INPUT, name));
      const expectedFile = join(EXPECTED, `${name}.expected.ndjson`);
      if (UPDATE) {
        mkdirSync(EXPECTED, { recursive: true });
        writeFileSync(expectedFile, `${actual.map((o) => JSON.stringify(o)).join('\n')}\n`);
      }
      if (!existsSync(expectedFile)) throw new Error(`missing ${expectedFile}: run AUDITLINE_UPDATE_GOLDEN=1 and review the diff`);
      const expected = readFileSync(expectedFile, 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as Outcome);
      expect(actual).toEqual(expected);
    });
  }

  it('every expected event passes the Activity Tracker schema of mappings/', () => {
    const validate = createEventValidator();
    const files = readdirSync(EXPECTED).filter((f) => f.endsWith('.expected.ndjson'));
    expect(files.length).toBe(inputs.length);
    for (const f of files) {
      for (const line of readFileSync(join(EXPECTED, f), 'utf8').trim().split('\n')) {
        const o = JSON.parse(line) as Outcome;
        if (o.event) expect(validate(o.event), `${f} line ${o.line}`).toBeUndefined();
      }
    }
  });
});
