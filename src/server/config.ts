import { dirname, resolve } from 'node:path';
import { Ajv, type JSONSchemaType } from 'ajv';
import { AuditlineError, ConfigError } from '../errors.js';
import { Secret } from '../secrets/secret.js';
import { durationMs } from '../searches/schema.js';
import {
  DEFAULT_DETECT_EVERY,
  DEFAULT_DETECT_LOOK_BACK,
  DEFAULT_ES_VERSION,
  DEFAULT_HOST,
  DEFAULT_LIMITS,
  DEFAULT_PORT,
  type DetectScheduleOptions,
  type ServeLimits,
  type ServeOptions,
} from './options.js';
import { readConfigText, parseLocatedYaml } from '../config/yaml-file.js';

/** What the configuration file and the flags both name, with the same meaning. */
interface ServeCommon {
  store?: string;
  out?: string;
  es?: string;
  esConfig?: string;
  dlq?: string;
  dataDir?: string;
  keyFile?: string;
  pipelines?: string[];
  format?: string;
  searches?: string;
  workers?: number;
  /** Seal the DuckDB store: a digest chained over every write (a sealed store stays sealed). */
  digests?: boolean;
}

/** The `serve --config` file. Every key optional; unknown keys rejected with their file:line. */
export interface ServeConfigFile extends ServeCommon {
  listen?: { host?: string; port?: number };
  tls?: { cert: string; key: string };
  auth?: { tokens?: string[]; protectMetrics?: boolean; disabled?: boolean };
  limits?: Partial<ServeLimits>;
  elasticsearch?: { version?: string; clusterName?: string };
  /** Detection on a schedule: every rule each `every`, over the last `lookBack`, new findings posted to `webhook`. */
  detect?: { every?: string; lookBack?: string; webhook?: string };
}

const str = { type: 'string', minLength: 1 } as const;
/** The duration form of the rules' timespans: `30s`, `5m`, `1h`, `7d`. */
const DURATION = '^[1-9][0-9]*[smhd]$';
/** The same pattern for flags, which the schema does not see. */
const DURATION_FLAG = /^[1-9][0-9]*[smhd]$/;
const duration = { type: 'string', pattern: DURATION, nullable: true } as const;
const positive = { type: 'integer', minimum: 1 } as const;
const limitsSchema = {
  type: 'object',
  additionalProperties: false,
  required: [],
  properties: Object.fromEntries(Object.keys(DEFAULT_LIMITS).map((k) => [k, { ...positive, nullable: true }])),
};

const schema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    listen: {
      type: 'object',
      nullable: true,
      additionalProperties: false,
      properties: { host: { ...str, nullable: true }, port: { type: 'integer', minimum: 0, maximum: 65535, nullable: true } },
    },
    tls: { type: 'object', nullable: true, additionalProperties: false, required: ['cert', 'key'], properties: { cert: str, key: str } },
    store: { ...str, nullable: true },
    out: { ...str, nullable: true },
    es: { ...str, nullable: true },
    esConfig: { ...str, nullable: true },
    dlq: { ...str, nullable: true },
    dataDir: { ...str, nullable: true },
    keyFile: { ...str, nullable: true },
    digests: { type: 'boolean', nullable: true },
    pipelines: { type: 'array', nullable: true, items: str, minItems: 1 },
    format: { ...str, nullable: true },
    searches: { ...str, nullable: true },
    workers: { type: 'integer', minimum: 0, nullable: true },
    auth: {
      type: 'object',
      nullable: true,
      additionalProperties: false,
      properties: {
        tokens: { type: 'array', nullable: true, items: str },
        protectMetrics: { type: 'boolean', nullable: true },
        disabled: { type: 'boolean', nullable: true },
      },
    },
    limits: { ...limitsSchema, nullable: true },
    elasticsearch: {
      type: 'object',
      nullable: true,
      additionalProperties: false,
      properties: { version: { type: 'string', pattern: '^(7|8|9)\\.\\d+\\.\\d+$', nullable: true }, clusterName: { ...str, nullable: true } },
    },
    detect: {
      type: 'object',
      nullable: true,
      additionalProperties: false,
      properties: { every: duration, lookBack: duration, webhook: { type: 'string', pattern: '^https?://', nullable: true } },
    },
  },
} as unknown as JSONSchemaType<ServeConfigFile>;

const validate = new Ajv({ allErrors: true, strict: true }).compile<ServeConfigFile>(schema);

export interface LoadedServeConfig {
  file: string;
  config: ServeConfigFile;
}

/** Reads and validates the file, purely (nothing is opened or bound). Paths in it are relative to the file. */
export function loadServeConfig(file: string): LoadedServeConfig {
  return parseServeConfig(readConfigText(file, 'serve configuration'), file);
}

