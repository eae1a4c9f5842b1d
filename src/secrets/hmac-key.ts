import { createHash, hash, randomBytes } from 'node:crypto';
import { closeSync, fsyncSync, linkSync, mkdirSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { AuditlineError } from '../errors.js';
import { Secret } from './secret.js';

/** The key itself, hex or base64. Wins over every file. */
export const HMAC_KEY_ENV = 'AUDITLINE_HMAC_KEY';
/** A file holding the key (hex or base64 text). */
export const HMAC_KEY_FILE_ENV = 'AUDITLINE_HMAC_KEY_FILE';
/** Name of the key file generated in the data folder on first use. */
export const DEFAULT_KEY_FILE = 'hmac.key';
/** HMAC-SHA256 is only as strong as its key: below the hash's own output size it is weakened. */
export const MIN_KEY_BYTES = 32;
/** Size of a generated key. */
export const GENERATED_KEY_BYTES = 32;
/** What every fingerprint starts with (the HMAC type, as Vault's `salt.GetIdentifiedHMAC` writes it). */
export const FINGERPRINT_PREFIX = 'hmac-sha256:';
/** Hex digits of sha256(key) shown as the key id: enough to tell keys apart, nothing to attack. */
const KEY_ID_HEX_DIGITS = 8;
/** Owner read/write only, as Vault keeps its salts and ssh its private keys. */
const KEY_FILE_MODE = 0o600;
const DATA_DIR_MODE = 0o700;

/** The installation key, as the rest of the program sees it: an id and a keyed fingerprint function. */
export interface HmacKey {
  /** Short id of the key (first hex digits of sha256(key)), so a rotation is visible in events and summaries. */
  readonly id: string;
  /** `hmac-sha256:` + hex(HMAC-SHA256(key, utf8(value))), Vault style. */
  fingerprint(value: string): string;
  /**
   * The key bytes, for handing the key to a worker thread in memory. Prints as `[redacted]`;
   * `reveal()` returns a copy, so the caller cannot change the key this object uses.
   */
  readonly material: Secret<Uint8Array>;
}

export interface LoadHmacKeyOptions {
  /** Environment to read `AUDITLINE_HMAC_KEY` and `AUDITLINE_HMAC_KEY_FILE` from. Default: `process.env`. */
  env?: NodeJS.ProcessEnv;
  /** `--key-file`: a key file to use instead of `AUDITLINE_HMAC_KEY_FILE` and the data folder's. */
  keyFile?: string | undefined;
  /** The data folder; its `hmac.key` is used, or created on first use. */
  dataDir: string;
}

/**
 * The installation key, from the first of: `AUDITLINE_HMAC_KEY`; the `keyFile` option, else
 * `AUDITLINE_HMAC_KEY_FILE`; `<dataDir>/hmac.key`. With none of them, a random key is created in
 * `<dataDir>/hmac.key` (mode 0600) and the same file is used from then on. A key file named
 * explicitly must exist: generating one there would silently change every fingerprint.
 */
export function loadHmacKey(opts: LoadHmacKeyOptions): HmacKey {
  const env = opts.env ?? process.env;
  const fromEnv = env[HMAC_KEY_ENV];
  if (fromEnv !== undefined) return hmacKeyFromBytes(parseKeyText(fromEnv, `environment variable ${HMAC_KEY_ENV}`));

  const explicitFile = opts.keyFile ?? env[HMAC_KEY_FILE_ENV];
  if (explicitFile !== undefined && explicitFile !== '') return hmacKeyFromBytes(readKeyFile(explicitFile, true));

  const defaultFile = join(opts.dataDir, DEFAULT_KEY_FILE);
  const existing = readKeyFile(defaultFile, false);
  return hmacKeyFromBytes(existing ?? createKeyFile(opts.dataDir, defaultFile));
}

/** A key from bytes already loaded (a worker thread receives them from the main thread). */
export function hmacKeyFromBytes(bytes: Uint8Array): HmacKey {
  if (bytes.length < MIN_KEY_BYTES) {
    throw new AuditlineError('AL_KEY_INVALID', `the HMAC key has ${bytes.length} bytes; at least ${MIN_KEY_BYTES} are required`);
  }
  // Our own copy: neither the caller nor a worker message can change it afterwards.
  const key = Buffer.from(bytes);
  const id = createHash('sha256').update(key).digest('hex').slice(0, KEY_ID_HEX_DIGITS);
  return {
    id,
    fingerprint: hmacSha256Hex(key),
    get material() {
      return new Secret<Uint8Array>(Uint8Array.from(key));
    },
  };
}

/** SHA-256 works on 64-byte blocks; HMAC pads (or first hashes) the key to one block. */
const SHA256_BLOCK_BYTES = 64;
const SHA256_BYTES = 32;
const IPAD = 0x36;
const OPAD = 0x5c;
/** Most values (tokens, DEKs) fit; a longer one grows the buffer. */
const INITIAL_MESSAGE_BYTES = 4096;
const MAX_UTF8_BYTES_PER_UTF16_UNIT = 3;

/**
 * `hmac-sha256:` + hex(HMAC-SHA256(key, utf8(value))), built as RFC 2104 defines it from two
 * one-shot SHA-256 calls with the padded key blocks prepared once: H((K ^ opad) || H((K ^ ipad) || m)).
 * Same result as `createHmac`, without constructing an Hmac object (key import, stream state) per
 * value, which was most of the cost of fingerprinting a record. The inner digest comes back as a
 * latin1 string written straight into the outer block, and the message is hashed through a plain
 * view: a `Buffer` digest and `subarray` (node's slow path for the 'buffer' encoding, two Buffer
 * objects) made each fingerprint cost 2.8 us against 1.9-2.05 us so (bench VM, 150-character
 * tokens). The key blocks stay in this closure; the message buffer is zeroed after each use so no
 * secret stays in it.
 */
function hmacSha256Hex(key: Buffer): (value: string) => string {
  const k = key.length > SHA256_BLOCK_BYTES ? hash('sha256', key, 'buffer') : key;
  const innerPad = Buffer.alloc(SHA256_BLOCK_BYTES, IPAD);
  const outer = Buffer.alloc(SHA256_BLOCK_BYTES + SHA256_BYTES, OPAD);
  for (let i = 0; i < k.length; i++) {
    innerPad[i]! ^= k[i]!;
    outer[i]! ^= k[i]!;
  }
  let message = Buffer.alloc(SHA256_BLOCK_BYTES + INITIAL_MESSAGE_BYTES);
  innerPad.copy(message);
  return (value) => {
    const needed = SHA256_BLOCK_BYTES + value.length * MAX_UTF8_BYTES_PER_UTF16_UNIT;
    if (needed > message.length) {
      message = Buffer.alloc(needed);
      innerPad.copy(message);
    }
    const end = SHA256_BLOCK_BYTES + message.write(value, SHA256_BLOCK_BYTES, 'utf8');
    outer.write(hash('sha256', new Uint8Array(message.buffer, message.byteOffset, end), 'binary'), SHA256_BLOCK_BYTES, 'latin1');
    message.fill(0, SHA256_BLOCK_BYTES, end);
    return FINGERPRINT_PREFIX + hash('sha256', outer, 'hex');
  };
}

/**
 * Key text as hex (even length, hex digits only; tried first) or base64 (standard or URL-safe,
 * padding optional). Surrounding whitespace, such as a file's final newline, is ignored.
 * Messages name where the key came from, never any part of it.
 */
export function parseKeyText(text: string, origin: string): Buffer {
  const s = text.trim();
  let bytes: Buffer | undefined;
  if (s.length % 2 === 0 && /^[0-9a-fA-F]+$/.test(s)) bytes = Buffer.from(s, 'hex');
  else if (/^[A-Za-z0-9+/_-]+={0,2}$/.test(s) && s.length % 4 !== 1) bytes = Buffer.from(s, 'base64');
  if (bytes === undefined) {
    throw new AuditlineError('AL_KEY_INVALID', `the HMAC key in ${origin} is neither hex nor base64`);
  }
  if (bytes.length < MIN_KEY_BYTES) {
    throw new AuditlineError(
      'AL_KEY_INVALID',
      `the HMAC key in ${origin} decodes to ${bytes.length} bytes; at least ${MIN_KEY_BYTES} are required (generate one with: openssl rand -hex ${GENERATED_KEY_BYTES})`,
    );
  }
  return bytes;
}

function readKeyFile(path: string, mustExist: true): Buffer;
function readKeyFile(path: string, mustExist: false): Buffer | undefined;
function readKeyFile(path: string, mustExist: boolean): Buffer | undefined {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' && !mustExist) return undefined;
    if (code === 'ENOENT') throw new AuditlineError('AL_CONFIG_NOT_FOUND', `the HMAC key file does not exist`, { file: path });
    throw new AuditlineError('AL_KEY_INVALID', `the HMAC key file cannot be read (${code ?? 'error'})`, { file: path }, { cause: e });
  }
  return parseKeyText(text, `key file ${path}`);
}

