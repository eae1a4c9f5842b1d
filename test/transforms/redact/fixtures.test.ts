import { readFileSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { hmacKeyFromBytes } from '../../../src/secrets/hmac-key.js';
import { createRedactor } from '../../../src/transforms/redact/index.js';
import type { RedactionCounts } from '../../../src/transforms/redact/types.js';
import { TEST_KEY_HEX } from './test-key.js';

/**
 * Golden cases: fixtures/redaction/cases.json holds each input beside its expected output and
 * counts under the documented test key. `AUDITLINE_UPDATE_GOLDEN=1` rewrites the expectations
 * (review the diff before committing); otherwise they are only compared.
 */
interface Case {
  name: string;
  /** The rule or detector the case shows (`none` when it shows what must survive). */
  detector: string;
  mode: 'text' | 'record';
  input: unknown;
  expected?: unknown;
  counts?: RedactionCounts;
}
interface CaseFile {
  key: string;
  extraFields: string[];
  cases: Case[];
}

const FILE = new URL('../../../fixtures/redaction/cases.json', import.meta.url);
const file = JSON.parse(readFileSync(FILE, 'utf8')) as CaseFile;
const update = process.env.AUDITLINE_UPDATE_GOLDEN === '1';

function run(c: Case): { output: unknown; counts: RedactionCounts } {
  const redactor = createRedactor({ key: hmacKeyFromBytes(Buffer.from(file.key, 'hex')), extraFields: file.extraFields });
  const counts: RedactionCounts = {};
  if (c.mode === 'text') return { output: redactor.redactText(c.input as string, counts), counts };
  const output = structuredClone(c.input);
  redactor.redactRecord(output, counts);
  return { output, counts };
}

describe('redaction golden cases (fixtures/redaction/cases.json)', () => {
  it('are computed under the documented test key', () => {
    expect(file.key).toBe(TEST_KEY_HEX);
  });

  for (const c of file.cases) {
    it(`${c.name}`, () => {
      const { output, counts } = run(c);
      if (update) {
        c.expected = output;
        c.counts = counts;
        return;
      }
      expect(output).toEqual(c.expected);
      expect(counts).toEqual(c.counts);
      if (c.detector === 'none') expect(output).toEqual(c.input);
      else expect(output).not.toEqual(c.input);
    });
  }

  it('are idempotent: redacting an expected output again changes nothing', () => {
    for (const c of file.cases) {
      const again = run({ ...c, input: c.expected });
      expect(again.output, c.name).toEqual(c.expected);
      expect(again.counts, c.name).toEqual({});
    }
  });

  if (update) {
    it('writes the updated expectations', () => {
      writeFileSync(FILE, `${JSON.stringify(file, null, 2)}\n`);
    });
  }
});
