/**
 * The shape of a pipeline file (pipelines/*.yaml). Validated offline with ajv:
 * unknown keys are rejected everywhere, enums are closed, and every error is
 * reported with the file and line it points at (see load-pipeline.ts).
 */

export const HTTP_METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS'] as const;
export type HttpMethod = (typeof HTTP_METHODS)[number];
export const SEVERITIES = ['normal', 'warning', 'critical'] as const;
export type Severity = (typeof SEVERITIES)[number];

/** `METHOD /path/:param` optionally followed by `?name=value` (pre-2020 Key Protect action style). */
export const ROUTE_KEY =
  '^(GET|POST|PUT|PATCH|DELETE|HEAD|OPTIONS|\\*)(\\|(GET|POST|PUT|PATCH|DELETE|HEAD|OPTIONS))* /[^ ?]*(\\?[A-Za-z_][A-Za-z0-9_]*=[^ &]+)?$';
/** `service.objectType.verb`; objectType may hold dashes; the verb may hold dashes (ack-rotate). */
export const ACTION_NAME = '^[a-z0-9-]+\\.[a-z0-9-]+\\.[a-z0-9-]+$';
/** A value source: a dotted path into the raw record, or `$path`, `$instance`, `$account`, `$location`, `$param.<name>`, `$query.<name>`. */
export const VALUE_SOURCE = '^(\\$(path|instance|account|location|method|status)|\\$(param|query)\\.[A-Za-z0-9_-]+|[A-Za-z0-9_@-]+(\\.[A-Za-z0-9_@-]+)*)$';

export interface TargetKind {
  /** target.typeURI, e.g. kms/secrets */
  typeURI: string;
  /** CRN resource-type segment (key, secret, secret-group...). Absent: the target is the instance itself. */
  resourceType?: string;
  /** The path parameter holding the resource id; `*` is the rest of a wildcard route (Vault paths). */
  idParam?: string;
}

export interface RouteGroup {
  target: string;
  /** route key (`POST /api/v2/keys/:id/actions/wrap`) to action name */
  routes: Record<string, string>;
}

export interface PipelineConfig {
  name: string;
  /** CRN service name; also the first segment of every action. */
  service: string;
  displayName: string;
  /** Field-location preset for the raw request log shape. */
  input: 'pino-http';
  /**
   * What the routes classify. `http` (default): HTTP requests of service logs and
   * access logs. `vault-audit`: Vault audit entries; route keys use the method of the Vault
   * operation (see pipelines/vault.yaml), and only the vault-audit format uses the pipeline.
   */
  kind?: PipelineKind;
  /** Values for inputs that lack them (text access logs, Vault audit logs): no host, no IAM identity. */
  defaults?: PipelineDefaults;
  /** Overrides of the preset's field locations. */
  fields?: Partial<Record<FieldName, string>>;
  location: {
    /** Regular expressions over the Host header; named groups `location` and optionally `instance`. */
    hosts: string[];
    default: string;
  };
  targets: Record<string, TargetKind>;
  routes: RouteGroup[];
  /** Invalid requests under a prefix: `* /api/v2/keys/*` style keys (method list or `*`, path with trailing wildcard). */
  catchAll: Record<string, string>;
  /** Not audited (health checks, metrics): counted as filtered. Keys as in routes, values are a reason. */
  ignore: Record<string, string>;
  /** Actions whose events are data events (dataEvent: true); all others are management events. */
  dataEvents: string[];
  severity: {
    default: Severity;
    actions: Partial<Record<Severity, string[]>>;
    /** HTTP status to severity, applied over the action's own severity. */
    status: Record<string, Severity>;
  };
  /** Older action names to current ones (2022 Key Protect renames, endpoints.get, ...). */
  aliases: Record<string, string>;
  /** Allow-listed requestData / responseData: output name to value source. Only scalars are copied. */
  requestData: Record<string, string>;
  responseData: Record<string, string>;
  /** Field names (any depth, case-insensitive) whose values are secrets, on top of the built-in list. */
  redaction?: { fields?: string[] };
}

export const PIPELINE_KINDS = ['http', 'vault-audit'] as const;
export type PipelineKind = (typeof PIPELINE_KINDS)[number];

