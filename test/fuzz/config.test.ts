import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { parsePipeline } from '../../src/config/load-pipeline.js';
import { AuditlineError, ConfigError } from '../../src/errors.js';
import { parseServeConfig, resolveServeOptions } from '../../src/server/config.js';
import { DEFAULT_LIMITS, type ServeLimits } from '../../src/server/options.js';
import { TEST_ENV } from '../helpers/env.js';
import { fuzzParams } from './runs.js';

const PIPELINE = readFileSync(join(import.meta.dirname, '../../pipelines/key-protect.yaml'), 'utf8');

/** The text cut, with something put in its place: a near miss of a valid file. */
const mutated = (text: string) =>
  fc
    .tuple(
      fc.nat(),
      fc.nat({ max: 40 }),
      fc.oneof(fc.string({ maxLength: 12 }), fc.constantFrom(':', '- ', '  ', '\n', '{', '[', '&a', '*a', '!!binary', '<<: *a', '"', "'", '#')),
    )
    .map(([at, cut, ins]) => {
      const i = at % (text.length + 1);
      return text.slice(0, i) + ins + text.slice(Math.min(text.length, i + cut));
    });

/** Only our configuration error, with the file named, ever leaves a loader: never a TypeError or a YAML library error. */
function refusedCleanly(load: () => unknown, file: string): void {
  try {
    load();
  } catch (e) {
    expect(e).toBeInstanceOf(AuditlineError);
    expect((e as AuditlineError).code).toBe('AL_CONFIG_INVALID');
    expect((e as Error).message.startsWith(file)).toBe(true);
  }
}

describe('the YAML loaders (property)', () => {
  it('load a pipeline file or refuse it with AL_CONFIG_INVALID naming the file, for any text and any near miss of a real one', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ maxLength: 300 }), mutated(PIPELINE)), (text) => refusedCleanly(() => parsePipeline(text, 'p.yaml'), 'p.yaml')),
      fuzzParams(60, 4),
    );
  });

  it('load a serve configuration or refuse it the same way, for any text, any YAML value and any near miss', () => {
    const valid = stringify({ listen: { host: '127.0.0.1', port: 9200 }, auth: { tokens: ['t'] }, limits: { maxConnections: 10 }, detect: { every: '5m' } });
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string({ maxLength: 200 }),
          fc.jsonValue().map((v) => stringify(v)),
          mutated(valid),
        ),
        (text) => refusedCleanly(() => parseServeConfig(text, 's.yaml'), 's.yaml'),
      ),
      fuzzParams(400),
    );
  });

  it('refuse an alias to no anchor and an alias bomb as AL_CONFIG_INVALID at the line of the alias, at once', () => {
    expect(() => parseServeConfig('listen:\n  host: *nowhere\n', 's.yaml')).toThrow(/^s\.yaml:2:9: YAML: Unresolved alias/);
    const levels = ['a: &a [x, x, x, x, x, x, x, x, x, x]'];
    for (let i = 1; i < 10; i++)
      levels.push(
        `${String.fromCharCode(97 + i)}: &${String.fromCharCode(97 + i)} [${Array(10)
          .fill(`*${String.fromCharCode(96 + i)}`)
          .join(', ')}]`,
      );
    // Refused by count (yaml's alias limit), before 10^10 nodes are expanded: no clock needed to show it.
    expect(() => parsePipeline(levels.join('\n'), 'bomb.yaml')).toThrow(/^bomb\.yaml:\d+:\d+: YAML: Excessive alias count/);
  });

  it('take every limit the file sets, keep the defaults of the others, and refuse a limit below 1 with its line', () => {
    const keys = Object.keys(DEFAULT_LIMITS) as (keyof ServeLimits)[];
    fc.assert(
      fc.property(fc.dictionary(fc.constantFrom(...keys), fc.integer({ min: -5, max: 2 ** 31 })), (limits) => {
        const text = stringify({ limits });
        const bad = Object.entries(limits).find(([, v]) => v < 1);
        if (bad) {
          expect(() => parseServeConfig(text, 's.yaml')).toThrow(ConfigError);
          return;
        }
        const options = resolveServeOptions({ token: ['t'] }, parseServeConfig(text, 's.yaml'), TEST_ENV, 0);
        expect(options.limits).toEqual({ ...DEFAULT_LIMITS, ...limits });
      }),
      fuzzParams(300),
    );
  });
});
