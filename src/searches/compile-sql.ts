import { INITIATOR_FIELD, TARGET_FIELD, TIME_FIELD, type SearchField } from './fields.js';
import type { Plan, WorkingWindow } from './plan.js';
import type { Match, Predicate } from './predicate.js';

/**
 * DuckDB SQL for a plan, over the tables of every location or one (UNION ALL): a pure function,
 * tested on its exact text. Every value of the rule or of a parameter is bound (`$p1`, `$since`);
 * the text holds only identifiers from the field table and table names from the store.
 *
 * Windows are tumbling, aligned to the epoch (`epoch_ms // span`), as Elasticsearch's
 * `date_histogram` with a fixed interval cuts them: both backends put each event in the same window.
 */

export interface SqlQuery {
  sql: string;
  params: Record<string, string | number | boolean>;
}

export interface SqlRange {
  /** One table per location, as `tableOf(location)` names them */
  tables: readonly string[];
  /** Epoch milliseconds; rules need both, searches may leave either open */
  sinceMs?: number;
  untilMs?: number;
  /** Most events a search returns */
  limit?: number;
}

/** Event ids kept per finding */
export const SAMPLE_IDS = 5;

const TIME = TIME_FIELD.column!;
const at = (param: string) => `make_timestamptz(CAST($${param} AS BIGINT) * 1000)`;

class Params {
  readonly values: Record<string, string | number | boolean> = {};
  private n = 0;
  bind(value: string | number | boolean): string {
    const name = `p${++this.n}`;
    this.values[name] = value;
    return `$${name}`;
  }
  named(name: string, value: string | number | boolean): string {
    this.values[name] = value;
    return `$${name}`;
  }
}

/** A field as a DuckDB expression: its column, or extraction from the event's JSON. */
export function fieldSql(field: SearchField): string {
  if (field.column) return field.column;
  const path = `$.${field.path
    .split('.')
    .map((s) => `"${s}"`)
    .join('.')}`;
  const text = `json_extract_string(event, '${path}')`;
  if (field.type === 'number') return `TRY_CAST(${text} AS BIGINT)`;
  if (field.type === 'boolean') return `TRY_CAST(${text} AS BOOLEAN)`;
  return text;
}

function matchSql(m: Match, params: Params): string {
  const col = fieldSql(m.field);
  if (m.op === 'null') return `${col} IS NULL`;
  if (m.op === 'exists') return `${col} IS NOT NULL`;
  const text = m.cased || m.field.type !== 'text' || m.field.lowerCase ? col : `lower(${col})`;
  const v = params.bind(m.value);
  switch (m.op) {
    case 'eq':
      return `${text} = ${v}`;
    case 'contains':
      return `contains(${text}, ${v})`;
    case 'startswith':
      return `starts_with(${text}, ${v})`;
    case 'endswith':
      return `ends_with(${text}, ${v})`;
    case 're':
      return m.cased ? `regexp_full_match(${col}, ${v})` : `regexp_full_match(${col}, ${v}, 'i')`;
    case 'gt':
      return `${col} > ${v}`;
    case 'gte':
      return `${col} >= ${v}`;
    case 'lt':
      return `${col} < ${v}`;
    case 'lte':
      return `${col} <= ${v}`;
  }
}

/**
 * A predicate as SQL. A comparison with NULL (a field the event lacks) is NULL, which and/or
 * treat as false already; only `not` must turn it into false first, so that `not x` holds for
 * an event without the field, as in Sigma and Elasticsearch.
 */
export function predicateSql(p: Predicate, params: Params): string {
  switch (p.kind) {
    case 'match':
      return matchSql(p, params);
    case 'not':
      return `NOT coalesce(${predicateSql(p.item, params)}, false)`;
    case 'and':
    case 'or': {
      if (p.items.length === 0) return p.kind === 'and' ? 'true' : 'false';
      if (p.items.length === 1) return predicateSql(p.items[0]!, params);
      const list = p.kind === 'or' ? inList(p.items, params) : undefined;
      if (list) return list;
      return `(${p.items.map((i) => predicateSql(i, params)).join(` ${p.kind.toUpperCase()} `)})`;
    }
  }
}

