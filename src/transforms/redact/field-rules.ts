/**
 * Which field names hold secrets. Names are compared after `normalizeFieldName`, so
 * `client_secret`, `clientSecret`, `Client-Secret` and `o_client_secret` (archive rows) are one
 * name. Matching is by whole name, never by substring: `secret` is a secret, `secret_id`,
 * `secretType` and `secret_group_id` are identifiers and stay.
 */

/** A secret-named field: its whole value is fingerprinted (every string leaf of an object or array). */
export interface SecretFieldRule {
  readonly strength: 'secret';
  /** Count label (`field:<name>`); bounded: one per built-in name, `field` for everything else. */
  readonly label: string;
  /** Values start with an HTTP auth scheme (`Bearer <token>`): fingerprint the credential alone. */
  readonly authScheme: boolean;
  /** In text, an unquoted value runs to the end of the line (`Cookie: a=1; b=2`), not to the next space. */
  readonly untilEndOfLine: boolean;
  /** A value of this exact shape is counted under a more specific kind than `kv-secret`. */
  readonly context: 'ibm-api-key' | 'aws-secret-key' | undefined;
}

/** A name that holds a secret only when the value looks like key material (`key`, `dek`, ...). */
export interface KeyMaterialFieldRule {
  readonly strength: 'key-material';
  readonly label: 'key-material';
}

export type FieldRule = SecretFieldRule | KeyMaterialFieldRule;

/** Label of secret fields matched by suffix or named only in a pipeline: keeps the metric label set bounded. */
export const GENERIC_FIELD_LABEL = 'field';

/**
 * Built-in secret field names, as they are best known (the count label is `field:<name>`).
 * Beyond the common credential names, from the request and response bodies of the two services
 * (reference, sections 3.1, 3.4 and 4.2):
 * - Key Protect: `encryptedNonce` (import and rotate bodies), `rewrappedCiphertext` (unwrap with
 *   rewrap), `wrappedDek`/`encryptedKey`/`wrappedKey` (envelope encryption clients);
 * - Secrets Manager: `private_key_passphrase`-style names (suffix rule below), `client_token` and
 *   the accessors of the Vault login response;
 * - generic: `proxy-authorization`, `id_token`, `session_token`, `secret_key`, AWS secret keys,
 *   `key_material`, `hmac_key`, `master_key`, `encryption_key`, `signing_key`.
 */
export const SECRET_FIELD_NAMES: readonly string[] = [
  // HTTP
  'authorization',
  'proxy-authorization',
  'x-api-key',
  'x-auth-token',
  'cookie',
  'set-cookie',
  // credentials
  'password',
  'passwd',
  'passphrase',
  'secret',
  'api_key',
  'iam_apikey',
  'token',
  'access_token',
  'refresh_token',
  'id_token',
  'session_token',
  'auth_token',
  'client_secret',
  'private_key',
  'secret_key',
  'secret_access_key',
  'aws_secret_access_key',
  'credentials',
  'secret_data',
  // Vault (tokens and accessors, hashed by Vault's own audit devices too)
  'client_token',
  'accessor',
  'client_token_accessor',
  'wrapped_accessor',
  // key material and envelope encryption (Key Protect bodies)
  'payload',
  'plaintext',
  'ciphertext',
  'rewrapped_ciphertext',
  'nonce',
  'encrypted_nonce',
  'iv',
  'aad',
  'wrapped_dek',
  'encrypted_key',
  'wrapped_key',
  'key_material',
  'hmac_key',
  'master_key',
  'encryption_key',
  'signing_key',
];

/**
 * A name ending in one of these is a secret too (`classic_infrastructure_password`,
 * `cloud_internet_services_apikey`, `github_token`, `private_key_passphrase`), unless it is in
 * NOT_SECRET_NAMES. Identifiers end otherwise (`secret_id`, `token_type`, `tokenExpiry`).
 */
export const SECRET_NAME_SUFFIXES: readonly string[] = [
  'password',
  'passwd',
  'passphrase',
  'secret',
  'apikey',
  'token',
  'privatekey',
  'secretkey',
  'credentials',
];

/** Names that end like a secret but hold pagination cursors, not credentials. */
export const NOT_SECRET_NAMES: readonly string[] = ['next_token', 'page_token', 'continuation_token', 'pagination_token'];

/** Values of these names are fingerprinted only when they look like key material (base64 or hex of 16-64 bytes). */
export const KEY_MATERIAL_FIELD_NAMES: readonly string[] = ['key', 'dek', 'kek', 'cek', 'material', 'seed', 'salt', 'hmac'];

