import { createHmac, randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AuditlineError } from '../../src/errors.js';
import { DEFAULT_KEY_FILE, HMAC_KEY_ENV, HMAC_KEY_FILE_ENV, hmacKeyFromBytes, loadHmacKey, parseKeyText } from '../../src/secrets/hmac-key.js';

const TEST_KEY_HEX = '000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f';
const hmacHex = (keyHex: string, value: string) => createHmac('sha256', Buffer.from(keyHex, 'hex')).update(value, 'utf8').digest('hex');
const isPosix = process.platform !== 'win32';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'auditline-key-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

function expectKeyError(f: () => unknown, code = 'AL_KEY_INVALID'): AuditlineError {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(AuditlineError);
    expect((e as AuditlineError).code).toBe(code);
    return e as AuditlineError;
  }
  throw new Error('expected an AuditlineError');
}

describe('fingerprints', () => {
  it('are hmac-sha256: + hex(HMAC-SHA256(key, utf8(value))), Vault style', () => {
    const key = hmacKeyFromBytes(Buffer.from(TEST_KEY_HEX, 'hex'));
    for (const v of ['', 'hunter2', 'é ü 🔑', 'x'.repeat(1000)]) {
      expect(key.fingerprint(v)).toBe(`hmac-sha256:${hmacHex(TEST_KEY_HEX, v)}`);
    }
    // Computed with Python's hmac module, independently of Node.
    expect(key.fingerprint('hunter2')).toBe('hmac-sha256:8629d712da366318588317f3f98c728c71d4819f843d95db8803c019c561c1e7');
  });

  it('equal node:crypto createHmac for keys of every length and values of every size and script', () => {
    const values = ['', 'a', 'x'.repeat(55), 'x'.repeat(56), 'x'.repeat(64), 'x'.repeat(119), 'y'.repeat(5000), 'é😀\u0000\ud800'.repeat(40)];
    for (const keyBytes of [32, 63, 64, 65, 100, 200]) {
      const k = randomBytes(keyBytes);
      const key = hmacKeyFromBytes(k);
      for (const v of values) {
        expect(key.fingerprint(v), `${keyBytes}-byte key, ${v.length} chars`).toBe(`hmac-sha256:${createHmac('sha256', k).update(v, 'utf8').digest('hex')}`);
      }
      // The scratch buffer is reused: a long value, then a short one, must not mix.
      expect(key.fingerprint('short')).toBe(`hmac-sha256:${createHmac('sha256', k).update('short', 'utf8').digest('hex')}`);
    }
  });

  it('equal node:crypto createHmac for any key and any string (property)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 32, maxLength: 150 }), fc.array(fc.string({ unit: 'binary', maxLength: 300 }), { maxLength: 5 }), (k, vs) => {
        const key = hmacKeyFromBytes(k);
        for (const v of vs) expect(key.fingerprint(v)).toBe(`hmac-sha256:${createHmac('sha256', k).update(v, 'utf8').digest('hex')}`);
      }),
      { numRuns: 300 },
    );
  });

  it('change, every one of them, when the key changes', () => {
    const a = hmacKeyFromBytes(Buffer.from(TEST_KEY_HEX, 'hex'));
    const b = hmacKeyFromBytes(randomBytes(32));
    for (const v of ['a', 'hunter2', 'Bearer x', '']) expect(a.fingerprint(v)).not.toBe(b.fingerprint(v));
    expect(a.id).not.toBe(b.id);
  });

  it('come with a short key id: the first 8 hex digits of sha256(key)', () => {
    const key = hmacKeyFromBytes(Buffer.from(TEST_KEY_HEX, 'hex'));
    expect(key.id).toMatch(/^[0-9a-f]{8}$/);
    expect(key.id).toBe('630dcd29');
  });
});

describe('the key object', () => {
  it('never prints the key', () => {
    const key = hmacKeyFromBytes(Buffer.from(TEST_KEY_HEX, 'hex'));
    const shown = [inspect(key, { showHidden: true, depth: 10, getters: true }), JSON.stringify(key), String(key.material), `${key.material}`];
    for (const s of shown) {
      expect(s).not.toContain(TEST_KEY_HEX);
      expect(s).not.toContain(Buffer.from(TEST_KEY_HEX, 'hex').toString('base64'));
    }
  });

  it('hands its bytes out as a Secret copy, for worker threads', () => {
    const bytes = Buffer.from(TEST_KEY_HEX, 'hex');
    const key = hmacKeyFromBytes(bytes);
    const copy = key.material.reveal();
    expect(Buffer.from(copy).toString('hex')).toBe(TEST_KEY_HEX);
    copy.fill(0);
    bytes.fill(0);
    expect(key.fingerprint('v')).toBe(`hmac-sha256:${hmacHex(TEST_KEY_HEX, 'v')}`);
    expect(hmacKeyFromBytes(key.material.reveal()).fingerprint('v')).toBe(key.fingerprint('v'));
  });

  it('refuses fewer than 32 bytes', () => {
    expectKeyError(() => hmacKeyFromBytes(new Uint8Array(31)));
  });
});

