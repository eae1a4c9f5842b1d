import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AuditlineError } from '../../src/errors.js';
import { formatIssue, lintFolder } from '../../src/searches/lint.js';
import { BUNDLED_SEARCHES_DIR, parseSearch } from '../../src/searches/load.js';
import { resolveParams } from '../../src/searches/params.js';
import { tempDir } from '../helpers/env.js';
import { planFromYaml, SEARCH } from './helpers.js';

const BROKEN = `id: broken-rule
title: Broken
type: rule
description: every kind of mistake at once
colour: red
detection:
  sel:
    actoin: kms.secrets.delete
    outcome|begins: fail
    reason.reasonCode|gt: many
    source.ip|cidr: 10.0.0.1/8
    message|re: '^\\d+$'
    target.id: '{{key}}'
  unused:
    action: x
  condition: sel and (missing or
correlation:
  type: value_count
  group-by: [user.id, nowhere.field]
  timespan: 10m
`;

describe('search lint', () => {
  it('reports every problem of a folder in one pass, each with file:line', () => {
    const dir = tempDir();
    const file = join(dir, 'broken-rule.yaml');
    writeFileSync(file, BROKEN);
    writeFileSync(join(dir, 'same-id.yaml'), `${SEARCH.replace('inline-search', 'broken-rule')}detection:\n  sel:\n    action: x\n  condition: sel\n`);
    writeFileSync(join(dir, 'twin.yaml'), BROKEN.replace('colour: red\n', ''));
    writeFileSync(join(dir, 'Bad Name.yaml'), `${SEARCH}detection:\n  sel:\n    action: x\n  condition: sel\n`);
    const issues = lintFolder(dir).map((i) => formatIssue({ ...i, file: i.file.slice(dir.length + 1) }));
    expect(issues).toEqual([
      'Bad Name.yaml:1: file name "Bad Name.yaml" is not a slug (lower-case words joined by "-")',
      'broken-rule.yaml:5: unknown key "colour"',
      `twin.yaml:1: id "broken-rule" is already the id of ${join(dir, 'same-id.yaml')}`,
      'twin.yaml:3: a rule needs a severity',
      'twin.yaml:7: unknown field "actoin": not in the field table (model/fields.ts)',
      'twin.yaml:7: parameter "key" is not declared under parameters',
      'twin.yaml:8: unknown modifier "begins" (known: contains, startswith, endswith, re, cidr, gt, gte, lt, lte, exists, all, cased)',
      'twin.yaml:9: "gt" takes a number, not "many"',
      'twin.yaml:10: "10.0.0.1/8" is not an IPv4 CIDR block such as 10.0.0.0/8 (addresses are keywords, so IPv6 blocks are not supported)',
      'twin.yaml:11: regular expression "^\\\\d+$": shorthand classes (\\d, \\w, \\s, \\b) and back-references are not portable: write [0-9], [A-Za-z0-9_], ...',
      'twin.yaml:15: condition: condition ends where a selection name was expected (column 20)',
      'twin.yaml:17: value_count needs a condition such as { gte: 5 }',
      'twin.yaml:17: value_count needs the field whose distinct values are counted',
      'twin.yaml:18: unknown field "nowhere.field": not in the field table (model/fields.ts)',
    ]);
  });

  it('places each selection problem on the line of its key', () => {
    const loaded = parseSearch(`${SEARCH}detection:\n  sel:\n    action: x\n    actoin: y\n  condition: sel\n`, 'x.yaml');
    expect(() => planFromYaml(`${SEARCH}detection:\n  sel:\n    action: x\n    actoin: y\n  condition: sel\n`)).toThrow(
      /^inline\.yaml:8: unknown field "actoin"/,
    );
    expect(loaded.lineOf('/detection/sel', 'actoin')).toBe(8);
  });

  it('names conditions that refer to no selection', () => {
    expect(() => planFromYaml(`${SEARCH}detection:\n  sel:\n    action: x\n  condition: sel or other or 1 of none_*\n`)).toThrow(
      /condition names "other", which is not a selection of detection\n {2}inline\.yaml:8: condition "none_\*" matches no selection/,
    );
  });

  it('finds nothing wrong with the bundled searches', () => {
    expect(lintFolder(BUNDLED_SEARCHES_DIR).map(formatIssue)).toEqual([]);
  });

  it('refuses unknown, missing and ill-typed parameters before anything runs', () => {
    const def = planFromYaml(
      `${SEARCH}parameters:\n  n:\n    type: integer\n    description: a number\ndetection:\n  sel:\n    reason.reasonCode: '{{n}}'\n  condition: sel\n`,
      { n: 1 },
    ).definition;
    expect(resolveParams('s', def, { n: '403' })).toEqual({ n: 403 });
    const code = (f: () => unknown) => {
      try {
        f();
      } catch (e) {
        return (e as AuditlineError).code;
      }
      return undefined;
    };
    expect(code(() => resolveParams('s', def, {}))).toBe('AL_SEARCH_PARAM');
    expect(code(() => resolveParams('s', def, { n: 'x' }))).toBe('AL_SEARCH_PARAM');
    expect(code(() => resolveParams('s', def, { n: '1', m: '2' }))).toBe('AL_SEARCH_PARAM');
  });

  it('keeps an integer parameter a number when it is the whole value', () => {
    const plan = planFromYaml(
      `${SEARCH}parameters:\n  n:\n    type: integer\n    description: a number\ndetection:\n  sel:\n    reason.reasonCode: '{{n}}'\n  condition: sel\n`,
      { n: 403 },
    );
    expect(plan.filter).toMatchObject({ kind: 'match', op: 'eq', value: 403 });
  });
});

// A folder that does not exist is a usage error with its own code, not a crash.
it('a missing searches folder is AL_SEARCH_NOT_FOUND', () => {
  const dir = join(tempDir(), 'none');
  expect(() => lintFolder(dir)).toThrow(expect.objectContaining({ code: 'AL_SEARCH_NOT_FOUND' }) as Error);
  mkdirSync(dir);
  expect(lintFolder(dir)).toEqual([]);
});
