import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AuditlineError, ConfigError, ERROR_CODES, exitCodeOf } from '../src/errors.js';
import { REJECT_CODES } from '../src/model/records.js';

const doc = readFileSync(join(import.meta.dirname, '../docs/errors.md'), 'utf8');

describe('error and reject codes', () => {
  it('documents every error code with its exit code', () => {
    for (const [code, { exit }] of Object.entries(ERROR_CODES)) expect(doc).toMatch(new RegExp(`\\| \`${code}\` \\| ${exit} \\|`));
  });

  it('documents every reject code', () => {
    for (const code of Object.keys(REJECT_CODES)) expect(doc).toContain(`| \`${code}\` |`);
  });

  it('derives exit codes from the code, never from the message', () => {
    expect(exitCodeOf(new ConfigError('AL_SOURCE_IO in the text'))).toBe(2);
    expect(exitCodeOf(new AuditlineError('AL_SINK_IO', 'x'))).toBe(4);
    expect(exitCodeOf(new Error('AL_CONFIG_INVALID'))).toBe(70);
  });

  it('prefixes messages with file:line when it knows them', () => {
    expect(new ConfigError('bad', { file: 'p.yaml', line: 3 }).message).toBe('p.yaml:3: bad');
  });
});
