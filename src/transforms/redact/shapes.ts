/**
 * Shapes of secret values, tested only where the context already says "secret here"
 * (after a secret-named key, inside a field named `key`, ...). On their own, a 32-hex account
 * id or a UUID would match some of them; that is why none of these runs on bare text.
 */
import type { DetectorKind } from './marks.js';
import type { SecretFieldRule } from './field-rules.js';

/** Byte lengths of symmetric keys, DEKs and HMAC keys: AES-128/192/256, 384- and 512-bit secrets. */
const KEY_MATERIAL_BYTES = new Set([16, 24, 32, 48, 64]);
/** Hex and base64 of the smallest and largest key-material lengths. */
const MIN_KEY_MATERIAL_CHARS = 22;
const MAX_KEY_MATERIAL_CHARS = 128;
const BASE64_CHARS_PER_3_BYTES = 4;
const HEX = /^[0-9a-fA-F]+$/;
const BASE64 = /^[A-Za-z0-9+/_-]+={0,2}$/;
/** IBM Cloud API keys: 44 characters of the URL-safe base64 alphabet. */
const IBM_API_KEY = /^[A-Za-z0-9_-]{44}$/;
/** AWS (and IBM COS HMAC) secret access keys: 40 characters of base64. */
const AWS_SECRET_KEY = /^[A-Za-z0-9/+]{40}$/;
/** A JSON literal that is not a string: numbers and booleans are kept, as Vault keeps them. */
const JSON_NON_STRING = /^(?:-?\d[\d.eE+-]*|true|false|null)$/;

/** Hex or base64 (standard or URL-safe, padded or not) of 16, 24, 32, 48 or 64 bytes. */
export function looksLikeKeyMaterial(v: string): boolean {
  const n = v.length;
  if (n < MIN_KEY_MATERIAL_CHARS || n > MAX_KEY_MATERIAL_CHARS) return false;
  if (HEX.test(v)) return n % 2 === 0 && KEY_MATERIAL_BYTES.has(n / 2);
  if (!BASE64.test(v)) return false;
  const pad = v.endsWith('==') ? 2 : v.endsWith('=') ? 1 : 0;
  if (pad > 0 ? n % BASE64_CHARS_PER_3_BYTES !== 0 : n % BASE64_CHARS_PER_3_BYTES === 1) return false;
  return KEY_MATERIAL_BYTES.has(Math.floor(((n - pad) * 3) / BASE64_CHARS_PER_3_BYTES));
}

export function isJsonNonString(v: string): boolean {
  return JSON_NON_STRING.test(v);
}

/** The kind a secret-named value counts under: an API key or AWS secret when it has their exact shape. */
export function kindOfSecretValue(rule: SecretFieldRule, value: string): DetectorKind {
  if (rule.context === 'ibm-api-key' && IBM_API_KEY.test(value)) return 'ibm-api-key';
  if (rule.context === 'aws-secret-key' && AWS_SECRET_KEY.test(value)) return 'aws-secret-key';
  return 'kv-secret';
}
