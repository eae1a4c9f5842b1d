import { describe, expect, it } from 'vitest';
import { parsePipeline } from '../../src/config/load-pipeline.js';
import { ConfigError } from '../../src/errors.js';
import { minimal } from './minimal-pipeline.js';

function errorOf(text: string): ConfigError {
  try {
    parsePipeline(text, 'demo.yaml');
  } catch (e) {
    return e as ConfigError;
  }
  throw new Error('expected a configuration error');
}

describe('pipeline files', () => {
  it('accepts a minimal valid pipeline', () => {
    expect(parsePipeline(minimal, 'demo.yaml').config.name).toBe('demo');
  });

  it('rejects an unknown key and names the file and line', () => {
    const err = errorOf(minimal.replace('displayName: Demo', 'displayName: Demo\ndisplayname: typo'));
    expect(err).toBeInstanceOf(ConfigError);
    expect(err.code).toBe('AL_CONFIG_INVALID');
    expect(err.context).toMatchObject({ file: 'demo.yaml', line: 4 });
    expect(err.message).toMatch(/^demo\.yaml:4: unknown key "displayname"/);
  });

  it('rejects a malformed route key at its line', () => {
    const err = errorOf(minimal.replace('GET /things/:id', 'FETCH /things/:id'));
    expect(err.context.line).toBe(13);
    expect(err.message).toContain('FETCH /things/:id');
  });

  it('rejects a severity outside the closed enum', () => {
    expect(errorOf(minimal.replace('default: normal', 'default: high')).message).toMatch(/allowed: normal, warning, critical/);
  });

  it('rejects a route group whose target is not declared', () => {
    const err = errorOf(minimal.replace('  - target: thing', '  - target: nothing'));
    expect(err.message).toMatch(/target "nothing" is not declared/);
    expect(err.context.line).toBe(11);
  });

  it('rejects an action of another service', () => {
    expect(errorOf(minimal.replace('demo.things.read', 'kms.secrets.read')).message).toMatch(/does not start with the service name/);
  });

  it('reports a YAML syntax error with its line', () => {
    const err = errorOf(minimal.replace('dataEvents: []', 'dataEvents: [unclosed'));
    expect(err.context.file).toBe('demo.yaml');
    expect(err.context.line).toBeGreaterThan(0);
  });
});