export function parseServeConfig(text: string, file: string): LoadedServeConfig {
  const located = parseLocatedYaml(text, file);
  const value: unknown = located.value ?? {};
  if (!validate(value)) {
    const described = (validate.errors ?? []).map((e) => {
      const unknownKey = e.keyword === 'additionalProperties' ? String(e.params.additionalProperty) : undefined;
      return { line: located.lineOf(e.instancePath, unknownKey), text: unknownKey ? `unknown key "${unknownKey}"` : `${e.instancePath || '/'} ${e.message}` };
    });
    described.sort((a, b) => (a.line ?? 0) - (b.line ?? 0));
    const [first, ...rest] = described;
    throw new ConfigError(`${first?.text ?? 'invalid configuration'}${rest.map((d) => `\n  line ${d.line ?? '?'}: ${d.text}`).join('')}`, {
      file,
      line: first?.line,
    });
  }
  if (value.detect?.webhook !== undefined && !URL.canParse(value.detect.webhook))
    throw new ConfigError(`detect.webhook is not a URL: "${value.detect.webhook}"`, { file, line: located.lineOf('/detect', 'webhook') });
  if (value.store && value.out) throw new ConfigError('store and out are exclusive: events go to one place', { file, line: located.lineOf('', 'out') });
  if ((value.store || value.out) && (value.es || value.esConfig))
    throw new ConfigError('es/esConfig and store/out are exclusive: events go to one place', { file, line: located.lineOf('', value.es ? 'es' : 'esConfig') });
  const base = dirname(resolve(file));
  const path = (p: string | undefined) => (p === undefined ? undefined : resolve(base, p));
  const config: ServeConfigFile = {
    ...value,
    store: path(value.store),
    out: path(value.out),
    esConfig: path(value.esConfig),
    dlq: path(value.dlq),
    dataDir: path(value.dataDir),
    keyFile: path(value.keyFile),
    searches: path(value.searches),
    tls: value.tls && { cert: path(value.tls.cert)!, key: path(value.tls.key)! },
    // Bundled pipelines are named; anything with a slash or a .yaml suffix is a path.
    pipelines: value.pipelines?.map((p) => (/[/\\]|\.ya?ml$/.test(p) ? resolve(base, p) : p)),
  };
  return { file, config };
}

/** Flags as `serve` parses them; undefined means "not given". */
export interface ServeFlags extends ServeCommon {
  host?: string;
  port?: number;
  token?: string[];
  noAuth?: boolean;
  protectMetrics?: boolean;
  tlsCert?: string;
  tlsKey?: string;
  maxBodyBytes?: number;
  maxInFlightBytes?: number;
  maxConnections?: number;
  headersTimeoutMs?: number;
  requestTimeoutMs?: number;
  minBodyBytesPerSecond?: number;
  esVersion?: string;
  detectEvery?: string;
  detectLookBack?: string;
  webhook?: string;
}

/** Limits that have a flag of their own besides the body and in-flight sizes, with the flag's name for errors. */
const LIMIT_FLAGS = {
  maxConnections: '--max-connections',
  headersTimeoutMs: '--headers-timeout-ms',
  requestTimeoutMs: '--request-timeout-ms',
  minBodyBytesPerSecond: '--min-body-bytes-per-second',
} as const satisfies Partial<Record<keyof ServeLimits & keyof ServeFlags, string>>;

/** The environment variable that holds a token (so it stays out of `ps` and shell history). */
export const TOKEN_ENV = 'AUDITLINE_TOKEN';
const DEFAULT_DATA_DIR = 'auditline-data';

/**
 * Merges defaults < config file < environment < flags, purely. Tokens are wrapped as secrets at
 * once; a flag or the environment replaces the file's tokens rather than adding to them, so the
 * operator sees exactly which credential is in force.
 */
