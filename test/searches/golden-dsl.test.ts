import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { compileDsl, type DslRange } from '../../src/searches/compile-dsl.js';
import { planOf } from '../../src/searches/lint.js';
import { BUNDLED_SEARCHES_DIR, loadSearchFolder } from '../../src/searches/load.js';

/**
 * The Elasticsearch request of every bundled detection rule, over one fixed range, equals its
 * golden file test/searches/golden-dsl/<rule>.json (pretty-printed, one field a line, so a change
 * of the compiler shows as a readable diff). The files are rewritten only with
 * AUDITLINE_UPDATE_GOLDEN=1 (`npm run fixtures:update`); review the diff.
 */
const GOLDEN = join(import.meta.dirname, 'golden-dsl');
const UPDATE = process.env.AUDITLINE_UPDATE_GOLDEN === '1';
/** Fixed, so the files do not depend on the day they are compared. */
const RANGE: DslRange = { sinceMs: Date.parse('2025-11-21T00:00:00Z'), untilMs: Date.parse('2025-11-22T00:00:00Z') };

const RULES = loadSearchFolder(BUNDLED_SEARCHES_DIR).filter((s) => s.definition?.type === 'rule');

const goldenText = (value: unknown): string => `${JSON.stringify(value, null, 2)}\n`;

describe('golden DSL of the bundled rules', () => {
  it('covers every rule, and no file is left for a rule that is gone', () => {
    expect(RULES.length).toBeGreaterThan(0);
    if (UPDATE) mkdirSync(GOLDEN, { recursive: true });
    const files = existsSync(GOLDEN) ? readdirSync(GOLDEN).filter((f) => f.endsWith('.json')) : [];
    const stale = files.filter((f) => !RULES.some((r) => `${r.name}.json` === f));
    expect(stale).toEqual([]);
  });

  for (const rule of RULES) {
    it(`${rule.name}: compileDsl equals golden-dsl/${rule.name}.json`, () => {
      const actual = goldenText(compileDsl(planOf(rule, {}), RANGE));
      const file = join(GOLDEN, `${rule.name}.json`);
      if (UPDATE) writeFileSync(file, actual);
      if (!existsSync(file)) throw new Error(`missing ${file}: run AUDITLINE_UPDATE_GOLDEN=1 npm run fixtures:update and review the diff`);
      expect(actual).toBe(readFileSync(file, 'utf8'));
    });
  }
});
