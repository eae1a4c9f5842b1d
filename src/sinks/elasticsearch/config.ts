import { readFileSync } from 'node:fs';
import { Ajv, type ErrorObject } from 'ajv';
import { AuditlineError, ConfigError } from '../../errors.js';
import { Secret } from '../../secrets/secret.js';
import { parseLocatedYaml } from '../../config/yaml-file.js';

/**
 * The Elasticsearch loader's configuration: which cluster holds which locations, how data streams
 * roll over and expire, how bulk requests are cut. Validated purely and offline (no network); the
 * clients are built from it in `clusters.ts`.
 */

/** Every location goes to this cluster: what `--es URL` means. */
export const ANY_LOCATION = '*';

export type ClusterAuth = { apiKey: Secret } | { username: string; password: Secret };

export interface ClusterConfig {
  /** Name used in reports and errors (the key under `clusters:`, or `default` for `--es URL`) */
  name: string;
  /** Node URL, without credentials */
  url: string;
  auth?: ClusterAuth;
  /** PEM file of the CA that signed the cluster's certificate; read when the client is built. */
  caFile?: string;
  /** Locations stored on this cluster, or `*` for every location no other cluster lists */
  locations: readonly string[] | typeof ANY_LOCATION;
}

export interface IlmOptions {
  /** Roll the write index over at this primary shard size (default `50gb`, Elastic's recommendation) */
  maxPrimaryShardSize: string;
  /** ...or at this age (default `30d`), so one month is one backing index at low volume */
  maxAge: string;
  /** Delete backing indices this long after rollover; absent (the default) keeps every event: audit trails are often kept for years. */
  deleteAfter?: string;
}

export interface BulkOptions {
  /** Uncompressed bytes per bulk request (default 5 MiB: Elastic advises 5-15 MB; smaller keeps a failed request's resend cheap). */
  maxBytes: number;
  /** Bulk requests in flight per cluster (default 2: one being indexed while the next is sent). */
  concurrency: number;
  /** A request unanswered for this long is abandoned and its events retried (default 30 s, the client's own default). */
  requestTimeoutMs: number;
}

export interface ElasticsearchConfig {
  clusters: ClusterConfig[];
  ilm: IlmOptions;
  bulk: BulkOptions;
  /**
   * Look a write's ids up in the whole data stream before creating them (default true). `create` finds an
   * existing `_id` only in the current write index, so after a rollover re-ingesting an old file would
   * store its events a second time; one search per location and write makes re-runs exact duplicates.
   */
  searchBeforeCreate: boolean;
  /** The file it was read from, for messages */
  file?: string;
}

export const DEFAULT_ILM: IlmOptions = { maxPrimaryShardSize: '50gb', maxAge: '30d' };
export const DEFAULT_BULK: BulkOptions = { maxBytes: 5 * 1024 * 1024, concurrency: 2, requestTimeoutMs: 30_000 };

/** Environment variable with an API key for `--es URL` (a URL's own `user:password@` also works). */
export const API_KEY_ENV = 'AUDITLINE_ES_API_KEY';

const LOCATION_PATTERN = '^[a-z0-9-]+$';
const DURATION_PATTERN = '^[0-9]+(d|h|m|s|ms)$';
const SIZE_PATTERN = '^[0-9]+(b|kb|mb|gb|tb|pb)$';

/** A secret in the file: a literal, or the name of the environment variable holding it (keeps secrets out of files). */
const secretSchema = {
  oneOf: [
    { type: 'string', minLength: 1 },
    { type: 'object', properties: { env: { type: 'string', minLength: 1 } }, required: ['env'], additionalProperties: false },
  ],
};