/** Names whose value is an HTTP `Authorization` header value. */
const AUTH_SCHEME_NAMES = new Set(['authorization', 'proxyauthorization']);
/** Header values that hold several `name=value` pairs separated by `;` and spaces. */
const LINE_VALUE_NAMES = new Set(['cookie', 'setcookie']);
/** AWS secret access keys (IBM Cloud Object Storage HMAC credentials use the same names). */
const AWS_SECRET_NAMES = new Set(['secretaccesskey', 'awssecretaccesskey', 'awssecretkey']);
/** IBM Cloud API keys: `apikey`, `api_key`, `iam_apikey`, `cloud_internet_services_apikey`, `--apikey`. */
const API_KEY_SUFFIX = 'apikey';

/** Archive rows (`_source.o_initiator.o_credential`) prefix nested objects with `o_`. */
const ARCHIVE_PREFIX = 'o_';
/** Longest name worth classifying; longer keys are data, not field names. */
const MAX_NAME_LENGTH = 64;
/** Past this many distinct names the memo is reset, so adversarial keys cannot grow memory. */
const MAX_MEMO_ENTRIES = 10_000;

/**
 * Lower case; the part after the last `.` (`db.password`); no archive `o_` prefix; without
 * `-`, `_` and spaces. `X-Api-Key`, `x_api_key` and `xApiKey` all become `xapikey`.
 */
export function normalizeFieldName(name: string): string {
  let n = name.toLowerCase();
  const dot = n.lastIndexOf('.');
  if (dot >= 0) n = n.slice(dot + 1);
  if (n.startsWith(ARCHIVE_PREFIX) && n.length > ARCHIVE_PREFIX.length) n = n.slice(ARCHIVE_PREFIX.length);
  return n.replace(/[-_ ]/g, '');
}

function secretRule(norm: string, label: string): SecretFieldRule {
  return {
    strength: 'secret',
    label,
    authScheme: AUTH_SCHEME_NAMES.has(norm),
    untilEndOfLine: LINE_VALUE_NAMES.has(norm),
    context: norm.endsWith(API_KEY_SUFFIX) ? 'ibm-api-key' : AWS_SECRET_NAMES.has(norm) ? 'aws-secret-key' : undefined,
  };
}

export interface FieldRules {
  /** The rule of a field name, or undefined when the name is not secret. Memoised per distinct name. */
  classify(name: string): FieldRule | undefined;
}

/**
 * Field rules with a pipeline's extra names (`redaction.fields`). Extra names that are not
 * built in count under the generic `field` label.
 */
export function createFieldRules(extraFields: readonly string[] = []): FieldRules {
  const exact = new Map<string, SecretFieldRule>();
  // The first spelling of a name in the list is its label (`api_key`, not `apikey`).
  for (const name of SECRET_FIELD_NAMES) {
    const norm = normalizeFieldName(name);
    if (!exact.has(norm)) exact.set(norm, secretRule(norm, `field:${name}`));
  }
  for (const name of extraFields) {
    const norm = normalizeFieldName(name);
    if (norm !== '' && !exact.has(norm)) exact.set(norm, secretRule(norm, GENERIC_FIELD_LABEL));
  }
  const notSecret = new Set(NOT_SECRET_NAMES.map(normalizeFieldName));
  const keyMaterial = new Set(KEY_MATERIAL_FIELD_NAMES.map(normalizeFieldName));
  const keyMaterialRule: KeyMaterialFieldRule = { strength: 'key-material', label: 'key-material' };

  const compute = (name: string): FieldRule | null => {
    if (name.length === 0 || name.length > MAX_NAME_LENGTH) return null;
    const norm = normalizeFieldName(name);
    const rule = exact.get(norm);
    if (rule) return rule;
    if (notSecret.has(norm)) return null;
    if (keyMaterial.has(norm)) return keyMaterialRule;
    for (const suffix of SECRET_NAME_SUFFIXES) if (norm.endsWith(suffix)) return secretRule(norm, GENERIC_FIELD_LABEL);
    return null;
  };

  // Field names repeat on every record: classify each distinct spelling once.
  let memo = new Map<string, FieldRule | null>();
  return {
    classify(name) {
      let rule = memo.get(name);
      if (rule === undefined) {
        rule = compute(name);
        if (memo.size >= MAX_MEMO_ENTRIES) memo = new Map();
        memo.set(name, rule);
      }
      return rule ?? undefined;
    },
  };
}
