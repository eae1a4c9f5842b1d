import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { hmacKeyFromBytes } from '../../../src/secrets/hmac-key.js';
import { createRedactor } from '../../../src/transforms/redact/index.js';
import type { RedactionCounts } from '../../../src/transforms/redact/types.js';
import { hmacOf, testKey, testRedactor } from './test-key.js';

const FIXTURE_LINE = {
  time: 1763683200000,
  req: {
    id: 'r-81f2',
    method: 'POST',
    url: '/api/v2/keys/5e7a1c2d-3b4a-4f5e-8d9c-0a1b2c3d4e5f/actions/unwrap?token=tok-777',
    headers: { host: 'us-south.kms.cloud.ibm.com', authorization: 'Bearer tok-0123456789abcdef', 'user-agent': 'keyprotect-go-client/0.9' },
    remoteAddress: '203.0.113.7',
  },
  auth: { iamId: 'IBMid-270003GUSX', type: 'user' },
  body: { ciphertext: 'Y2lwaGVy', aad: ['t-1'] },
  msg: 'unwrap for password=hunter2',
};

describe('createRedactor', () => {
  it("returns how many values one call redacted and adds them to the caller's counts", () => {
    const redactor = testRedactor();
    const counts: RedactionCounts = { 'field:plaintext': 5 };
    const n = redactor.redactRecord(structuredClone(FIXTURE_LINE), counts);
    expect(n).toBe(5);
    expect(counts).toEqual({
      'field:plaintext': 5,
      'field:authorization': 1,
      'field:ciphertext': 1,
      'field:aad': 1,
      'kv-secret': 2,
    });
    expect(redactor.redactRecord(structuredClone(FIXTURE_LINE), counts)).toBe(5);
    expect(counts['kv-secret']).toBe(4);
  });

  it('redacts in place and leaves the identifiers of the line as they were', () => {
    const line = structuredClone(FIXTURE_LINE);
    testRedactor().redactRecord(line, {});
    expect(line.req.url).toBe(`/api/v2/keys/5e7a1c2d-3b4a-4f5e-8d9c-0a1b2c3d4e5f/actions/unwrap?token=[redacted:kv-secret ${hmacOf('tok-777')}]`);
    expect(line.req.headers.authorization).toBe(hmacOf('tok-0123456789abcdef'));
    expect(line.req.headers.host).toBe('us-south.kms.cloud.ibm.com');
    expect(line.req.headers['user-agent']).toBe('keyprotect-go-client/0.9');
    expect(line.req.remoteAddress).toBe('203.0.113.7');
    expect(line.auth.iamId).toBe('IBMid-270003GUSX');
    expect(line.msg).toBe(`unwrap for password=[redacted:kv-secret ${hmacOf('hunter2')}]`);
  });

  it('fingerprints exactly as the key does (what `auditline hash` prints)', () => {
    const redactor = testRedactor();
    expect(redactor.fingerprint('hunter2')).toBe(hmacOf('hunter2'));
    expect(redactor.fingerprint('hunter2')).toBe(testKey.fingerprint('hunter2'));
  });

  it('refuses a string record (it cannot be changed in place) and ignores other primitives', () => {
    const redactor = testRedactor();
    expect(() => redactor.redactRecord('password=x', {})).toThrow(expect.objectContaining({ code: 'AL_INTERNAL' }));
    expect(redactor.redactRecord(42, {})).toBe(0);
    expect(redactor.redactRecord(null, {})).toBe(0);
  });

  it('redacts arrays at the top level', () => {
    const arr = [{ password: 'p' }, 'token=abc12345'];
    testRedactor().redactRecord(arr, {});
    expect(arr).toEqual([{ password: hmacOf('p') }, `token=[redacted:kv-secret ${hmacOf('abc12345')}]`]);
  });

  it('gives the same output with and without the fingerprint memo', () => {
    const withMemo = testRedactor();
    const without = testRedactor({ memoSize: 0 });
    const tiny = testRedactor({ memoSize: 1 });
    for (let i = 0; i < 3; i++) {
      const a = structuredClone(FIXTURE_LINE);
      const b = structuredClone(FIXTURE_LINE);
      const c = structuredClone(FIXTURE_LINE);
      withMemo.redactRecord(a, {});
      without.redactRecord(b, {});
      tiny.redactRecord(c, {});
      expect(a).toEqual(b);
      expect(c).toEqual(b);
    }
  });

  it('stays exact when the memo stands aside after a run of values that never repeat', () => {
    const redactor = testRedactor();
    // One repeat in a hundred: under the memo's hit threshold, so it stands aside and samples again.
    for (let i = 0; i < 40_000; i++) {
      const record = { token: i % 100 === 0 ? 'repeated' : `unique-${i}` };
      redactor.redactRecord(record, {});
      expect(record.token).toBe(hmacOf(i % 100 === 0 ? 'repeated' : `unique-${i}`));
    }
  });

  it('changes every fingerprint when the key changes', () => {
    const other = createRedactor({ key: hmacKeyFromBytes(Buffer.alloc(32, 0xff)) });
    const a = structuredClone(FIXTURE_LINE);
    const b = structuredClone(FIXTURE_LINE);
    testRedactor().redactRecord(a, {});
    other.redactRecord(b, {});
    const fps = (v: unknown) => new Set(JSON.stringify(v).match(/hmac-sha256:[0-9a-f]{64}/g));
    const fa = fps(a);
    const fb = fps(b);
    expect(fa.size).toBe(5);
    expect(fb.size).toBe(5);
    for (const fp of fa) expect(fb.has(fp)).toBe(false);
  });
});

describe("the project's raw fixtures (fixtures/raw/*.ndjson)", () => {
  const dir = new URL('../../../fixtures/raw/', import.meta.url);
  const lines = readdirSync(dir)
    .filter((f) => f.endsWith('.ndjson'))
    .flatMap((f) =>
      readFileSync(new URL(f, dir), 'utf8')
        .split('\n')
        .filter((l) => l.trim() !== ''),
    );

  it('keep no bearer token, JWT or request body secret after redaction, and stay identical when redacted again', () => {
    const redactor = testRedactor();
    let parsed = 0;
    for (const line of lines) {
      let record: unknown;
      const counts: RedactionCounts = {};
      let out: string;
      try {
        record = JSON.parse(line);
        // Not a record (a bare string, number...): the transform dead-letters it as text.
        if (typeof record !== 'object' || record === null) throw new SyntaxError('not a record');
        parsed++;
        redactor.redactRecord(record, counts);
        out = JSON.stringify(record);
        const again = JSON.parse(out) as unknown;
        const second: RedactionCounts = {};
        redactor.redactRecord(again, second);
        expect(second).toEqual({});
        expect(JSON.stringify(again)).toBe(out);
      } catch (e) {
        if (!(e instanceof SyntaxError)) throw e;
        // A malformed line is redacted as text, as the dead-letter path does.
        out = redactor.redactText(line, counts);
        expect(redactor.redactText(out, {})).toBe(out);
      }
      expect(out).not.toMatch(/eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]+/);
      expect(out).not.toMatch(/Bearer [A-Za-z0-9]/);
      expect(out).not.toMatch(/"(plaintext|ciphertext|payload|password|private_key)":"(?!hmac-sha256:|\[redacted:)/);
    }
    expect(parsed).toBeGreaterThan(0);
  });
});