const fileSchema = {
  type: 'object',
  properties: {
    clusters: {
      type: 'object',
      minProperties: 1,
      propertyNames: { pattern: '^[A-Za-z0-9_.-]+$' },
      additionalProperties: {
        type: 'object',
        properties: {
          url: { type: 'string', pattern: '^https?://' },
          apiKey: secretSchema,
          username: { type: 'string', minLength: 1 },
          password: secretSchema,
          caFile: { type: 'string', minLength: 1 },
          locations: {
            type: 'array',
            minItems: 1,
            uniqueItems: true,
            items: { type: 'string', anyOf: [{ pattern: LOCATION_PATTERN }, { const: ANY_LOCATION }] },
          },
        },
        required: ['url', 'locations'],
        additionalProperties: false,
      },
    },
    ilm: {
      type: 'object',
      properties: {
        rollover: {
          type: 'object',
          properties: { maxPrimaryShardSize: { type: 'string', pattern: SIZE_PATTERN }, maxAge: { type: 'string', pattern: DURATION_PATTERN } },
          additionalProperties: false,
        },
        deleteAfter: { type: 'string', pattern: DURATION_PATTERN },
      },
      additionalProperties: false,
    },
    bulk: {
      type: 'object',
      properties: {
        maxBytes: { type: 'integer', minimum: 1024 },
        concurrency: { type: 'integer', minimum: 1, maximum: 64 },
        requestTimeoutMs: { type: 'integer', minimum: 100 },
      },
      additionalProperties: false,
    },
    searchBeforeCreate: { type: 'boolean' },
  },
  required: ['clusters'],
  additionalProperties: false,
} as const;

type SecretValue = string | { env: string };
interface ConfigFile {
  clusters: Record<string, { url: string; apiKey?: SecretValue; username?: string; password?: SecretValue; caFile?: string; locations: string[] }>;
  ilm?: { rollover?: { maxPrimaryShardSize?: string; maxAge?: string }; deleteAfter?: string };
  bulk?: Partial<BulkOptions>;
  searchBeforeCreate?: boolean;
}

const ajv = new Ajv({ allErrors: true, strict: true });
const validateShape = ajv.compile<ConfigFile>(fileSchema);

/** Reads and validates an `--es-config` file. */
export function loadElasticsearchConfig(file: string, env: NodeJS.ProcessEnv = process.env): ElasticsearchConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (cause) {
    throw new AuditlineError('AL_CONFIG_NOT_FOUND', `cannot read Elasticsearch configuration: ${(cause as Error).message}`, { file }, { cause });
  }
  return parseElasticsearchConfig(text, file, env);
}

/** Validates the text of an `--es-config` file, purely: every problem names its file and line. */
export function parseElasticsearchConfig(text: string, file: string, env: NodeJS.ProcessEnv = process.env): ElasticsearchConfig {
  const { value, lineOf } = parseLocatedYaml(text, file);
  if (!validateShape(value)) throw shapeError(validateShape.errors ?? [], file, lineOf);

  const fail = (message: string, pointer: string, key?: string): never => {
    throw new ConfigError(message, { file, line: lineOf(pointer, key) });
  };
  const owner = new Map<string, string>();
  const clusters: ClusterConfig[] = Object.entries(value.clusters).map(([name, c]) => {
    const at = `/clusters/${name.replace(/~/g, '~0').replace(/\//g, '~1')}`;
    const url = parseUrl(c.url) ?? fail(`"${c.url}" is not a URL`, at, 'url');
    if (url.username || url.password) fail('put credentials under apiKey or username/password, not in the URL', at, 'url');
    if (c.apiKey !== undefined && (c.username !== undefined || c.password !== undefined))
      fail('give either apiKey or username/password, not both', at, 'apiKey');
    if ((c.username === undefined) !== (c.password === undefined))
      fail('username and password go together', at, c.username === undefined ? 'password' : 'username');
    const reveal = (v: SecretValue, key: string): Secret => {
      if (typeof v === 'string') return new Secret(v);
      const found = env[v.env];
      return found ? new Secret(found) : fail(`environment variable ${v.env} is not set`, at, key);
    };
    const auth: ClusterAuth | undefined =
      c.apiKey !== undefined
        ? { apiKey: reveal(c.apiKey, 'apiKey') }
        : c.username !== undefined
          ? { username: c.username, password: reveal(c.password!, 'password') }
          : undefined;
    c.locations.forEach((location, i) => {
      const other = owner.get(location);
      // Data residency: a location on two clusters would leave the choice to chance.
      if (other !== undefined) fail(`location "${location}" is already on cluster "${other}"`, `${at}/locations/${i}`);
      owner.set(location, name);
    });
    const any = c.locations.includes(ANY_LOCATION);
    if (any && c.locations.length > 1) fail(`"${ANY_LOCATION}" stands for every location: list nothing beside it`, at, 'locations');
    return { name, url: url.origin + url.pathname.replace(/\/$/, ''), auth, caFile: c.caFile, locations: any ? ANY_LOCATION : c.locations };
  });
  return {
    clusters,
    ilm: { ...DEFAULT_ILM, ...value.ilm?.rollover, ...(value.ilm?.deleteAfter ? { deleteAfter: value.ilm.deleteAfter } : {}) },
    bulk: { ...DEFAULT_BULK, ...value.bulk },
    searchBeforeCreate: value.searchBeforeCreate ?? true,
    file,
  };
}