/**
 * Creates the key file so that no reader ever sees it half written: the key goes to a private
 * temporary file first (mode 0600, `wx`, synced), which is then hard-linked to its final name.
 * `link` fails if the name exists, so when two processes start at once, one key wins and the
 * other process reads it.
 */
function createKeyFile(dataDir: string, path: string): Buffer {
  try {
    mkdirSync(dataDir, { recursive: true, mode: DATA_DIR_MODE });
  } catch (e) {
    throw new AuditlineError('AL_SINK_IO', 'the data folder for the HMAC key cannot be created', { file: dataDir }, { cause: e });
  }
  const bytes = randomBytes(GENERATED_KEY_BYTES);
  const text = `${bytes.toString('hex')}\n`;
  const tmp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    writeNewFile(tmp, text);
    try {
      linkSync(tmp, path);
      return bytes;
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'EEXIST') return readKeyFile(path, true);
      if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'ENOSYS') throw e;
    }
    // A file system without hard links: exclusive create of the final name is the next best thing.
    try {
      writeNewFile(path, text);
      return bytes;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EEXIST') return readKeyFile(path, true);
      throw e;
    }
  } catch (e) {
    if (e instanceof AuditlineError) throw e;
    throw new AuditlineError('AL_SINK_IO', 'the HMAC key file cannot be created', { file: path }, { cause: e });
  } finally {
    rmSync(tmp, { force: true });
  }
}

function writeNewFile(path: string, text: string): void {
  const fd = openSync(path, 'wx', KEY_FILE_MODE);
  try {
    writeSync(fd, text);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}
