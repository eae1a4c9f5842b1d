import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify, type KeyObject } from 'node:crypto';
import { closeSync, fsyncSync, linkSync, mkdirSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { AuditlineError } from '../errors.js';
import { Secret } from './secret.js';

/**
 * The Ed25519 key that signs the store's digests. Ed25519 rather than an HMAC with the installation
 * key: an auditor checks signatures with the public key alone, which lets them verify but not forge;
 * an HMAC would have to be checked with the installation key itself, which also fingerprints every
 * secret in the events and must never leave the host.
 *
 * Optional: digests are chained either way; with a key they are also signed.
 */

/** A PEM private key file to sign with, instead of the data folder's. */
export const SIGNING_KEY_FILE_ENV = 'AUDITLINE_SIGNING_KEY_FILE';
/** Name of the key file in the data folder, beside the HMAC key (`auditline digests keygen` creates it). */
export const DEFAULT_SIGNING_KEY_FILE = 'signing.key';
/** Hex digits of sha256(public key) shown as the key id. */
const KEY_ID_HEX_DIGITS = 16;
const KEY_FILE_MODE = 0o600;
const DATA_DIR_MODE = 0o700;

export interface SigningKey {
  /** First hex digits of sha256 of the public key (DER), stored beside each signature. */
  readonly keyId: string;
  /** The public key as PEM (SPKI), for auditors. */
  readonly publicKeyPem: string;
  /** Ed25519 signature of `data`, base64. */
  sign(data: Buffer): string;
  /** The private key, should it have to be handed on. Prints as `[redacted]`. */
  readonly material: Secret<KeyObject>;
}

export interface PublicKey {
  readonly keyId: string;
  verify(data: Buffer, signatureBase64: string): boolean;
}

export function signingKeyPath(opts: { dataDir: string; env?: NodeJS.ProcessEnv | undefined; file?: string | undefined }): string {
  const env = opts.env ?? process.env;
  return opts.file ?? (env[SIGNING_KEY_FILE_ENV] || join(opts.dataDir, DEFAULT_SIGNING_KEY_FILE));
}

/**
 * The signing key, from `file`, else `AUDITLINE_SIGNING_KEY_FILE`, else `<dataDir>/signing.key`.
 * Absent from the data folder: undefined (digests are chained, not signed). A file named
 * explicitly must exist, since silently not signing is what that name asks to avoid.
 */
export function loadSigningKey(opts: { dataDir: string; env?: NodeJS.ProcessEnv | undefined; file?: string | undefined }): SigningKey | undefined {
  const env = opts.env ?? process.env;
  const explicit = opts.file !== undefined || Boolean(env[SIGNING_KEY_FILE_ENV]);
  const path = signingKeyPath(opts);
  let pem: string;
  try {
    pem = readFileSync(path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' && !explicit) return undefined;
    if (code === 'ENOENT') throw new AuditlineError('AL_CONFIG_NOT_FOUND', 'the signing key file does not exist', { file: path });
    throw new AuditlineError('AL_SIGNING_KEY_INVALID', `the signing key file cannot be read (${code ?? 'error'})`, { file: path }, { cause: e });
  }
  return signingKeyFromPem(pem, path);
}

function signingKeyFromPem(pem: string, origin: string): SigningKey {
  let key: KeyObject;
  try {
    key = createPrivateKey(pem);
  } catch {
    // The parser's message may quote the key; name the file only.
    throw new AuditlineError('AL_SIGNING_KEY_INVALID', 'the signing key is not a PEM private key', { file: origin });
  }
  if (key.asymmetricKeyType !== 'ed25519')
    throw new AuditlineError('AL_SIGNING_KEY_INVALID', `the signing key is ${key.asymmetricKeyType ?? 'not asymmetric'}, not Ed25519`, { file: origin });
  const pub = createPublicKey(key);
  return {
    keyId: keyIdOf(pub),
    publicKeyPem: pub.export({ type: 'spki', format: 'pem' }).toString(),
    sign: (data) => sign(null, data, key).toString('base64'),
    get material() {
      return new Secret(key);
    },
  };
}

function keyIdOf(pub: KeyObject): string {
  return createHash('sha256')
    .update(pub.export({ type: 'spki', format: 'der' }))
    .digest('hex')
    .slice(0, KEY_ID_HEX_DIGITS);
}

/** A public key (PEM, SPKI) to check signatures with. */
export function publicKeyFromPem(pem: string, origin: string): PublicKey {
  let pub: KeyObject;
  try {
    pub = createPublicKey(pem);
  } catch {
    throw new AuditlineError('AL_SIGNING_KEY_INVALID', 'not a PEM public key', { file: origin });
  }
  if (pub.asymmetricKeyType !== 'ed25519') throw new AuditlineError('AL_SIGNING_KEY_INVALID', 'the public key is not Ed25519', { file: origin });
  return {
    keyId: keyIdOf(pub),
    verify: (data, signature) => verify(null, data, pub, Buffer.from(signature, 'base64')),
  };
}

/**
 * Creates a new signing key file (PKCS#8 PEM, mode 0600) the way the HMAC key file is created: a
 * private temporary file, synced, then hard-linked to its name, so a reader never sees half a key and
 * an existing key is never replaced (that would orphan every signature made with it).
 */
export function createSigningKeyFile(path: string, dataDir: string): SigningKey {
  try {
    mkdirSync(dataDir, { recursive: true, mode: DATA_DIR_MODE });
  } catch (e) {
    throw new AuditlineError('AL_SINK_IO', 'the data folder for the signing key cannot be created', { file: dataDir }, { cause: e });
  }
  const { privateKey } = generateKeyPairSync('ed25519');
  const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  const tmp = `${path}.${process.pid}.tmp`;
  try {
    const fd = openSync(tmp, 'wx', KEY_FILE_MODE);
    try {
      writeSync(fd, pem);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    linkSync(tmp, path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST')
      throw new AuditlineError('AL_SIGNING_KEY_INVALID', 'a signing key already exists; it is kept', { file: path });
    throw new AuditlineError('AL_SINK_IO', 'the signing key file cannot be created', { file: path }, { cause: e });
  } finally {
    rmSync(tmp, { force: true });
  }
  return signingKeyFromPem(pem, path);
}
