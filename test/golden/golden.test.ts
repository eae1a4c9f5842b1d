import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { prepareTransform } from '../../src/run/setup.js';
import { hmacKeyFromBytes } from '../../src/secrets/hmac-key.js';
import { LineSplitter } from '../../src/sources/lines.js';
import { TEST_HMAC_KEY } from '../helpers/env.js';

/**
 * Golden pairs: fixtures/raw/<name>.ndjson beside fixtures/expected/<name>.expected.ndjson,
 * one expected outcome per input line (the event, or the reject code, or the filter reason).
 * Expected files are rewritten only with AUDITLINE_UPDATE_GOLDEN=1 (`npm run fixtures:update`).
 */
const RAW = join(import.meta.dirname, '../../fixtures/raw');
const EXPECTED = join(import.meta.dirname, '../../fixtures/expected');
const UPDATE = process.env.AUDITLINE_UPDATE_GOLDEN === '1';
const SEEDS = join(import.meta.dirname, '../../../shared/seeds');
/** The seeds' action names, kept in the repo so a clone without ../shared still checks them. */
const SEED_ACTIONS = join(import.meta.dirname, '../../fixtures/seed-actions.txt');

type Outcome = { line: number; event?: Record<string, unknown>; rejected?: string; reason?: string; filtered?: string };

function outcomesOf(file: string): Outcome[] {
  const setup = prepareTransform({ key: hmacKeyFromBytes(Buffer.from(TEST_HMAC_KEY, 'hex')) });
  const transform = setup.makeTransform();
  const source = basename(file); // masked: the absolute path changes from machine to machine
  const splitter = new LineSplitter(source);
  const batches = [...splitter.push(readFileSync(file)), ...splitter.end()];
  const outcomes = new Map<number, Outcome>();
  for (const batch of batches) {
    const out = transform(batch);
    for (const e of out.events) outcomes.set(e.line, { line: e.line, event: JSON.parse(e.json) as Record<string, unknown> });
    for (const r of out.rejects) outcomes.set(r.line, { line: r.line, rejected: r.code, reason: r.reason });
    batch.lines.forEach((_, i) => {
      const line = batch.firstLine + i;
      if (!outcomes.has(line)) outcomes.set(line, { line, filtered: 'filtered' });
    });
  }
  return [...outcomes.values()].sort((a, b) => a.line - b.line);
}

const rawFiles = readdirSync(RAW).filter((f) => f.endsWith('.ndjson'));

describe('golden fixtures', () => {
  for (const name of rawFiles) {
    it(`${name} gives exactly the expected events, rejects and filters`, () => {
      const actual = outcomesOf(join(RAW, name));
      const expectedFile = join(EXPECTED, name.replace(/\.ndjson$/, '.expected.ndjson'));
      if (UPDATE || !existsSync(expectedFile)) {
        if (!UPDATE) throw new Error(`missing ${expectedFile}: run npm run fixtures:update and review the diff`);
        mkdirSync(EXPECTED, { recursive: true });
        writeFileSync(expectedFile, `${actual.map((o) => JSON.stringify(o)).join('\n')}\n`);
      }
      const expected = readFileSync(expectedFile, 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as Outcome);
      expect(actual).toEqual(expected);
    });
  }

  it.runIf(existsSync(SEEDS))('keeps fixtures/seed-actions.txt in step with the seed documents', () => {
    const seedText = readdirSync(SEEDS)
      .map((f) => readFileSync(join(SEEDS, f), 'utf8'))
      .join('\n');
    const fromSeeds = [...new Set(seedText.match(/\b(kms|secrets-manager)\.[a-z-]+\.[a-z-]+/g) ?? [])].sort();
    const listed = readFileSync(SEED_ACTIONS, 'utf8')
      .split('\n')
      .filter((l) => l && !l.startsWith('#'));
    expect([...listed].sort()).toEqual(fromSeeds);
  });

  it('classifies every action name of the five seed documents from a raw line (legacy names through aliases)', () => {
    const setup = prepareTransform({ key: hmacKeyFromBytes(Buffer.from(TEST_HMAC_KEY, 'hex')) });
    const produced = new Set(rawFiles.flatMap((f) => outcomesOf(join(RAW, f)).flatMap((o) => (o.event ? [String(o.event.action)] : []))));
    const seedActions = readFileSync(SEED_ACTIONS, 'utf8')
      .split('\n')
      .filter((l) => l && !l.startsWith('#'));
    expect(seedActions.length).toBeGreaterThan(50);
    const canonical = (a: string) => setup.pipelines.find((p) => a.startsWith(`${p.config.service}.`))!.canonicalAction(a);
    const missing = seedActions.filter((a) => !produced.has(canonical(a)));
    expect(missing).toEqual([]);
  });
});
