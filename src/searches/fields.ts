import { DOCUMENT_FIELDS, STORED_FIELDS } from '../model/fields.js';

/**
 * Field names a search may use, resolved through the one field table (model/fields.ts): event
 * paths (`initiator.id`) and their ECS aliases (`user.id`) name the same field. Stored fields
 * compile to their DuckDB column; document fields to JSON extraction from the `event` column.
 */

export type ValueType = 'text' | 'number' | 'boolean' | 'time';

export interface SearchField {
  /** The event path: the name used in findings, in Elasticsearch queries and in messages */
  path: string;
  type: ValueType;
  /** DuckDB column, when the field is one */
  column?: string;
  /** The Elasticsearch field matched exactly (a text field's `.keyword` sub-field) */
  esField: string;
  /** Every stored value is lower-case, so a match that ignores case compares the column as it is */
  lowerCase?: boolean;
}

/**
 * Fields whose values the event schema (mappings/activity-tracker.schema.json) admits in lower
 * case only: `action` and `location` by their patterns, `outcome` and `severity` by their enums.
 * Comparing them without `lower()` gives the same answer and lets DuckDB push the comparison into
 * the scan (zone maps, no per-row function call).
 */
const LOWER_CASE = new Set(['action', 'outcome', 'severity', 'location']);

/** Objects mapped `flattened`: any member path below them is a field. */
const OPEN_OBJECTS = DOCUMENT_FIELDS.filter((f) => f.esType === 'flattened').map((f) => f.path);

const MEMBER = /^[A-Za-z0-9_@-]+$/;

function typeOf(esType: string | undefined): ValueType {
  if (esType === 'integer' || esType === 'long') return 'number';
  if (esType === 'boolean') return 'boolean';
  if (esType === 'date') return 'time';
  return 'text';
}

const BY_NAME = new Map<string, SearchField>();
for (const f of STORED_FIELDS) {
  if (f.path === '') continue;
  const field: SearchField = {
    path: f.path,
    type: typeOf(f.esType),
    column: f.column,
    esField: f.path,
    ...(LOWER_CASE.has(f.path) ? { lowerCase: true } : {}),
  };
  BY_NAME.set(f.path, field);
  if ('ecs' in f && f.ecs) BY_NAME.set(f.ecs, field);
}
for (const f of DOCUMENT_FIELDS) {
  if (f.esType === 'flattened') continue;
  const field: SearchField = { path: f.path, type: typeOf(f.esType), esField: f.keywordSubField ? `${f.path}.keyword` : f.path };
  BY_NAME.set(f.path, field);
  if (f.ecs) BY_NAME.set(f.ecs, field);
}

/** The field a name denotes, or undefined when the field table has no such field. */
export function resolveField(name: string): SearchField | undefined {
  const known = BY_NAME.get(name);
  if (known) return known;
  const open = OPEN_OBJECTS.find((o) => name.startsWith(`${o}.`));
  if (
    open &&
    name
      .slice(open.length + 1)
      .split('.')
      .every((s) => MEMBER.test(s))
  )
    return { path: name, type: 'text', esField: name };
  return undefined;
}

/** Every name resolveField accepts, apart from members of open objects (for messages). */
export function knownFieldNames(): string[] {
  return [...BY_NAME.keys(), ...OPEN_OBJECTS.map((o) => `${o}.*`)].sort();
}

/** The time field: `@timestamp` in the event and in Elasticsearch, `event_time` in DuckDB. */
export const TIME_FIELD = resolveField('@timestamp')!;
export const ID_FIELD = resolveField('id')!;
export const LOCATION_FIELD = resolveField('location')!;
/** What a rule's finding of one event names it by. */
export const INITIATOR_FIELD = resolveField('initiator.id')!;
export const TARGET_FIELD = resolveField('target.id')!;