describe('key text', () => {
  it('is read as hex first, then base64 or base64url, with surrounding whitespace ignored', () => {
    const bytes = Buffer.from(TEST_KEY_HEX, 'hex');
    expect(parseKeyText(`  ${TEST_KEY_HEX.toUpperCase()}\n`, 'test')).toEqual(bytes);
    expect(parseKeyText(bytes.toString('base64'), 'test')).toEqual(bytes);
    expect(parseKeyText(bytes.toString('base64url'), 'test')).toEqual(bytes);
    expect(parseKeyText(bytes.toString('base64').replace(/=+$/, ''), 'test')).toEqual(bytes);
  });

  it('must decode to at least 32 bytes; the message names the origin, never the key', () => {
    for (const bad of ['', 'not a key!', '00ff', Buffer.alloc(31).toString('hex'), Buffer.alloc(16).toString('base64'), '%'.repeat(64)]) {
      const err = expectKeyError(() => parseKeyText(bad, 'environment variable AUDITLINE_HMAC_KEY'));
      expect(err.message).toContain('AUDITLINE_HMAC_KEY');
      if (bad.length > 4) expect(err.message).not.toContain(bad);
    }
  });
});

describe('loadHmacKey', () => {
  it('prefers AUDITLINE_HMAC_KEY over every file', () => {
    const file = join(dir, 'other.key');
    writeFileSync(file, randomBytes(32).toString('hex'));
    writeFileSync(join(dir, DEFAULT_KEY_FILE), randomBytes(32).toString('hex'));
    const key = loadHmacKey({ env: { [HMAC_KEY_ENV]: TEST_KEY_HEX, [HMAC_KEY_FILE_ENV]: file }, keyFile: file, dataDir: dir });
    expect(key.fingerprint('v')).toBe(`hmac-sha256:${hmacHex(TEST_KEY_HEX, 'v')}`);
  });

  it('reads a base64 key from the environment', () => {
    const key = loadHmacKey({ env: { [HMAC_KEY_ENV]: Buffer.from(TEST_KEY_HEX, 'hex').toString('base64') }, dataDir: dir });
    expect(key.fingerprint('v')).toBe(`hmac-sha256:${hmacHex(TEST_KEY_HEX, 'v')}`);
  });

  it('rejects a malformed or short key in the environment with AL_KEY_INVALID, even an empty one', () => {
    for (const bad of ['', 'xyz', '0011', Buffer.alloc(20).toString('base64')]) {
      expectKeyError(() => loadHmacKey({ env: { [HMAC_KEY_ENV]: bad }, dataDir: dir }));
    }
    expect(existsSync(join(dir, DEFAULT_KEY_FILE))).toBe(false);
  });

  it('uses the keyFile option over AUDITLINE_HMAC_KEY_FILE, and that over the data folder', () => {
    const optionFile = join(dir, 'option.key');
    const envFile = join(dir, 'env.key');
    const other = randomBytes(32).toString('hex');
    writeFileSync(optionFile, `${TEST_KEY_HEX}\n`);
    writeFileSync(envFile, other);
    writeFileSync(join(dir, DEFAULT_KEY_FILE), randomBytes(32).toString('hex'));
    expect(loadHmacKey({ env: { [HMAC_KEY_FILE_ENV]: envFile }, keyFile: optionFile, dataDir: dir }).fingerprint('v')).toBe(
      `hmac-sha256:${hmacHex(TEST_KEY_HEX, 'v')}`,
    );
    expect(loadHmacKey({ env: { [HMAC_KEY_FILE_ENV]: envFile }, dataDir: dir }).fingerprint('v')).toBe(`hmac-sha256:${hmacHex(other, 'v')}`);
  });

  it('does not invent a key for a named key file that is missing', () => {
    const missing = join(dir, 'missing.key');
    const err = expectKeyError(() => loadHmacKey({ env: {}, keyFile: missing, dataDir: dir }), 'AL_CONFIG_NOT_FOUND');
    expect(err.message).toContain(missing);
    expect(existsSync(missing)).toBe(false);
  });

  it('rejects a malformed key file, and leaves it as it is', () => {
    const file = join(dir, DEFAULT_KEY_FILE);
    writeFileSync(file, 'garbage');
    expectKeyError(() => loadHmacKey({ env: {}, dataDir: dir }));
    expect(readFileSync(file, 'utf8')).toBe('garbage');
  });

  it('creates a key on first use in <dataDir>/hmac.key, mode 0600, and reuses it afterwards', () => {
    const dataDir = join(dir, 'nested', 'auditline-data');
    const first = loadHmacKey({ env: {}, dataDir });
    const file = join(dataDir, DEFAULT_KEY_FILE);
    expect(existsSync(file)).toBe(true);
    if (isPosix) expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(readFileSync(file, 'utf8')).toMatch(/^[0-9a-f]{64}\n$/);
    const second = loadHmacKey({ env: {}, dataDir });
    expect(second.id).toBe(first.id);
    expect(second.fingerprint('v')).toBe(first.fingerprint('v'));
    expect(readdirSync(dataDir)).toEqual([DEFAULT_KEY_FILE]);
  });

  it('creates different keys for different installations', () => {
    const a = loadHmacKey({ env: {}, dataDir: join(dir, 'a') });
    const b = loadHmacKey({ env: {}, dataDir: join(dir, 'b') });
    expect(a.fingerprint('v')).not.toBe(b.fingerprint('v'));
  });

  it('reports an unreadable key file without its contents', () => {
    if (!isPosix || process.getuid?.() === 0) return; // root reads anything
    const file = join(dir, DEFAULT_KEY_FILE);
    writeFileSync(file, TEST_KEY_HEX, { mode: 0o600 });
    chmodSync(file, 0o000);
    const err = expectKeyError(() => loadHmacKey({ env: {}, dataDir: dir }));
    expect(err.message).not.toContain(TEST_KEY_HEX);
  });
});
