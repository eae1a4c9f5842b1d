/**
 * The shape of a saved search or detection rule (`searches/<slug>.yaml`), as TypeScript types and
 * as the JSON Schema ajv checks them against. The schema checks shapes and closed enums only;
 * what it cannot say (field names, condition syntax, parameter use) is lint.ts's job.
 */

export type Scalar = string | number | boolean | null;
export type SelectionValue = Scalar | Scalar[];
/** Field (with `|modifier`s) to value(s); all must hold. */
export type SelectionMap = Record<string, SelectionValue>;
/** A map, or a list of maps of which one must hold (Sigma's list of maps). */
export type Selection = SelectionMap | SelectionMap[];

export type Comparison = 'gt' | 'gte' | 'lt' | 'lte' | 'eq';
/** A count threshold: every comparison given must hold. */
export type Threshold = Partial<Record<Comparison, number>>;

export interface Parameter {
  type: 'string' | 'integer' | 'boolean';
  description: string;
  /** Default: required when no default is given. */
  required?: boolean;
  default?: string | number | boolean;
}

export interface EventCorrelation {
  type: 'event_count';
  'group-by': string[];
  timespan: string;
  condition: Threshold;
}
export interface ValueCorrelation {
  type: 'value_count';
  'group-by': string[];
  timespan: string;
  field: string;
  condition: Threshold;
}
export interface TemporalCorrelation {
  type: 'temporal' | 'temporal_ordered';
  'group-by': string[];
  timespan: string;
  /** Names of selections of `detection`; each must occur (in this order for temporal_ordered) */
  steps: string[];
}
export type Correlation = EventCorrelation | ValueCorrelation | TemporalCorrelation;

export interface NewTerms {
  'group-by': string[];
  /** The field whose values are new for the group */
  field: string;
  /** How far back before the window a value counts as already seen */
  history: string;
  /** How many new values the group needs in the window (default gte 1) */
  condition?: Threshold;
}

export interface Baseline {
  metric: 'rate' | 'error_rate';
  'group-by': string[];
  /** Width of each current window compared against the baseline */
  timespan: string;
  /** The trailing baseline: this long before the start of the searched range */
  history: string;
  /** A window fires when its rate exceeds the baseline's by this factor */
  factor: number;
  /** Fewest events (rate) or errors (error_rate) in a window for it to fire */
  'min-count': number;
  /** Fewest events the group needs in the baseline to be judged (0: a group with none is judged against zero) */
  'min-history'?: number;
  /** For error_rate: the selection that marks an error; default `outcome: failure` */
  errors?: string;
}

/**
 * A working window: a rule with one matches only events outside it. Days and times are UTC, as
 * event times are stored; `to` is exclusive, and a window that ends at midnight says `24:00`.
 */
export interface OutsideHours {
  days: Weekday[];
  from: string;
  to: string;
}
export type Weekday = 'mon' | 'tue' | 'wed' | 'thu' | 'fri' | 'sat' | 'sun';
export const WEEKDAYS: readonly Weekday[] = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];

export type Severity = 'informational' | 'low' | 'medium' | 'high' | 'critical';

export interface SearchDefinition {
  id: string;
  title: string;
  /** search: returns events (investigation); rule: returns findings (detection) */
  type: 'search' | 'rule';
  description: string;
  status?: 'experimental' | 'test' | 'stable';
  severity?: Severity;
  tags?: string[];
  falsepositives?: string[];
  references?: string[];
  /** Fields shown as columns by the table and CSV formats */
  fields?: string[];
  parameters?: Record<string, Parameter>;
  detection: Record<string, Selection | string> & { condition: string };
  correlation?: Correlation;
  new_terms?: NewTerms;
  baseline?: Baseline;
  'outside-hours'?: OutsideHours;
}