/** Any of several values of one field (Sigma's list), as one IN: `lower()` computed once a row, and a list DuckDB can push into the scan. */
function inList(items: readonly Predicate[], params: Params): string | undefined {
  const first = items[0];
  if (first?.kind !== 'match' || first.op !== 'eq') return undefined;
  if (!items.every((i) => i.kind === 'match' && i.op === 'eq' && i.field.path === first.field.path && i.cased === first.cased)) return undefined;
  const col = fieldSql(first.field);
  const bare = first.cased || first.field.type !== 'text' || first.field.lowerCase;
  const values = items.map((i) => (i as Match).value);
  const list = `${bare ? col : `lower(${col})`} IN (${values.map((v) => params.bind(v)).join(', ')})`;
  // DuckDB applies a column's range in the scan and reads the other columns (the event's JSON) only
  // for the rows within it; an IN list it only checks against zone maps. Byte order is code-unit
  // order for ASCII text, so the bounds are taken only then.
  const bounds = bare && first.field.column !== undefined ? rangeOf(values) : undefined;
  return bounds ? `(${col} BETWEEN ${params.bind(bounds[0])} AND ${params.bind(bounds[1])} AND ${list})` : list;
}

function rangeOf(values: readonly (string | number | boolean)[]): [string | number, string | number] | undefined {
  if (values.every((v) => typeof v === 'number')) return [Math.min(...(values as number[])), Math.max(...(values as number[]))];
  if (!values.every((v) => typeof v === 'string' && /^[\x20-\x7e]*$/.test(v))) return undefined;
  const sorted = [...(values as string[])].sort();
  return [sorted[0]!, sorted.at(-1)!];
}

