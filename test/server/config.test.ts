import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { parseServeConfig, resolveServeOptions } from '../../src/server/config.js';

const FILE = '/etc/auditline/serve.yaml';

describe('the serve configuration file', () => {
  it('rejects unknown keys with the file and line to edit', () => {
    expect(() => parseServeConfig('listen:\n  port: 9200\nlimits:\n  maxBodyByte: 10\n', FILE)).toThrow(`${FILE}:4: unknown key "maxBodyByte"`);
    expect(() => parseServeConfig('store: a.duckdb\nout: dir\n', FILE)).toThrow(`${FILE}:2: store and out are exclusive`);
    expect(() => parseServeConfig('elasticsearch:\n  version: "6.8.0"\n', FILE)).toThrow(/serve\.yaml:2: \/elasticsearch\/version must match/);
  });

  it('resolves paths against the file, and lets the environment and flags override it', () => {
    const loaded = parseServeConfig(
      'listen: { host: 0.0.0.0, port: 9201 }\nstore: data/a.duckdb\nauth: { tokens: [from-file] }\nlimits: { maxBodyBytes: 1000 }\n',
      FILE,
    );
    const fromFile = resolveServeOptions({}, loaded, {}, 2);
    expect(fromFile).toMatchObject({ host: '0.0.0.0', port: 9201, store: '/etc/auditline/data/a.duckdb', workers: 2 });
    expect(fromFile.limits.maxBodyBytes).toBe(1000);
    expect(fromFile.tokens.map((t) => t.reveal())).toEqual(['from-file']);
    const fromEnv = resolveServeOptions({ port: 1, out: 'o' }, loaded, { AUDITLINE_TOKEN: 'from-env' }, 2);
    expect(fromEnv).toMatchObject({ port: 1, out: 'o', store: undefined });
    expect(fromEnv.tokens.map((t) => t.reveal())).toEqual(['from-env']);
    expect(resolveServeOptions({ token: ['from-flag'] }, loaded, { AUDITLINE_TOKEN: 'from-env' }, 2).tokens.map((t) => t.reveal())).toEqual(['from-flag']);
  });

  it('prints its secrets as [redacted]', () => {
    const options = resolveServeOptions({}, parseServeConfig('auth: { tokens: [hunter2-secret] }\n', FILE), { AUDITLINE_HMAC_KEY: 'hunter2-key' }, 0);
    expect(JSON.stringify(options)).not.toContain('hunter2-secret');
    expect(inspect(options, { depth: 5 })).not.toContain('hunter2-secret');
    expect(JSON.stringify(options)).not.toContain('hunter2-key');
    expect(`${options.tokens[0]}`).toBe('[redacted]');
  });
});