export interface PipelineDefaults {
  /** Service instance id (CRN instance segment) */
  instance?: string;
  /** Account id (CRN scope `a/<account>`) */
  account?: string;
  /** initiator.id / initiator.name when the input names nobody */
  initiatorId?: string;
  initiatorName?: string;
  /** user, serviceid, service... (transforms/build/initiator.ts) */
  principalType?: string;
}

export const FIELD_NAMES = [
  'time',
  'method',
  'url',
  'host',
  'instance',
  'correlationId',
  'userAgent',
  'remoteAddress',
  'status',
  'requestId',
  'initiatorId',
  'initiatorName',
  'principalType',
  'grantType',
  'account',
  'errorMessage',
] as const;
export type FieldName = (typeof FIELD_NAMES)[number];

const strictObject = (properties: Record<string, unknown>, required: string[]) => ({
  type: 'object',
  additionalProperties: false,
  properties,
  required,
});

const stringMap = (keyPattern: string, valuePattern?: string) => ({
  type: 'object',
  propertyNames: { pattern: keyPattern },
  additionalProperties: valuePattern ? { type: 'string', pattern: valuePattern } : { type: 'string', minLength: 1 },
});

export const pipelineJsonSchema = strictObject(
  {
    name: { type: 'string', pattern: '^[a-z0-9-]+$' },
    service: { type: 'string', pattern: '^[a-z0-9-]+$' },
    displayName: { type: 'string', minLength: 1 },
    input: { enum: ['pino-http'] },
    kind: { enum: [...PIPELINE_KINDS] },
    defaults: strictObject(
      {
        instance: { type: 'string', pattern: '^[A-Za-z0-9-]*$' },
        account: { type: 'string', pattern: '^[A-Za-z0-9-]*$' },
        initiatorId: { type: 'string' },
        initiatorName: { type: 'string' },
        principalType: { type: 'string', pattern: '^[a-z]+$' },
      },
      [],
    ),
    fields: {
      type: 'object',
      propertyNames: { enum: [...FIELD_NAMES] },
      additionalProperties: { type: 'string', pattern: VALUE_SOURCE },
    },
    location: strictObject({ hosts: { type: 'array', items: { type: 'string', minLength: 1 } }, default: { type: 'string', pattern: '^[a-z0-9-]+$' } }, [
      'hosts',
      'default',
    ]),
    targets: {
      type: 'object',
      propertyNames: { pattern: '^[a-z0-9-]+$' },
      additionalProperties: strictObject(
        {
          typeURI: { type: 'string', pattern: '^[a-z0-9-]+(/[a-z0-9-]+)+$' },
          resourceType: { type: 'string', pattern: '^[a-z0-9-]+$' },
          idParam: { type: 'string', pattern: '^([A-Za-z_][A-Za-z0-9_]*|\\*)$' },
        },
        ['typeURI'],
      ),
    },
    routes: {
      type: 'array',
      items: strictObject({ target: { type: 'string' }, routes: stringMap(ROUTE_KEY, ACTION_NAME) }, ['target', 'routes']),
    },
    catchAll: stringMap('^(\\*|[A-Z|]+) /[^ ?]*\\*$', ACTION_NAME),
    ignore: stringMap(ROUTE_KEY),
    dataEvents: { type: 'array', items: { type: 'string', pattern: ACTION_NAME } },
    severity: strictObject(
      {
        default: { enum: [...SEVERITIES] },
        actions: {
          type: 'object',
          propertyNames: { enum: [...SEVERITIES] },
          additionalProperties: { type: 'array', items: { type: 'string', pattern: ACTION_NAME } },
        },
        status: {
          type: 'object',
          propertyNames: { pattern: '^[1-5][0-9][0-9]$' },
          additionalProperties: { enum: [...SEVERITIES] },
        },
      },
      ['default', 'actions', 'status'],
    ),
    aliases: stringMap(ACTION_NAME, ACTION_NAME),
    requestData: stringMap('^[A-Za-z][A-Za-z0-9]*$', VALUE_SOURCE),
    responseData: stringMap('^[A-Za-z][A-Za-z0-9]*$', VALUE_SOURCE),
    redaction: strictObject({ fields: { type: 'array', items: { type: 'string', minLength: 1 } } }, []),
  },
  [
    'name',
    'service',
    'displayName',
    'input',
    'location',
    'targets',
    'routes',
    'catchAll',
    'ignore',
    'dataEvents',
    'severity',
    'aliases',
    'requestData',
    'responseData',
  ],
);
