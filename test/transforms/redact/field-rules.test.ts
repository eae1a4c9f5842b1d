import { describe, expect, it } from 'vitest';
import { createFieldRules, KEY_MATERIAL_FIELD_NAMES, normalizeFieldName, SECRET_FIELD_NAMES } from '../../../src/transforms/redact/field-rules.js';
import { MAX_DEPTH, TOO_DEEP } from '../../../src/transforms/redact/walk.js';
import { hmacOf, redactRecordCopy, testRedactor } from './test-key.js';

/** `client_secret` → `clientSecret`, `x-api-key` → `xApiKey`. */
function camel(name: string): string {
  return name.replace(/[-_]([a-z])/g, (_, c: string) => c.toUpperCase());
}

describe('field names are normalised before they are compared', () => {
  it('ignores case, dashes, underscores, a dotted prefix and the archive o_ prefix', () => {
    for (const n of ['X-Api-Key', 'x_api_key', 'xApiKey', 'XAPIKEY', 'headers.x-api-key', 'o_x_api_key']) {
      expect(normalizeFieldName(n), n).toBe('xapikey');
    }
  });
});

describe('every built-in secret field name', () => {
  for (const name of SECRET_FIELD_NAMES) {
    it(`replaces the value of "${name}" (and its spellings) by its fingerprint, at any depth`, () => {
      for (const spelling of new Set([name, name.toUpperCase(), camel(name), name.replace(/_/g, '-')])) {
        const value = `s3cr3t value of ${spelling}`;
        const { out, counts, n } = redactRecordCopy({ a: { b: [{ [spelling]: value, keep: 'visible' }] } });
        const inner = out.a.b[0]!;
        expect(inner[spelling], spelling).toBe(hmacOf(value));
        expect(inner.keep).toBe('visible');
        expect(n).toBe(1);
        expect(counts).toEqual({ [`field:${name === 'apikey' ? 'api_key' : name}`]: 1 });
      }
    });
  }
});

describe('secret-named fields holding objects or arrays', () => {
  it('fingerprints every string leaf, keeps keys, numbers and booleans', () => {
    const { out, counts, n } = redactRecordCopy({
      credentials: { apikey: 'k-1', nested: { list: ['a-1', 2, true, null] }, ttl: 3600 },
    });
    expect(out).toEqual({
      credentials: { apikey: hmacOf('k-1'), nested: { list: [hmacOf('a-1'), 2, true, null] }, ttl: 3600 },
    });
    expect(n).toBe(2);
    expect(counts).toEqual({ 'field:credentials': 2 });
  });

  it('fingerprints the credential of an Authorization header without its scheme, like the text detectors', () => {
    const { out } = redactRecordCopy({ headers: { authorization: 'Bearer abc.def.ghi-0123456789', 'proxy-authorization': 'Basic dXNlcjpwdw==' } });
    expect(out.headers.authorization).toBe(hmacOf('abc.def.ghi-0123456789'));
    expect(out.headers['proxy-authorization']).toBe(hmacOf('dXNlcjpwdw=='));
  });

  it('keeps numbers and booleans directly under a secret name (Vault keeps them too)', () => {
    const { out, n } = redactRecordCopy({ nonce: 7, secret: false, token: null });
    expect(out).toEqual({ nonce: 7, secret: false, token: null });
    expect(n).toBe(0);
  });
});

describe('identifier fields whose names contain a secret word', () => {
  const identifiers = {
    secret_id: '0b5571f7-21e6-42b7-91c5-3f5ac9793a46',
    secretId: '0b5571f7-21e6-42b7-91c5-3f5ac9793a46',
    secret_group_id: 'default',
    secretGroupId: 'default',
    secret_type: 'imported_cert',
    token_type: 'Bearer',
    tokenExpiry: '2025-11-21T01:00:00Z',
    credential: { type: 'apikey' },
    keyId: '5e7a1c2d-3b4a-4f5e-8d9c-0a1b2c3d4e5f',
    key_id: '5e7a1c2d-3b4a-4f5e-8d9c-0a1b2c3d4e5f',
    keyRingId: 'payments-ring',
    api_key_id: 'ApiKey-9f8e',
    iam_apikey_id: 'ApiKey-1a2b',
    reuse_api_key: true,
    passwordPolicy: 'strong',
    secrets_count: 4,
    next_token: 'page-2',
    grantType: 'apikey',
  };
  it('are kept as they are', () => {
    const { out, n } = redactRecordCopy(identifiers);
    expect(out).toEqual(identifiers);
    expect(n).toBe(0);
  });
});