export function resolveServeOptions(flags: ServeFlags, loaded: LoadedServeConfig | undefined, env: NodeJS.ProcessEnv, defaultWorkers: number): ServeOptions {
  const c = loaded?.config ?? {};
  if (flags.store && flags.out) throw new AuditlineError('AL_CLI_USAGE', '--store and --out are exclusive');
  if ((flags.tlsCert === undefined) !== (flags.tlsKey === undefined)) throw new AuditlineError('AL_CLI_USAGE', '--tls-cert and --tls-key go together');
  if (flags.esVersion !== undefined && !/^(7|8|9)\.\d+\.\d+$/.test(flags.esVersion))
    throw new AuditlineError('AL_CLI_USAGE', `--es-version must be 7.x.y, 8.x.y or 9.x.y, not "${flags.esVersion}"`);
  const tokenTexts = flags.token?.length ? flags.token : env[TOKEN_ENV] ? [env[TOKEN_ENV]] : (c.auth?.tokens ?? []);
  const fromFlags = flags.store !== undefined || flags.out !== undefined || flags.es !== undefined || flags.esConfig !== undefined;
  const limits: ServeLimits = { ...DEFAULT_LIMITS };
  for (const [k, v] of Object.entries(c.limits ?? {})) if (v !== undefined && v !== null) limits[k as keyof ServeLimits] = v;
  if (flags.maxBodyBytes !== undefined) limits.maxBodyBytes = flags.maxBodyBytes;
  if (flags.maxInFlightBytes !== undefined) limits.maxInFlightBytes = flags.maxInFlightBytes;
  for (const [k, flag] of Object.entries(LIMIT_FLAGS) as [keyof typeof LIMIT_FLAGS, string][]) {
    const v = flags[k];
    if (v === undefined) continue;
    if (!Number.isInteger(v) || v < 1) throw new AuditlineError('AL_CLI_USAGE', `${flag} must be a positive integer, not ${v}`);
    limits[k] = v;
  }
  const detect = resolveDetect(flags, c.detect ?? undefined);
  const elsewhere = fromFlags ? (flags.out ?? flags.es ?? flags.esConfig) : (c.out ?? c.es ?? c.esConfig);
  if (detect && elsewhere)
    throw new AuditlineError('AL_CLI_USAGE', 'scheduled detection reads the embedded store: it cannot run when serve writes NDJSON files or Elasticsearch');
  const tls = flags.tlsCert && flags.tlsKey ? { cert: flags.tlsCert, key: flags.tlsKey } : (c.tls ?? undefined);
  return {
    host: flags.host ?? c.listen?.host ?? DEFAULT_HOST,
    port: flags.port ?? c.listen?.port ?? DEFAULT_PORT,
    store: fromFlags ? flags.store : (c.store ?? undefined),
    out: fromFlags ? flags.out : (c.out ?? undefined),
    es: fromFlags ? flags.es : (c.es ?? undefined),
    esConfig: fromFlags ? flags.esConfig : (c.esConfig ?? undefined),
    dlq: flags.dlq ?? c.dlq ?? undefined,
    dataDir: flags.dataDir ?? c.dataDir ?? DEFAULT_DATA_DIR,
    keyFile: flags.keyFile ?? c.keyFile ?? undefined,
    digests: flags.digests ?? c.digests ?? false,
    pipelines: flags.pipelines ?? c.pipelines ?? undefined,
    format: flags.format ?? c.format ?? undefined,
    searchesDir: flags.searches ?? c.searches ?? undefined,
    workers: flags.workers ?? c.workers ?? defaultWorkers,
    tokens: tokenTexts.filter((t): t is string => typeof t === 'string' && t !== '').map((t) => new Secret(t)),
    noAuth: flags.noAuth ?? c.auth?.disabled ?? false,
    protectMetrics: flags.protectMetrics ?? c.auth?.protectMetrics ?? false,
    tls,
    limits,
    detect,
    cluster: { name: c.elasticsearch?.clusterName ?? 'auditline', version: flags.esVersion ?? c.elasticsearch?.version ?? DEFAULT_ES_VERSION },
    env: new Secret(env),
  };
}

/** Scheduled detection runs when the file has a `detect` block or any detect flag is given; a flag overrides the file's key. */
function resolveDetect(flags: ServeFlags, file: ServeConfigFile['detect']): DetectScheduleOptions | undefined {
  if (!file && flags.detectEvery === undefined && flags.detectLookBack === undefined && flags.webhook === undefined) return undefined;
  const dur = (flag: string, value: string) => {
    if (!DURATION_FLAG.test(value)) throw new AuditlineError('AL_CLI_USAGE', `${flag} must be a duration such as 30s, 5m, 1h or 7d, not "${value}"`);
    return durationMs(value);
  };
  const webhookText = flags.webhook ?? file?.webhook ?? undefined;
  if (webhookText !== undefined && !(URL.canParse(webhookText) && /^https?:$/.test(new URL(webhookText).protocol)))
    throw new AuditlineError('AL_CLI_USAGE', `--webhook must be an http or https URL, not "${webhookText}"`);
  return {
    everyMs: dur('--detect-every', flags.detectEvery ?? file?.every ?? DEFAULT_DETECT_EVERY),
    lookBackMs: dur('--detect-look-back', flags.detectLookBack ?? file?.lookBack ?? DEFAULT_DETECT_LOOK_BACK),
    webhook: webhookText === undefined ? undefined : new URL(webhookText),
  };
}