export function compileSql(plan: Plan, range: SqlRange): SqlQuery {
  if (range.tables.length === 0) throw new Error('compileSql needs at least one table');
  const params = new Params();
  const where: string[] = [];
  const lookBack = plan.kind === 'new_terms' || plan.kind === 'baseline';
  if (plan.kind !== 'events' && (range.sinceMs === undefined || range.untilMs === undefined)) throw new Error('a rule runs over a closed time range');
  if (range.sinceMs !== undefined) {
    params.named('since', Math.floor(range.sinceMs));
    if (lookBack) params.named('from', Math.floor(range.sinceMs - plan.historyMs));
    where.push(`${TIME} >= ${at(lookBack ? 'from' : 'since')}`);
  }
  if (range.untilMs !== undefined) {
    params.named('until', Math.floor(range.untilMs));
    where.push(`${TIME} < ${at('until')}`);
  }
  const filter = predicateSql(plan.filter, params);
  if (filter !== 'true') where.push(filter);
  if (plan.outsideHours) where.push(outsideHoursSql(plan.outsideHours, params));

  const columns = ['id', TIME, 'location'];
  // A rule's finding of one event names its principal and target, which are columns: reading the
  // event's JSON for every row of the range only to drop it would cost most of such a rule's time.
  const eventRule = plan.kind === 'events' && plan.definition.type === 'rule';
  const shownOfEvent = eventRule ? [`${fieldSql(INITIATOR_FIELD)} AS initiator`, `${fieldSql(TARGET_FIELD)} AS target`] : ['event::VARCHAR AS event'];
  if (plan.kind === 'events') columns.push(...shownOfEvent);
  plan.groupBy.forEach((g, i) => columns.push(`${fieldSql(g)} AS g${i}`));
  if (plan.valueField) columns.push(`${fieldSql(plan.valueField)} AS v`);
  // Each step's predicate is written once per table; the parameters they bind are shared.
  const stepSql = plan.steps.map((s) => predicateSql(s.predicate, params));
  stepSql.forEach((s, i) => columns.push(`coalesce(${s}, false) AS s${i}`));
  if (plan.kind === 'baseline') columns.push(plan.errors ? `coalesce(${predicateSql(plan.errors, params)}, false) AS err` : 'true AS err');
  const selects = range.tables.map((t) => `  SELECT ${columns.join(', ')}\n  FROM "${t}"${where.length ? `\n  WHERE ${where.join('\n    AND ')}` : ''}`);
  const matched = `WITH matched AS (\n${selects.join('\n  UNION ALL\n')}\n)`;

  if (plan.kind === 'events') {
    const limit = range.limit === undefined ? '' : `\nLIMIT ${params.named('limit', range.limit)}`;
    return {
      sql: `${matched}\nSELECT id, ${TIME}, location, ${eventRule ? 'initiator, target' : 'event'}\nFROM matched\nORDER BY ${TIME}, id${limit}`,
      params: params.values,
    };
  }

  const g = plan.groupBy.map((_, i) => `g${i}`);
  const notNull = [...g, ...(plan.valueField ? ['v'] : [])].map((c) => `${c} IS NOT NULL`).join(' AND ');
  const span = plan.spanMs > 0 ? params.named('span', plan.spanMs) : '';
  const window = `(epoch_ms(${TIME}) // ${span}) * ${span}`;
  const keys = [...g, 'window_start'];
  const order = `ORDER BY first_seen, ${keys.join(', ')}`;
  const having = (count: string) => thresholdSql(plan.threshold, count, params);
  const windowed = `windowed AS (\n  SELECT *, ${window} AS window_start FROM matched WHERE ${notNull}\n)`;
  // Two passes: which windows meet the rule is decided on counts alone, and what a finding shows
  // of its events (sample ids, locations, values: lists built and sorted per window) only for
  // those. Built for every window, the lists took most of a rule's time over a large store.
  const shown = (hits: string, extra: string[] = []) =>
    `${matched},\n${windowed},\nhits AS (\n  ${hits}\n)\nSELECT ${[...keys.map((k) => `w.${k}`), 'h.count', ...statsSql('w.'), ...extra].join(', ')}\nFROM windowed w JOIN hits h USING (${keys.join(', ')})\nGROUP BY ${[...keys.map((k) => `w.${k}`), 'h.count'].join(', ')}\n${order}`;

  switch (plan.kind) {
    case 'event_count':
      return {
        sql: shown(`SELECT ${keys.join(', ')}, count(*) AS count FROM windowed GROUP BY ${keys.join(', ')} HAVING ${having('count(*)')}`),
        params: params.values,
      };
    case 'value_count': {
      const hits = `SELECT ${keys.join(', ')}, count(DISTINCT v) AS count FROM windowed GROUP BY ${keys.join(', ')} HAVING ${having('count(DISTINCT v)')}`;
      return { sql: shown(hits, [`list_sort(list(DISTINCT w.v))[1:${SAMPLE_IDS}] AS "values"`]), params: params.values };
    }
    case 'temporal': {
      const all = plan.steps.map((_, i) => `bool_or(s${i})`).join(' AND ');
      return { sql: shown(`SELECT ${keys.join(', ')}, count(*) AS count FROM windowed GROUP BY ${keys.join(', ')} HAVING ${all}`), params: params.values };
    }
    case 'temporal_ordered': {
      // Greedy: the earliest event of each step after the one chosen for the step before; a
      // sequence exists in a window exactly when this chain reaches the last step.
      const ctes = [windowed];
      plan.steps.forEach((_, i) => {
        const join = i === 0 ? '' : ` JOIN step${i - 1} p ON ${keys.map((k) => `e.${k} = p.${k}`).join(' AND ')} AND e.${TIME} > p.t`;
        ctes.push(
          `step${i} AS (\n  SELECT ${keys.map((k) => `e.${k}`).join(', ')}, min(e.${TIME}) AS t FROM windowed e${join} WHERE e.s${i} GROUP BY ${keys.map((k) => `e.${k}`).join(', ')}\n)`,
        );
      });
      const last = `step${plan.steps.length - 1}`;
      const sql = `${matched},\n${ctes.join(',\n')}\nSELECT ${[...keys.map((k) => `e.${k}`), 'count(*) AS count', ...statsSql('e.')].join(', ')}\nFROM windowed e JOIN ${last} USING (${keys.join(', ')})\nGROUP BY ${keys.map((k) => `e.${k}`).join(', ')}\n${order}`;
      return { sql, params: params.values };
    }
    case 'new_terms': {
      const gv = [...g, 'v'];
      // The first event of each value: the least (time, id), as the DSL's top hit sorted by time then id.
      const firsts = `firsts AS (\n  SELECT ${gv.join(', ')}, min({'t': ${TIME}, 'i': id}) AS first, any_value(location) AS location\n  FROM matched WHERE ${notNull}\n  GROUP BY ${gv.join(', ')}\n)`;
      // Location is a group or the value itself, so every event of a value has the same one.
      const news = `news AS (\n  SELECT ${gv.join(', ')}, first.t AS first_seen, first.i AS first_id, [location] AS locations\n  FROM firsts WHERE first.t >= ${at('since')}\n)`;
      const select = [
        ...g,
        'min(first_seen) AS window_start',
        'count(*) AS count',
        'min(first_seen) AS first_seen',
        'max(first_seen) AS last_seen',
        `list(first_id ORDER BY first_seen, first_id)[1:${SAMPLE_IDS}] AS sample_ids`,
        'list_sort(list_distinct(flatten(list(locations)))) AS locations',
        `list(v ORDER BY first_seen, v)[1:${SAMPLE_IDS}] AS "values"`,
      ];
      const sql = `${matched},\n${firsts},\n${news}\nSELECT ${select.join(', ')}\nFROM news\nGROUP BY ${g.join(', ')}\nHAVING ${having('count(*)')}\nORDER BY first_seen, ${g.join(', ')}`;
      return { sql, params: params.values };
    }
    case 'baseline': {
      const on = g.map((c) => `c.${c} = h.${c}`).join(' AND ');
      const history = `history AS (\n  SELECT ${g.join(', ')}, count(*) AS n, count(*) FILTER (WHERE err) AS errors\n  FROM matched WHERE ${notNull} AND ${TIME} < ${at('since')}\n  GROUP BY ${g.join(', ')}\n)`;
      const current = `current AS (\n  SELECT *, ${window} AS window_start FROM matched WHERE ${notNull} AND ${TIME} >= ${at('since')}\n)`;
      const counts = `counts AS (\n  SELECT ${keys.join(', ')}, count(*) AS n, count(*) FILTER (WHERE err) AS errors FROM current GROUP BY ${keys.join(', ')}\n)`;
      const minCount = params.named('min_count', plan.minCount);
      const factor = params.named('factor', plan.factor);
      const minHistory = params.named('min_history', plan.minHistory);
      // Rates compared without division: current/span against history/historyMs.
      const test =
        plan.metric === 'rate'
          ? `c.n >= ${minCount} AND c.n * (SELECT ms FROM reach) > ${factor} * coalesce(h.n, 0) * ${span}`
          : `c.errors >= ${minCount} AND c.errors * greatest(coalesce(h.n, 0), 1) > ${factor} * coalesce(h.errors, 0) * c.n`;
      const hits = `hits AS (\n  SELECT ${keys.map((k) => `c.${k}`).join(', ')}, ${plan.metric === 'rate' ? 'c.n' : 'c.errors'} AS count, c.n AS events, c.errors, coalesce(h.n, 0) AS history_events, coalesce(h.errors, 0) AS history_errors\n  FROM counts c LEFT JOIN history h ON ${on}\n  WHERE coalesce(h.n, 0) >= ${minHistory} AND ${test}\n)`;
      const carried = ['count', 'events', 'errors', 'history_events', 'history_errors'].map((c) => `h.${c}`);
      const select = [
        ...keys.map((k) => `w.${k}`),
        ...carried.slice(0, 3),
        'min(w.event_time) AS first_seen',
        'max(w.event_time) AS last_seen',
        `list(w.id ORDER BY w.${TIME}, w.id) FILTER (WHERE w.err)[1:${SAMPLE_IDS}] AS sample_ids`,
        'list_sort(list(DISTINCT w.location)) AS locations',
        ...carried.slice(3),
      ];
      // A rate's history is as long as the store reaches back, at most `history`: a store younger
      // than that would otherwise spread its few days over the whole span and see every peak as a spike.
      const reach = `reach AS (\n  SELECT CAST($since AS BIGINT) - epoch_ms(min(${TIME})) AS ms FROM matched WHERE ${TIME} < ${at('since')}\n)`;
      const ctes = [matched, history, ...(plan.metric === 'rate' ? [reach] : []), current, counts].join(',\n');
      const sql = `${ctes},\n${hits}\nSELECT ${select.join(', ')}\nFROM current w JOIN hits h USING (${keys.join(', ')})\nGROUP BY ${[...keys.map((k) => `w.${k}`), ...carried].join(', ')}\n${order}`;
      return { sql, params: params.values };
    }
  }
}

