import type { ActivityTrackerEvent } from './event.js';

/**
 * The one table of stored fields. Each entry is a column of the embedded store and a key of
 * `StoredEvent`; the DuckDB DDL and appender, the worker codec, the Elasticsearch templates and
 * the search compilers all derive from it. Adding a column is one entry here.
 *
 * The order is the column order of the store's tables: stores written before keep working only
 * while new columns are added at the end.
 */

/** How a field's value is held in memory; each kind has one TypeScript type, codec slot and appender call. */
export interface FieldKinds {
  text: string;
  optionalText: string | null;
  epochMillis: number;
  integer: number;
  boolean: boolean;
}
export type FieldKind = keyof FieldKinds;

/** Elasticsearch field types used by auditline's templates. */
export type EsType = 'keyword' | 'date' | 'integer' | 'long' | 'boolean' | 'text' | 'flattened' | 'ip';

/** Where a stored value comes from: the built event, plus the source and line it was read from. */
export interface FieldContext {
  source: string;
  line: number;
}

export interface StoredField<K extends string = string, T extends FieldKind = FieldKind> {
  /** Property of `StoredEvent` */
  key: K;
  kind: T;
  /** Column of the store's tables */
  column: string;
  sqlType: string;
  /** Dotted path of the value in the event document; empty for the document itself */
  path: string;
  /** Elasticsearch mapping type; absent for the document itself (it is `_source`) */
  esType?: EsType;
  /** The ECS field that names the same thing, mapped as an alias in Elasticsearch */
  ecs?: string;
  get(event: ActivityTrackerEvent, at: FieldContext): FieldKinds[T];
}

function field<K extends string, T extends FieldKind>(spec: StoredField<K, T>): StoredField<K, T> {
  return spec;
}

export const STORED_FIELDS = [
  field({ key: 'id', kind: 'text', column: 'id', sqlType: 'VARCHAR NOT NULL', path: 'id', esType: 'keyword', ecs: 'event.id', get: (e) => e.id }),
  field({
    key: 'time',
    kind: 'epochMillis',
    column: 'event_time',
    sqlType: 'TIMESTAMPTZ NOT NULL',
    path: '@timestamp',
    esType: 'date',
    get: (e) => Date.parse(e['@timestamp']),
  }),
  field({
    key: 'action',
    kind: 'text',
    column: 'action',
    sqlType: 'VARCHAR NOT NULL',
    path: 'action',
    esType: 'keyword',
    ecs: 'event.action',
    get: (e) => e.action,
  }),
  field({
    key: 'outcome',
    kind: 'text',
    column: 'outcome',
    sqlType: 'VARCHAR NOT NULL',
    path: 'outcome',
    esType: 'keyword',
    ecs: 'event.outcome',
    get: (e) => e.outcome,
  }),
  field({ key: 'severity', kind: 'text', column: 'severity', sqlType: 'VARCHAR NOT NULL', path: 'severity', esType: 'keyword', get: (e) => e.severity }),
  field({
    key: 'service',
    kind: 'text',
    column: 'service',
    sqlType: 'VARCHAR NOT NULL',
    path: 'service',
    esType: 'keyword',
    ecs: 'cloud.service.name',
    get: (e) => e.service,
  }),
  field({
    key: 'initiatorId',
    kind: 'text',
    column: 'initiator_id',
    sqlType: 'VARCHAR',
    path: 'initiator.id',
    esType: 'keyword',
    ecs: 'user.id',
    get: (e) => e.initiator.id,
  }),
  field({
    key: 'initiatorName',
    kind: 'text',
    column: 'initiator_name',
    sqlType: 'VARCHAR',
    path: 'initiator.name',
    esType: 'keyword',
    ecs: 'user.name',
    get: (e) => e.initiator.name,
  }),
  // An address may be `CSE` or a subnet (reference 1.1), so it is a keyword, not an `ip`.
  field({
    key: 'sourceAddress',
    kind: 'optionalText',
    column: 'source_address',
    sqlType: 'VARCHAR',
    path: 'initiator.host.address',
    esType: 'keyword',
    ecs: 'source.ip',
    get: (e) => e.initiator.host.address || null,
  }),
  field({ key: 'targetId', kind: 'text', column: 'target_id', sqlType: 'VARCHAR', path: 'target.id', esType: 'keyword', get: (e) => e.target.id }),
  field({
    key: 'targetTypeURI',
    kind: 'text',
    column: 'target_type',
    sqlType: 'VARCHAR',
    path: 'target.typeURI',
    esType: 'keyword',
    get: (e) => e.target.typeURI,
  }),
  field({
    key: 'correlationId',
    kind: 'optionalText',
    column: 'correlation_id',
    sqlType: 'VARCHAR',
    path: 'correlationId',
    esType: 'keyword',
    ecs: 'trace.id',
    get: (e) => e.correlationId ?? null,
  }),
  field({
    key: 'reasonCode',
    kind: 'integer',
    column: 'reason_code',
    sqlType: 'INTEGER',
    path: 'reason.reasonCode',
    esType: 'integer',
    ecs: 'http.response.status_code',
    get: (e) => e.reason.reasonCode,
  }),
  field({ key: 'dataEvent', kind: 'boolean', column: 'data_event', sqlType: 'BOOLEAN', path: 'dataEvent', esType: 'boolean', get: (e) => e.dataEvent }),
  field({
    key: 'location',
    kind: 'text',
    column: 'location',
    sqlType: 'VARCHAR NOT NULL',
    path: 'location',
    esType: 'keyword',
    ecs: 'cloud.region',
    get: (e) => e.location,
  }),
  field({ key: 'source', kind: 'text', column: 'source', sqlType: 'VARCHAR', path: 'auditline.source', esType: 'keyword', get: (_e, at) => at.source }),
  field({ key: 'line', kind: 'integer', column: 'line', sqlType: 'INTEGER', path: 'auditline.line', esType: 'long', get: (_e, at) => at.line }),
  // Serialised once, here: every sink stores these exact bytes.
  field({ key: 'json', kind: 'text', column: 'event', sqlType: 'JSON NOT NULL', path: '', get: (e) => JSON.stringify(e) }),
] as const;