describe('names ending in a secret word', () => {
  it('are secrets, counted under the generic `field` label', () => {
    const { out, counts } = redactRecordCopy({
      classic_infrastructure_password: 'p-1',
      cloud_internet_services_apikey: 'k-1',
      github_token: 't-1',
      private_key_passphrase: 'pp-1',
      shared_secret: 's-1',
    });
    expect(Object.values(out)).toEqual([hmacOf('p-1'), hmacOf('k-1'), hmacOf('t-1'), hmacOf('pp-1'), hmacOf('s-1')]);
    expect(counts).toEqual({ field: 5 });
  });
});

describe('pipeline extra field names (redaction.fields)', () => {
  it('are secrets; names that are not built in count as `field`, built-in ones keep their label', () => {
    const redactor = testRedactor({ extraFields: ['sealed_blob', 'PLAINTEXT', 'Tenant-Seal'] });
    const { out, counts } = redactRecordCopy({ sealed_blob: 'w', tenantSeal: 'x', plaintext: 'p', other: 'o' }, redactor);
    expect(out).toEqual({ sealed_blob: hmacOf('w'), tenantSeal: hmacOf('x'), plaintext: hmacOf('p'), other: 'o' });
    expect(counts).toEqual({ field: 2, 'field:plaintext': 1 });
  });

  it('are not secrets for a redactor without them', () => {
    const { out } = redactRecordCopy({ sealed_blob: 'w' });
    expect(out).toEqual({ sealed_blob: 'w' });
  });
});

describe('key-material names', () => {
  const dek = Buffer.alloc(32, 7).toString('base64');
  it.each(KEY_MATERIAL_FIELD_NAMES)('"%s" is fingerprinted only when its value is key material', (name) => {
    const { out, counts } = redactRecordCopy({ [name]: dek, other: { [name]: '5e7a1c2d-3b4a-4f5e-8d9c-0a1b2c3d4e5f' } });
    expect(out[name]).toBe(hmacOf(dek));
    expect(out.other[name]).toBe('5e7a1c2d-3b4a-4f5e-8d9c-0a1b2c3d4e5f');
    expect(counts).toEqual({ 'key-material': 1 });
  });

  it('accepts hex and base64 of 16, 24, 32, 48 and 64 bytes, nothing else', () => {
    const rules = createFieldRules();
    expect(rules.classify('key')).toMatchObject({ strength: 'key-material' });
    for (const bytes of [16, 24, 32, 48, 64]) {
      const b = Buffer.alloc(bytes, 0xa5);
      for (const v of [b.toString('hex'), b.toString('base64'), b.toString('base64url')]) {
        expect(redactRecordCopy({ key: v }).out.key, `${bytes} bytes ${v}`).toBe(hmacOf(v));
      }
    }
    for (const bytes of [8, 20, 33]) {
      const v = Buffer.alloc(bytes, 0xa5).toString('base64');
      expect(redactRecordCopy({ key: v }).out.key).toBe(v);
    }
  });
});

describe('Secrets Manager kv secrets', () => {
  it('treat `data` as secret next to `secret_type`, and as a container elsewhere', () => {
    const { out } = redactRecordCopy({ secret_type: 'kv', data: { user: 'u-1' }, other: { data: { user: 'u-2' } } });
    expect(out).toEqual({ secret_type: 'kv', data: { user: hmacOf('u-1') }, other: { data: { user: 'u-2' } } });
  });
});

describe('depth', () => {
  it('replaces subtrees deeper than MAX_DEPTH instead of walking them', () => {
    let deep: unknown = { password: 'p' };
    for (let i = 0; i < MAX_DEPTH + 5; i++) deep = { next: deep };
    const { out, counts } = redactRecordCopy({ deep });
    expect(JSON.stringify(out)).toContain(TOO_DEEP);
    expect(JSON.stringify(out)).not.toContain('"p"');
    expect(counts).toEqual({ 'too-deep': 1 });
  });
});
