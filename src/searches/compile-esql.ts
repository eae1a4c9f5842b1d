import { AuditlineError } from '../errors.js';
import { INDEX_PATTERN, streamName } from '../sinks/elasticsearch/templates.js';
import { ID_FIELD, TIME_FIELD, type SearchField } from './fields.js';
import type { Plan } from './plan.js';
import type { Match, Predicate } from './predicate.js';
import type { Threshold } from './schema.js';

/**
 * ES|QL for a plan, as the body of a `POST /_query` request: the query text and its named
 * `params`. Searches, event_count, value_count, temporal and new_terms rules have an ES|QL form;
 * temporal_ordered (an order between events) and baseline (two ranges compared per window) do not.
 * ES|QL reads no `flattened` field, so `requestData.*` and `responseData.*` are refused too.
 */
export interface EsqlRequest {
  query: string;
  params: Record<string, string | number | boolean>[];
}

export interface EsqlRange {
  location?: string;
  sinceMs?: number;
  untilMs?: number;
  limit?: number;
}

/** ES|QL's own cap on rows returned. */
const ESQL_MAX_ROWS = 10_000;
const UNITS: Record<string, string> = { s: 'seconds', m: 'minutes', h: 'hours', d: 'days' };

class Params {
  readonly list: Record<string, string | number | boolean>[] = [];
  bind(value: string | number | boolean, name = `p${this.list.length + 1}`): string {
    this.list.push({ [name]: value });
    return `?${name}`;
  }
}

const id = (f: string) => `\`${f}\``;

function fieldEsql(field: SearchField, planName: string): string {
  if (field.path.startsWith('requestData.') || field.path.startsWith('responseData.')) {
    throw new AuditlineError('AL_SEARCH_EXPORT', `${planName}: ES|QL cannot read the flattened field ${field.path}; use --to dsl`);
  }
  return id(field.esField);
}

function matchEsql(m: Match, params: Params, planName: string): string {
  const col = fieldEsql(m.field, planName);
  if (m.op === 'null') return `${col} IS NULL`;
  if (m.op === 'exists') return `${col} IS NOT NULL`;
  const text = m.cased || m.field.type !== 'text' ? col : `TO_LOWER(${col})`;
  switch (m.op) {
    case 'eq':
      return `${text} == ${params.bind(m.value)}`;
    case 'startswith':
      return `STARTS_WITH(${text}, ${params.bind(m.value)})`;
    case 'endswith':
      return `ENDS_WITH(${text}, ${params.bind(m.value)})`;
    case 'contains':
      return `${text} LIKE ${params.bind(`*${String(m.value).replace(/[*?\\]/g, (c) => `\\${c}`)}*`)}`;
    case 're':
      return `${text} RLIKE ${params.bind(m.value)}`;
    case 'gt':
      return `${col} > ${params.bind(m.value)}`;
    case 'gte':
      return `${col} >= ${params.bind(m.value)}`;
    case 'lt':
      return `${col} < ${params.bind(m.value)}`;
    case 'lte':
      return `${col} <= ${params.bind(m.value)}`;
  }
}

function predicateEsql(p: Predicate, params: Params, planName: string): string {
  switch (p.kind) {
    case 'match':
      return matchEsql(p, params, planName);
    case 'not':
      return `NOT COALESCE(${predicateEsql(p.item, params, planName)}, false)`;
    case 'and':
    case 'or':
      if (p.items.length === 0) return p.kind === 'and' ? 'true' : 'false';
      if (p.items.length === 1) return predicateEsql(p.items[0]!, params, planName);
      return `(${p.items.map((i) => predicateEsql(i, params, planName)).join(` ${p.kind.toUpperCase()} `)})`;
  }
}

function thresholdEsql(t: Threshold, column: string, params: Params): string {
  const ops = { gt: '>', gte: '>=', lt: '<', lte: '<=', eq: '==' } as const;
  return (Object.keys(ops) as (keyof typeof ops)[])
    .filter((k) => t[k] !== undefined)
    .map((k) => `${column} ${ops[k]} ${params.bind(t[k]!)}`)
    .join(' AND ');
}