type Fields = (typeof STORED_FIELDS)[number];

/** The key fields the stores index as columns, next to the whole event as JSON (`json`). */
export type StoredEvent = { [F in Fields as F['key']]: FieldKinds[F['kind']] };

export type StoredKey = keyof StoredEvent;

/**
 * Fields of the event document that are not columns: searches read them from the JSON in DuckDB,
 * and the Elasticsearch templates map them. Unbounded objects (`requestData`, `responseData`) are
 * `flattened`, so a service adding a field cannot blow up the mapping.
 */
export interface DocumentField {
  path: string;
  esType: EsType;
  ecs?: string;
  /** A `text` field also indexed whole as `<path>.keyword`, so it can be aggregated and matched exactly */
  keywordSubField?: boolean;
}

export const DOCUMENT_FIELDS: readonly DocumentField[] = [
  { path: 'eventTime', esType: 'keyword' },
  { path: 'message', esType: 'text', keywordSubField: true },
  { path: 'legacyAction', esType: 'keyword' },
  { path: 'logSourceCRN', esType: 'keyword' },
  { path: 'saveServiceCopy', esType: 'boolean' },
  { path: 'initiator.typeURI', esType: 'keyword' },
  { path: 'initiator.credential.type', esType: 'keyword' },
  { path: 'initiator.host.addressType', esType: 'keyword' },
  { path: 'initiator.host.agent', esType: 'keyword', ecs: 'user_agent.original' },
  { path: 'initiator.authnId', esType: 'keyword' },
  { path: 'initiator.authnName', esType: 'keyword' },
  { path: 'target.name', esType: 'keyword' },
  { path: 'target.alias', esType: 'keyword' },
  { path: 'target.resourceGroupId', esType: 'keyword' },
  { path: 'observer.name', esType: 'keyword' },
  { path: 'reason.reasonType', esType: 'keyword' },
  { path: 'reason.reasonForFailure', esType: 'text', keywordSubField: true },
  { path: 'requestData', esType: 'flattened' },
  { path: 'responseData', esType: 'flattened' },
  { path: 'auditline.pipeline', esType: 'keyword' },
  { path: 'auditline.format', esType: 'keyword' },
  { path: 'auditline.route', esType: 'keyword' },
  { path: 'auditline.redactions', esType: 'integer' },
  { path: 'auditline.keyId', esType: 'keyword' },
];

/**
 * Compiles a function from the table, for the per-event paths (building, unpacking, appending).
 * Generated code makes one object literal per event, so every event has one hidden class with
 * its properties inside the object; filling `{}` key by key from a loop made unpacking on the main
 * thread 4x slower and its garbage collection 2x (200k lines, two workers). Keys are checked to be
 * plain identifiers, so nothing but the table's own names reaches the code.
 */
export function compileFromTable<F extends (...args: never[]) => unknown>(
  params: string[],
  body: (f: StoredField, index: number) => string,
  wrap: (parts: string[]) => string,
): F {
  for (const f of STORED_FIELDS) if (!/^[A-Za-z_$][\w$]*$/.test(f.key)) throw new Error(`field key "${f.key}" is not an identifier`);
  return new Function(...params, wrap(STORED_FIELDS.map((f, i) => body(f, i)))) as F;
}

const GETTERS = STORED_FIELDS.map((f) => f.get);
const buildStored = compileFromTable<(getters: typeof GETTERS, event: ActivityTrackerEvent, at: FieldContext) => StoredEvent>(
  ['g', 'e', 'at'],
  (f, i) => `${f.key}: g[${i}](e, at)`,
  (parts) => `return { ${parts.join(', ')} };`,
);

/** Builds the stored form of an event: every field's getter, properties in table order. */
export function toStored(event: ActivityTrackerEvent, source: string, line: number): StoredEvent {
  return buildStored(GETTERS, event, { source, line });
}
