import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { isSecret, REDACTED, Secret, secret } from '../../src/secrets/secret.js';

describe('Secret', () => {
  const s = new Secret('es-password-123');

  it('gives its value only through reveal()', () => {
    expect(s.reveal()).toBe('es-password-123');
  });

  it('prints as [redacted] through String(), template literals, concatenation and toString', () => {
    expect(String(s)).toBe(REDACTED);
    expect(`${s}`).toBe(REDACTED);
    expect('x' + s).toBe(`x${REDACTED}`);
    expect(s.toString()).toBe(REDACTED);
  });

  it('prints as [redacted] through JSON.stringify, also nested in configuration', () => {
    expect(JSON.stringify(s)).toBe(`"${REDACTED}"`);
    expect(JSON.stringify({ es: { url: 'https://es:9200', password: s } })).toBe(`{"es":{"url":"https://es:9200","password":"${REDACTED}"}}`);
  });

  it('prints as [redacted] through util.inspect and console formatting, even with hidden fields shown', () => {
    expect(inspect(s)).toBe(REDACTED);
    expect(inspect({ token: s }, { showHidden: true, depth: 5 })).not.toContain('es-password-123');
    expect(inspect(new Secret(Buffer.from('key bytes')), { showHidden: true })).toBe(REDACTED);
  });

  it('has no enumerable or copyable state', () => {
    expect(Object.keys(s)).toEqual([]);
    expect(JSON.stringify({ ...s })).toBe('{}');
    expect(Object.getOwnPropertyNames(s)).toEqual([]);
  });

  it('is recognised, and wrapping a Secret again keeps the same value', () => {
    expect(isSecret(s)).toBe(true);
    expect(isSecret('x')).toBe(false);
    expect(secret(s)).toBe(s);
    expect(secret('t').reveal()).toBe('t');
  });

  it('does not leak through an error message built from it', () => {
    const err = new Error(`cannot connect with ${s}`);
    expect(err.message).not.toContain('es-password-123');
  });
});