/**
 * `--es URL`: one cluster for every location. Credentials in the URL (`https://user:pass@host`) become
 * basic auth, held as a secret; else an API key from `AUDITLINE_ES_API_KEY`.
 */
export function configForUrl(rawUrl: string, env: NodeJS.ProcessEnv = process.env): ElasticsearchConfig {
  const url = parseUrl(rawUrl);
  if (!url || !/^https?:$/.test(url.protocol)) throw new AuditlineError('AL_CLI_USAGE', `--es needs an http:// or https:// URL`);
  const apiKey = env[API_KEY_ENV];
  const auth: ClusterAuth | undefined = url.username
    ? { username: decodeURIComponent(url.username), password: new Secret(decodeURIComponent(url.password)) }
    : apiKey
      ? { apiKey: new Secret(apiKey) }
      : undefined;
  return {
    clusters: [{ name: 'default', url: url.origin + url.pathname.replace(/\/$/, ''), auth, locations: ANY_LOCATION }],
    ilm: { ...DEFAULT_ILM },
    bulk: { ...DEFAULT_BULK },
    searchBeforeCreate: true,
  };
}

function parseUrl(text: string): URL | undefined {
  try {
    return new URL(text);
  } catch {
    return undefined;
  }
}

function shapeError(errors: ErrorObject[], file: string, lineOf: (pointer: string, key?: string) => number | undefined): ConfigError {
  // `oneOf`/`anyOf` also report why each branch failed; their own error says it once, at the same place.
  const useful = errors.filter((e) => !/\/(oneOf|anyOf)\/\d+\//.test(e.schemaPath));
  const described = useful.map((e) => {
    const unknownKey = e.keyword === 'additionalProperties' ? String(e.params.additionalProperty) : undefined;
    const badName = e.keyword === 'propertyNames' ? String(e.params.propertyName) : undefined;
    const what = unknownKey
      ? `unknown key "${unknownKey}"`
      : badName
        ? `invalid cluster name "${badName}"`
        : `${e.instancePath || '/'} ${e.message ?? 'is invalid'}`;
    return { line: lineOf(e.instancePath, unknownKey ?? badName), missing: e.keyword === 'required', text: what };
  });
  described.sort((a, b) => Number(a.missing) - Number(b.missing) || (a.line ?? 0) - (b.line ?? 0));
  const [first, ...rest] = described;
  return new ConfigError(`${first?.text ?? 'invalid Elasticsearch configuration'}${rest.map((d) => `\n  line ${d.line ?? '?'}: ${d.text}`).join('')}`, {
    file,
    line: first?.line,
  });
}