const FIELD_NAME = { type: 'string', pattern: '^[A-Za-z0-9_@][A-Za-z0-9_@.\\-]*$' } as const;
const DURATION = { type: 'string', pattern: '^[1-9][0-9]*[smhd]$' } as const;
const GROUP_BY = { type: 'array', items: FIELD_NAME, minItems: 1, uniqueItems: true } as const;
const THRESHOLD = {
  type: 'object',
  additionalProperties: false,
  minProperties: 1,
  properties: Object.fromEntries(['gt', 'gte', 'lt', 'lte', 'eq'].map((k) => [k, { type: 'integer', minimum: 0 }])),
} as const;
const CLOCK = { type: 'string', pattern: '^([01][0-9]|2[0-3]):[0-5][0-9]$|^24:00$' } as const;
const SCALAR = { type: ['string', 'number', 'boolean', 'null'] } as const;
const SELECTION_MAP = {
  type: 'object',
  minProperties: 1,
  propertyNames: { pattern: '^[A-Za-z0-9_@][A-Za-z0-9_@.\\-]*(\\|[a-z]+)*$' },
  additionalProperties: { anyOf: [SCALAR, { type: 'array', items: SCALAR, minItems: 1 }] },
} as const;

export const searchJsonSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['id', 'title', 'type', 'description', 'detection'],
  properties: {
    id: { type: 'string', pattern: '^[a-z0-9][a-z0-9-]{2,63}$' },
    title: { type: 'string', minLength: 1, maxLength: 200 },
    type: { enum: ['search', 'rule'] },
    description: { type: 'string', minLength: 1 },
    status: { enum: ['experimental', 'test', 'stable'] },
    severity: { enum: ['informational', 'low', 'medium', 'high', 'critical'] },
    tags: { type: 'array', items: { type: 'string', pattern: '^attack\\.(t[0-9]{4}(\\.[0-9]{3})?|[a-z][a-z_]+)$' }, uniqueItems: true },
    falsepositives: { type: 'array', items: { type: 'string' } },
    references: { type: 'array', items: { type: 'string' } },
    fields: { type: 'array', items: FIELD_NAME, uniqueItems: true },
    parameters: {
      type: 'object',
      propertyNames: { pattern: '^[A-Za-z][A-Za-z0-9_]*$' },
      additionalProperties: {
        type: 'object',
        additionalProperties: false,
        required: ['type', 'description'],
        properties: {
          type: { enum: ['string', 'integer', 'boolean'] },
          description: { type: 'string' },
          required: { type: 'boolean' },
          default: { type: ['string', 'number', 'boolean'] },
        },
      },
    },
    detection: {
      type: 'object',
      required: ['condition'],
      propertyNames: { pattern: '^[A-Za-z_][A-Za-z0-9_]*$' },
      properties: { condition: { type: 'string', minLength: 1 } },
      additionalProperties: { anyOf: [SELECTION_MAP, { type: 'array', items: SELECTION_MAP, minItems: 1 }] },
    },
    correlation: {
      type: 'object',
      required: ['type', 'group-by', 'timespan'],
      properties: {
        type: { enum: ['event_count', 'value_count', 'temporal', 'temporal_ordered'] },
        'group-by': GROUP_BY,
        timespan: DURATION,
        condition: THRESHOLD,
        field: FIELD_NAME,
        steps: { type: 'array', items: { type: 'string' }, minItems: 2, uniqueItems: true },
      },
      additionalProperties: false,
    },
    new_terms: {
      type: 'object',
      additionalProperties: false,
      required: ['group-by', 'field', 'history'],
      properties: { 'group-by': GROUP_BY, field: FIELD_NAME, history: DURATION, condition: THRESHOLD },
    },
    baseline: {
      type: 'object',
      additionalProperties: false,
      required: ['metric', 'group-by', 'timespan', 'history', 'factor', 'min-count'],
      properties: {
        metric: { enum: ['rate', 'error_rate'] },
        'group-by': GROUP_BY,
        timespan: DURATION,
        history: DURATION,
        factor: { type: 'number', exclusiveMinimum: 0 },
        'min-count': { type: 'integer', minimum: 1 },
        'min-history': { type: 'integer', minimum: 0 },
        errors: { type: 'string' },
      },
    },
    'outside-hours': {
      type: 'object',
      additionalProperties: false,
      required: ['days', 'from', 'to'],
      properties: {
        days: { type: 'array', items: { enum: ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] }, minItems: 1, uniqueItems: true },
        from: CLOCK,
        to: CLOCK,
      },
    },
  },
} as const;

const UNIT_MS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** `10m` to milliseconds; the schema has already checked the form. */
export function durationMs(value: string): number {
  const m = /^([1-9][0-9]*)([smhd])$/.exec(value);
  if (!m) throw new Error(`not a duration: ${value}`);
  return Number(m[1]) * UNIT_MS[m[2]!]!;
}