/**
 * Events outside a working window, in UTC: the day of the week from the epoch day (1970-01-01 was a
 * Thursday, day 4 counting Sunday as 0) and the minute of the day, from the stored time alone.
 */
function outsideHoursSql(w: WorkingWindow, params: Params): string {
  const ms = `epoch_ms(${TIME})`;
  const minute = `${ms} // 60000 % 1440`;
  const days = w.days.map((d) => params.bind(d)).join(', ');
  return `NOT ((${ms} // 86400000 + 4) % 7 IN (${days}) AND ${minute} >= ${params.bind(w.fromMin)} AND ${minute} < ${params.bind(w.toMin)})`;
}

/** What every finding reports of its events: first and last time, sample ids, locations. */
function statsSql(alias: '' | 'e.' | 'w.'): string[] {
  return [
    `min(${alias}${TIME}) AS first_seen`,
    `max(${alias}${TIME}) AS last_seen`,
    `list(${alias}id ORDER BY ${alias}${TIME}, ${alias}id)[1:${SAMPLE_IDS}] AS sample_ids`,
    `list_sort(list(DISTINCT ${alias}location)) AS locations`,
  ];
}

function thresholdSql(t: Plan['threshold'], count: string, params: Params): string {
  const ops = { gt: '>', gte: '>=', lt: '<', lte: '<=', eq: '=' } as const;
  const parts = (Object.keys(ops) as (keyof typeof ops)[]).filter((k) => t[k] !== undefined).map((k) => `${count} ${ops[k]} ${params.bind(t[k]!)}`);
  return parts.length > 0 ? parts.join(' AND ') : 'true';
}