export function compileEsql(plan: Plan, range: EsqlRange): EsqlRequest {
  if (plan.kind === 'temporal_ordered' || plan.kind === 'baseline')
    throw new AuditlineError('AL_SEARCH_EXPORT', `${plan.name}: a ${plan.kind} rule has no ES|QL form; use --to dsl or --to sql`);
  const params = new Params();
  const time = id(TIME_FIELD.esField);
  const lines = [`FROM ${range.location === undefined ? INDEX_PATTERN : streamName(range.location)}`];
  const where: string[] = [];
  const from = range.sinceMs === undefined ? undefined : plan.kind === 'new_terms' ? range.sinceMs - plan.historyMs : range.sinceMs;
  if (from !== undefined) where.push(`${time} >= TO_DATETIME(${params.bind(Math.floor(from), 'from')})`);
  if (range.untilMs !== undefined) where.push(`${time} < TO_DATETIME(${params.bind(Math.floor(range.untilMs), 'until')})`);
  const filter = predicateEsql(plan.filter, params, plan.name);
  if (filter !== 'true') where.push(filter);
  if (plan.outsideHours) {
    // DAY_OF_WEEK is ISO's (Monday 1 to Sunday 7); the plan counts Sunday as 0.
    const days = plan.outsideHours.days.map((d) => params.bind(d === 0 ? 7 : d)).join(', ');
    const minute = `DATE_EXTRACT("MINUTE_OF_DAY", ${time})`;
    where.push(
      `NOT (DATE_EXTRACT("DAY_OF_WEEK", ${time}) IN (${days}) AND ${minute} >= ${params.bind(plan.outsideHours.fromMin, 'work_from')} AND ${minute} < ${params.bind(plan.outsideHours.toMin, 'work_to')})`,
    );
  }
  if (where.length > 0) lines.push(`WHERE ${where.join(' AND ')}`);

  if (plan.kind === 'events') {
    lines.push(`SORT ${time} ASC, ${id(ID_FIELD.esField)} ASC`, `LIMIT ${params.bind(range.limit ?? ESQL_MAX_ROWS, 'limit')}`);
    return { query: lines.join('\n| '), params: params.list };
  }
  const groups = plan.groupBy.map((g) => fieldEsql(g, plan.name));
  const value = plan.valueField ? fieldEsql(plan.valueField, plan.name) : undefined;
  lines.push(`WHERE ${[...groups, ...(value ? [value] : [])].map((g) => `${g} IS NOT NULL`).join(' AND ')}`);
  if (plan.kind === 'new_terms') {
    lines.push(`STATS first_seen = MIN(${time}) BY ${[...groups, value!].join(', ')}`);
    lines.push(`WHERE first_seen >= TO_DATETIME(${params.bind(Math.floor(range.sinceMs!), 'since')})`);
    lines.push(`STATS count = COUNT(*), window_start = MIN(first_seen), last_seen = MAX(first_seen), values = VALUES(${value!}) BY ${groups.join(', ')}`);
    lines.push(`WHERE ${thresholdEsql(plan.threshold, 'count', params)}`, `SORT window_start ASC`);
    return { query: lines.join('\n| '), params: params.list };
  }
  // The timespan is schema-checked (`^[1-9][0-9]*[smhd]$`) and ES|QL takes no parameter for a time span literal.
  const span = plan.definition.correlation!.timespan;
  lines.push(`EVAL window_start = DATE_TRUNC(${span.slice(0, -1)} ${UNITS[span.slice(-1)]}, ${time})`);
  const stats = [`first_seen = MIN(${time})`, `last_seen = MAX(${time})`];
  let having: string;
  if (plan.kind === 'temporal') {
    plan.steps.forEach((s, i) => lines.push(`EVAL s${i} = CASE(${predicateEsql(s.predicate, params, plan.name)}, 1, 0)`));
    stats.unshift('count = COUNT(*)', ...plan.steps.map((_, i) => `s${i} = SUM(s${i})`));
    having = plan.steps.map((_, i) => `s${i} > 0`).join(' AND ');
  } else if (plan.kind === 'value_count') {
    stats.unshift(`count = COUNT_DISTINCT(${value!})`);
    having = thresholdEsql(plan.threshold, 'count', params);
  } else {
    stats.unshift('count = COUNT(*)');
    having = thresholdEsql(plan.threshold, 'count', params);
  }
  lines.push(`STATS ${stats.join(', ')} BY ${[...groups, 'window_start'].join(', ')}`, `WHERE ${having}`, 'SORT first_seen ASC');
  return { query: lines.join('\n| '), params: params.list };
}
