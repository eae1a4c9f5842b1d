import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import yargs from 'yargs';
import { hashCommand } from '../../src/cli/hash.js';
import { HMAC_KEY_ENV, HMAC_KEY_FILE_ENV, loadHmacKey } from '../../src/secrets/hmac-key.js';
import { createRedactor } from '../../src/transforms/redact/index.js';

const TEST_KEY_HEX = '000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'auditline-hash-'));
  vi.stubEnv(HMAC_KEY_ENV, undefined);
  vi.stubEnv(HMAC_KEY_FILE_ENV, undefined);
});
afterEach(() => {
  vi.unstubAllEnvs();
  vi.restoreAllMocks();
  rmSync(dir, { recursive: true, force: true });
});

/** Runs `auditline hash ...` in-process and returns what it printed. */
async function hash(...args: string[]): Promise<string> {
  let printed = '';
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    printed += String(chunk);
    return true;
  });
  await yargs(['hash', ...args])
    .command(hashCommand as never)
    .strict()
    .parseAsync();
  vi.mocked(process.stdout.write).mockRestore();
  return printed;
}

describe('auditline hash', () => {
  it('prints exactly one line: the fingerprint under AUDITLINE_HMAC_KEY', async () => {
    vi.stubEnv(HMAC_KEY_ENV, TEST_KEY_HEX);
    expect(await hash('hunter2', '--data-dir', dir)).toBe('hmac-sha256:8629d712da366318588317f3f98c728c71d4819f843d95db8803c019c561c1e7\n');
  });

  it('prints the fingerprint the redactor stored for the same value', async () => {
    const redactor = createRedactor({ key: loadHmacKey({ env: {}, dataDir: dir }) });
    const record = { body: { password: 'correct horse' }, msg: 'token=abc123456 used' };
    redactor.redactRecord(record, {});
    expect(await hash('correct horse', '--data-dir', dir)).toBe(`${record.body.password}\n`);
    const printed = (await hash('abc123456', '--data-dir', dir)).trim();
    expect(record.msg).toBe(`token=[redacted:kv-secret ${printed}] used`);
  });

  it('creates the installation key on first use and reuses it', async () => {
    const first = await hash('v', '--data-dir', dir);
    const second = await hash('v', '--data-dir', dir);
    expect(first).toMatch(/^hmac-sha256:[0-9a-f]{64}\n$/);
    expect(second).toBe(first);
    expect(`${loadHmacKey({ env: {}, dataDir: dir }).fingerprint('v')}\n`).toBe(first);
  });

  it('uses --key-file', async () => {
    const { writeFileSync } = await import('node:fs');
    const file = join(dir, 'k.key');
    writeFileSync(file, TEST_KEY_HEX);
    expect(await hash('hunter2', '--key-file', file, '--data-dir', join(dir, 'unused'))).toBe(
      'hmac-sha256:8629d712da366318588317f3f98c728c71d4819f843d95db8803c019c561c1e7\n',
    );
  });

  it('hashes numeric-looking values as the strings they are', async () => {
    vi.stubEnv(HMAC_KEY_ENV, TEST_KEY_HEX);
    const key = loadHmacKey({ env: { [HMAC_KEY_ENV]: TEST_KEY_HEX }, dataDir: dir });
    expect(await hash('0123', '--data-dir', dir)).toBe(`${key.fingerprint('0123')}\n`);
    expect(await hash('1e3', '--data-dir', dir)).toBe(`${key.fingerprint('1e3')}\n`);
  });

  it('wants the value as an argument or --stdin, exactly one of them', async () => {
    vi.stubEnv(HMAC_KEY_ENV, TEST_KEY_HEX);
    await expect(hash('--data-dir', dir)).rejects.toMatchObject({ code: 'AL_CLI_USAGE' });
    await expect(hash('x', '--stdin', '--data-dir', dir)).rejects.toMatchObject({ code: 'AL_CLI_USAGE' });
  });

  it('never prints the key', async () => {
    vi.stubEnv(HMAC_KEY_ENV, TEST_KEY_HEX);
    expect(await hash('x', '--data-dir', dir)).not.toContain(TEST_KEY_HEX);
  });
});
