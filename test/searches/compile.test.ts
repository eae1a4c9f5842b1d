import { describe, expect, it } from 'vitest';
import { compileDsl } from '../../src/searches/compile-dsl.js';
import { compileSql } from '../../src/searches/compile-sql.js';
import { planFromYaml, RULE, SEARCH } from './helpers.js';

/** The WHERE predicate (after the time range) and bound values of a one-table search. */
function sqlOf(detection: string): { where: string; params: Record<string, unknown> } {
  const q = compileSql(planFromYaml(`${SEARCH}detection:\n${detection}`), { tables: ['events_us_south'] });
  const where = /\n {2}WHERE (.*)\n\)/s.exec(q.sql)?.[1] ?? '';
  return { where, params: q.params };
}

/** The query clause a one-search DSL holds for its detection. */
function dslOf(detection: string): unknown {
  const body = compileDsl(planFromYaml(`${SEARCH}detection:\n${detection}`), {}).body as { query: { bool: { filter: unknown[] } } };
  return body.query.bool.filter[0];
}

const ci = { case_insensitive: true };

describe('compiling selections', () => {
  const cases: { name: string; detection: string; where: string; params: Record<string, unknown>; dsl: unknown }[] = [
    {
      name: 'a plain value matches whole and ignores case, as in Sigma',
      detection: '  sel:\n    action: KMS.secrets.unwrap\n  condition: sel',
      where: 'action = $p1',
      params: { p1: 'kms.secrets.unwrap' },
      dsl: { term: { action: { value: 'kms.secrets.unwrap', ...ci } } },
    },
    {
      name: 'cased matches case-sensitively',
      detection: '  sel:\n    correlationId|cased: AbC\n  condition: sel',
      where: 'correlation_id = $p1',
      params: { p1: 'AbC' },
      dsl: { term: { correlationId: { value: 'AbC' } } },
    },
    {
      name: 'a list of values is any of them',
      detection: '  sel:\n    outcome: [failure, unknown]\n  condition: sel',
      // The bounds of the list as a range DuckDB applies in the scan.
      where: '(outcome BETWEEN $p3 AND $p4 AND outcome IN ($p1, $p2))',
      params: { p1: 'failure', p2: 'unknown', p3: 'failure', p4: 'unknown' },
      dsl: {
        bool: { should: [{ term: { outcome: { value: 'failure', ...ci } } }, { term: { outcome: { value: 'unknown', ...ci } } }], minimum_should_match: 1 },
      },
    },
    {
      name: 'contains with all needs every value',
      detection: '  sel:\n    initiator.name|contains|all: [ops, example]\n  condition: sel',
      where: '(contains(lower(initiator_name), $p1) AND contains(lower(initiator_name), $p2))',
      params: { p1: 'ops', p2: 'example' },
      dsl: {
        bool: { filter: [{ wildcard: { 'initiator.name': { value: '*ops*', ...ci } } }, { wildcard: { 'initiator.name': { value: '*example*', ...ci } } }] },
      },
    },
    {
      name: 'startswith is a prefix',
      detection: '  sel:\n    action|startswith: kms.secrets.\n  condition: sel',
      where: 'starts_with(action, $p1)',
      params: { p1: 'kms.secrets.' },
      dsl: { prefix: { action: { value: 'kms.secrets.', ...ci } } },
    },
    {
      name: 'endswith escapes wildcard characters of the value',
      detection: "  sel:\n    target.id|endswith: ':key:a*b'\n  condition: sel",
      where: 'ends_with(lower(target_id), $p1)',
      params: { p1: ':key:a*b' },
      dsl: { wildcard: { 'target.id': { value: '*:key:a\\*b', ...ci } } },
    },
    {
      name: 're matches the whole value; a text field with a keyword sub-field is matched on it',
      detection: "  sel:\n    message|re: 'Key Protect: (wrap|unwrap) .*'\n  condition: sel",
      where: `regexp_full_match(json_extract_string(event, '$."message"'), $p1, 'i')`,
      params: { p1: 'Key Protect: (wrap|unwrap) .*' },
      dsl: { regexp: { 'message.keyword': { value: 'Key Protect: (wrap|unwrap) .*', flags: 'NONE', ...ci } } },
    },
    {
      name: 'cidr becomes a whole-value pattern over the dotted quad (ECS alias source.ip)',
      detection: '  sel:\n    source.ip|cidr: 10.0.0.0/14\n  condition: sel',
      where: 'regexp_full_match(source_address, $p1)',
      params: { p1: '10\\.(0|1|2|3)\\.[0-9]{1,3}\\.[0-9]{1,3}' },
      dsl: { regexp: { 'initiator.host.address': { value: '10\\.(0|1|2|3)\\.[0-9]{1,3}\\.[0-9]{1,3}', flags: 'NONE' } } },
    },
    {
      name: 'gt, gte, lt and lte compare numbers',
      detection:
        '  sel:\n    reason.reasonCode|gte: 400\n    http.response.status_code|lt: 500\n    auditline.redactions|gt: 0\n    auditline.line|lte: 9\n  condition: sel',
      where: `(reason_code >= $p1 AND reason_code < $p2 AND TRY_CAST(json_extract_string(event, '$."auditline"."redactions"') AS BIGINT) > $p3 AND line <= $p4)`,
      params: { p1: 400, p2: 500, p3: 0, p4: 9 },
      dsl: {
        bool: {
          filter: [
            { range: { 'reason.reasonCode': { gte: 400 } } },
            { range: { 'reason.reasonCode': { lt: 500 } } },
            { range: { 'auditline.redactions': { gt: 0 } } },
            { range: { 'auditline.line': { lte: 9 } } },
          ],
        },
      },
    },
    {
      name: 'exists and null test presence',
      detection: '  sel:\n    correlationId|exists: true\n    target.alias: null\n  condition: sel',
      where: `(correlation_id IS NOT NULL AND json_extract_string(event, '$."target"."alias"') IS NULL)`,
      params: {},
      dsl: { bool: { filter: [{ exists: { field: 'correlationId' } }, { bool: { must_not: [{ exists: { field: 'target.alias' } }] } }] } },
    },
    {
      name: 'booleans and members of flattened objects',
      detection: '  sel:\n    dataEvent: true\n    requestData.policy: dualAuthDelete\n  condition: sel',
      where: `(data_event = $p1 AND lower(json_extract_string(event, '$."requestData"."policy"')) = $p2)`,
      params: { p1: true, p2: 'dualauthdelete' },
      dsl: { bool: { filter: [{ term: { dataEvent: { value: true } } }, { term: { 'requestData.policy': { value: 'dualauthdelete', ...ci } } }] } },
    },
    {
      name: 'a list of maps is any of the maps (ECS alias user.id)',
      detection: '  sel:\n    - user.id: a\n    - initiator.name: b\n  condition: sel',
      where: '(lower(initiator_id) = $p1 OR lower(initiator_name) = $p2)',
      params: { p1: 'a', p2: 'b' },
      dsl: {
        bool: { should: [{ term: { 'initiator.id': { value: 'a', ...ci } } }, { term: { 'initiator.name': { value: 'b', ...ci } } }], minimum_should_match: 1 },
      },
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      expect(sqlOf(c.detection)).toEqual({ where: c.where, params: c.params });
      expect(dslOf(c.detection)).toEqual(c.dsl);
    });
  }
});

describe('compiling conditions', () => {
  const three = '  a:\n    action: x\n  b:\n    outcome: failure\n  c:\n    service: kms\n';
  it('binds not tighter than and, and and tighter than or; not holds for events without the field', () => {
    expect(sqlOf(`${three}  condition: a or not b and c`).where).toBe('(action = $p1 OR (NOT coalesce(outcome = $p2, false) AND lower(service) = $p3))');
    expect(dslOf(`${three}  condition: a or not b and c`)).toEqual({
      bool: {
        should: [
          { term: { action: { value: 'x', ...ci } } },
          { bool: { filter: [{ bool: { must_not: [{ term: { outcome: { value: 'failure', ...ci } } }] } }, { term: { service: { value: 'kms', ...ci } } }] } },
        ],
        minimum_should_match: 1,
      },
    });
  });

  it('parentheses group', () => {
    expect(sqlOf(`${three}  condition: (a or b) and c`).where).toBe('((action = $p1 OR outcome = $p2) AND lower(service) = $p3)');
  });

  it('1 of a pattern is any selection it names, all of them is every selection', () => {
    const sel = '  sel_a:\n    action: x\n  sel_b:\n    outcome: failure\n  other:\n    service: kms\n';
    expect(sqlOf(`${sel}  condition: 1 of sel_* and other`).where).toBe('((action = $p1 OR outcome = $p2) AND lower(service) = $p3)');
    expect(sqlOf(`${sel}  condition: all of them`).where).toBe('(action = $p1 AND outcome = $p2 AND lower(service) = $p3)');
  });

  it('binds parameters into values, never into the text', () => {
    const yaml = `${SEARCH}parameters:\n  key:\n    type: string\n    description: k\ndetection:\n  sel:\n    target.id|endswith: ":key:{{key}}"\n  condition: sel\n`;
    const q = compileSql(planFromYaml(yaml, { key: "x'; DROP TABLE t; --" }), { tables: ['events_us_south'] });
    expect(q.sql).not.toContain('DROP');
    expect(q.params.p1).toBe(":key:x'; drop table t; --");
  });

  it('searches every location with UNION ALL, each table filtered alike', () => {
    const q = compileSql(planFromYaml(`${SEARCH}detection:\n  sel:\n    outcome: failure\n  condition: sel\n`), {
      tables: ['events_eu_de', 'events_us_south'],
      sinceMs: 1000,
      untilMs: 2000,
      limit: 10,
    });
    expect(q.sql).toBe(
      [
        'WITH matched AS (',
        '  SELECT id, event_time, location, event::VARCHAR AS event',
        '  FROM "events_eu_de"',
        '  WHERE event_time >= make_timestamptz(CAST($since AS BIGINT) * 1000)',
        '    AND event_time < make_timestamptz(CAST($until AS BIGINT) * 1000)',
        '    AND outcome = $p1',
        '  UNION ALL',
        '  SELECT id, event_time, location, event::VARCHAR AS event',
        '  FROM "events_us_south"',
        '  WHERE event_time >= make_timestamptz(CAST($since AS BIGINT) * 1000)',
        '    AND event_time < make_timestamptz(CAST($until AS BIGINT) * 1000)',
        '    AND outcome = $p1',
        ')',
        'SELECT id, event_time, location, event',
        'FROM matched',
        'ORDER BY event_time, id',
        'LIMIT $limit',
      ].join('\n'),
    );
    expect(q.params).toEqual({ since: 1000, until: 2000, p1: 'failure', limit: 10 });
    const dsl = compileDsl(planFromYaml(`${SEARCH}detection:\n  sel:\n    outcome: failure\n  condition: sel\n`), {
      location: 'us-south',
      sinceMs: 1000,
      untilMs: 2000,
      limit: 10,
    });
    expect(dsl).toEqual({
      index: 'logs-auditline.events-us_south',
      body: {
        query: {
          bool: { filter: [{ range: { '@timestamp': { format: 'epoch_millis', gte: 1000, lt: 2000 } } }, { term: { outcome: { value: 'failure', ...ci } } }] },
        },
        size: 10,
        sort: [{ '@timestamp': { order: 'asc' } }, { id: { order: 'asc' } }],
        track_total_hits: true,
      },
    });
  });
});

const DELETION = `${RULE}detection:\n  scheduled:\n    action: kms.secrets.setkeyfordeletion\n  deleted:\n    action: kms.secrets.delete\n  condition: scheduled or deleted\n`;
const RANGE = { tables: ['events_us_south'], sinceMs: 86_400_000, untilMs: 172_800_000 };
const stats = (alias = '') =>
  `min(${alias}event_time) AS first_seen, max(${alias}event_time) AS last_seen, list(${alias}id ORDER BY ${alias}event_time, ${alias}id)[1:5] AS sample_ids, list_sort(list(DISTINCT ${alias}location)) AS locations`;
const esStats = {
  first_seen: { min: { field: '@timestamp' } },
  last_seen: { max: { field: '@timestamp' } },
  sample_ids: { top_hits: { size: 5, sort: [{ '@timestamp': { order: 'asc' } }, { id: { order: 'asc' } }], _source: false } },
  locations: { terms: { field: 'location', size: 10000 } },
};
const MATCHED = (extra: string) =>
  [
    'WITH matched AS (',
    `  SELECT id, event_time, location, location AS g0, ${extra}`,
    '  FROM "events_us_south"',
    '  WHERE event_time >= make_timestamptz(CAST($since AS BIGINT) * 1000)',
    '    AND event_time < make_timestamptz(CAST($until AS BIGINT) * 1000)',
    '    AND (action BETWEEN $p3 AND $p4 AND action IN ($p1, $p2))',
    ')',
  ].join('\n');

describe('compiling correlations', () => {
  it('event_count counts events per group (location first) and epoch-aligned window, threshold bound', () => {
    const plan = planFromYaml(`${DELETION}correlation:\n  type: event_count\n  group-by: [user.id]\n  timespan: 10m\n  condition: { gte: 5, lt: 100 }\n`);
    const q = compileSql(plan, RANGE);
    expect(q.sql).toBe(
      [
        `${MATCHED('initiator_id AS g1')},`,
        'windowed AS (',
        '  SELECT *, (epoch_ms(event_time) // $span) * $span AS window_start FROM matched WHERE g0 IS NOT NULL AND g1 IS NOT NULL',
        '),',
        // The threshold on counts alone; the lists a finding shows only for the windows that meet it.
        'hits AS (',
        '  SELECT g0, g1, window_start, count(*) AS count FROM windowed GROUP BY g0, g1, window_start HAVING count(*) >= $p5 AND count(*) < $p6',
        ')',
        `SELECT w.g0, w.g1, w.window_start, h.count, ${stats('w.')}`,
        'FROM windowed w JOIN hits h USING (g0, g1, window_start)',
        'GROUP BY w.g0, w.g1, w.window_start, h.count',
        'ORDER BY first_seen, g0, g1, window_start',
      ].join('\n'),
    );
    expect(q.params).toEqual({
      since: 86_400_000,
      until: 172_800_000,
      p1: 'kms.secrets.setkeyfordeletion',
      p2: 'kms.secrets.delete',
      p3: 'kms.secrets.delete',
      p4: 'kms.secrets.setkeyfordeletion',
      span: 600_000,
      p5: 5,
      p6: 100,
    });
    expect(compileDsl(plan, RANGE).body.aggs).toEqual({
      g0: {
        terms: { field: 'location', size: 10000 },
        aggs: {
          g1: {
            terms: { field: 'initiator.id', size: 10000 },
            aggs: {
              window: {
                date_histogram: { field: '@timestamp', fixed_interval: '10m', min_doc_count: 1 },
                aggs: {
                  ...esStats,
                  threshold: {
                    bucket_selector: {
                      buckets_path: { value: '_count' },
                      script: { source: 'params.value >= params.gte && params.value < params.lt', params: { gte: 5, lt: 100 } },
                    },
                  },
                },
              },
            },
          },
        },
      },
    });
  });

  it('value_count counts distinct values', () => {
    const plan = planFromYaml(
      `${DELETION}correlation:\n  type: value_count\n  group-by: [initiator.id]\n  field: target.id\n  timespan: 15m\n  condition: { gte: 5 }\n`,
    );
    const q = compileSql(plan, RANGE);
    expect(q.sql).toContain('HAVING count(DISTINCT v) >= $p5');
    expect(q.sql).toContain(', target_id AS v\n');
    expect(q.sql).toContain('WHERE g0 IS NOT NULL AND g1 IS NOT NULL AND v IS NOT NULL');
    const window = (compileDsl(plan, RANGE).body.aggs as never as { g0: { aggs: { g1: { aggs: { window: { aggs: Record<string, unknown> } } } } } }).g0.aggs.g1
      .aggs.window.aggs;
    expect(window.distinct).toEqual({ cardinality: { field: 'target.id', precision_threshold: 40000 } });
    expect(window.threshold).toEqual({
      bucket_selector: { buckets_path: { value: 'distinct' }, script: { source: 'params.value >= params.gte', params: { gte: 5 } } },
    });
  });

  it('temporal needs every step in the window', () => {
    const plan = planFromYaml(`${DELETION}correlation:\n  type: temporal\n  group-by: [target.id]\n  timespan: 1h\n  steps: [scheduled, deleted]\n`);
    const q = compileSql(plan, RANGE);
    expect(q.sql).toContain('target_id AS g1, coalesce(action = $p5, false) AS s0, coalesce(action = $p6, false) AS s1\n');
    expect(q.sql).toContain('HAVING bool_or(s0) AND bool_or(s1)');
    const window = (compileDsl(plan, RANGE).body.aggs as never as { g0: { aggs: { g1: { aggs: { window: { aggs: Record<string, unknown> } } } } } }).g0.aggs.g1
      .aggs.window.aggs;
    expect(window.s0).toEqual({ filter: { term: { action: { value: 'kms.secrets.setkeyfordeletion', ...ci } } } });
    expect(window.every_step).toEqual({
      bucket_selector: { buckets_path: { s0: 's0>_count', s1: 's1>_count' }, script: { source: 'params.s0 > 0 && params.s1 > 0' } },
    });
  });

  it('temporal_ordered chains each step after the one before', () => {
    const q = compileSql(
      planFromYaml(`${DELETION}correlation:\n  type: temporal_ordered\n  group-by: [target.id]\n  timespan: 1h\n  steps: [scheduled, deleted]\n`),
      RANGE,
    );
    expect(q.sql).toBe(
      [
        `${MATCHED('target_id AS g1, coalesce(action = $p5, false) AS s0, coalesce(action = $p6, false) AS s1')},`,
        'windowed AS (',
        '  SELECT *, (epoch_ms(event_time) // $span) * $span AS window_start FROM matched WHERE g0 IS NOT NULL AND g1 IS NOT NULL',
        '),',
        'step0 AS (',
        '  SELECT e.g0, e.g1, e.window_start, min(e.event_time) AS t FROM windowed e WHERE e.s0 GROUP BY e.g0, e.g1, e.window_start',
        '),',
        'step1 AS (',
        '  SELECT e.g0, e.g1, e.window_start, min(e.event_time) AS t FROM windowed e JOIN step0 p ON e.g0 = p.g0 AND e.g1 = p.g1 AND e.window_start = p.window_start AND e.event_time > p.t WHERE e.s1 GROUP BY e.g0, e.g1, e.window_start',
        ')',
        `SELECT e.g0, e.g1, e.window_start, count(*) AS count, ${stats('e.')}`,
        'FROM windowed e JOIN step1 USING (g0, g1, window_start)',
        'GROUP BY e.g0, e.g1, e.window_start',
        'ORDER BY first_seen, g0, g1, window_start',
      ].join('\n'),
    );
  });

  it('new_terms looks back over the history and keeps values first seen in the range', () => {
    const q = compileSql(
      planFromYaml(`${DELETION}new_terms:\n  group-by: [target.id]\n  field: initiator.id\n  history: 7d\n  condition: { gte: 2 }\n`),
      RANGE,
    );
    expect(q.params).toMatchObject({ since: 86_400_000, from: 86_400_000 - 7 * 86_400_000, until: 172_800_000, p5: 2 });
    expect(q.sql).toContain('WHERE event_time >= make_timestamptz(CAST($from AS BIGINT) * 1000)');
    // The first event of a value is its least (time, id); only values first seen in the range are kept.
    expect(q.sql).toContain("SELECT g0, g1, v, min({'t': event_time, 'i': id}) AS first, any_value(location) AS location\n  FROM matched");
    expect(q.sql).toContain('FROM firsts WHERE first.t >= make_timestamptz(CAST($since AS BIGINT) * 1000)');
    expect(q.sql).toContain('FROM news\nGROUP BY g0, g1\nHAVING count(*) >= $p5');
  });

  it('baseline compares each window with the trailing history, without division', () => {
    const q = compileSql(
      planFromYaml(`${DELETION}baseline:\n  metric: error_rate\n  group-by: [initiator.id]\n  timespan: 1h\n  history: 7d\n  factor: 3\n  min-count: 5\n`),
      RANGE,
    );
    expect(q.sql).toContain(', coalesce(outcome = $p5, false) AS err\n');
    expect(q.sql).toContain(
      'WHERE coalesce(h.n, 0) >= $min_history AND c.errors >= $min_count AND c.errors * greatest(coalesce(h.n, 0), 1) > $factor * coalesce(h.errors, 0) * c.n',
    );
    expect(q.params).toMatchObject({ min_count: 5, factor: 3, min_history: 0, span: 3_600_000 });
  });

  it('a rate baseline measures its history from the first event it holds, at most the whole history', () => {
    const q = compileSql(
      planFromYaml(`${DELETION}baseline:\n  metric: rate\n  group-by: [action]\n  timespan: 1h\n  history: 7d\n  factor: 10\n  min-count: 30\n`),
      RANGE,
    );
    expect(q.sql).toContain(
      'reach AS (\n  SELECT CAST($since AS BIGINT) - epoch_ms(min(event_time)) AS ms FROM matched WHERE event_time < make_timestamptz(CAST($since AS BIGINT) * 1000)\n)',
    );
    expect(q.sql).toContain('c.n >= $min_count AND c.n * (SELECT ms FROM reach) > $factor * coalesce(h.n, 0) * $span');
    const aggs = compileDsl(
      planFromYaml(`${DELETION}baseline:\n  metric: rate\n  group-by: [action]\n  timespan: 1h\n  history: 7d\n  factor: 10\n  min-count: 30\n`),
      RANGE,
    ).body.aggs as Record<string, unknown>;
    expect(aggs.history_reach).toEqual({
      filter: { range: { '@timestamp': { lt: 86_400_000, format: 'epoch_millis' } } },
      aggs: { first: { min: { field: '@timestamp' } } },
    });
  });
});

describe('compiling a working window', () => {
  const WEEKDAYS_9_TO_5 = `${RULE}detection:\n  sel:\n    action: kms.secrets.delete\n  condition: sel\noutside-hours:\n  days: [mon, tue, wed, thu, fri]\n  from: '09:00'\n  to: '17:00'\n`;
  // Friday 2025-11-21 and Saturday 2025-11-22 (UTC).
  const FRIDAY = Date.parse('2025-11-21T00:00:00Z');
  const HOUR = 3_600_000;

  it('SQL keeps events whose weekday and minute of the day (UTC, from the stored time) fall outside it', () => {
    const q = compileSql(planFromYaml(WEEKDAYS_9_TO_5), { tables: ['events_us_south'], sinceMs: FRIDAY, untilMs: FRIDAY + 48 * HOUR });
    expect(q.sql).toContain(
      '    AND action = $p1\n    AND NOT ((epoch_ms(event_time) // 86400000 + 4) % 7 IN ($p2, $p3, $p4, $p5, $p6) AND epoch_ms(event_time) // 60000 % 1440 >= $p7 AND epoch_ms(event_time) // 60000 % 1440 < $p8)\n',
    );
    expect(q.params).toMatchObject({ p2: 1, p3: 2, p4: 3, p5: 4, p6: 5, p7: 540, p8: 1020 });
  });

  it('DSL spells the stretches of the searched range outside it as time ranges, a night and weekend joined', () => {
    const body = compileDsl(planFromYaml(WEEKDAYS_9_TO_5), { sinceMs: FRIDAY, untilMs: FRIDAY + 48 * HOUR }).body as { query: { bool: { filter: unknown[] } } };
    const range = (gte: number, lt: number) => ({ range: { '@timestamp': { gte, lt, format: 'epoch_millis' } } });
    expect(body.query.bool.filter[2]).toEqual({
      bool: { should: [range(FRIDAY, FRIDAY + 9 * HOUR), range(FRIDAY + 17 * HOUR, FRIDAY + 48 * HOUR)], minimum_should_match: 1 },
    });
  });

  it('is refused on searches, and when it ends before it starts', () => {
    expect(() =>
      planFromYaml(`${SEARCH}detection:\n  sel:\n    action: x\n  condition: sel\noutside-hours:\n  days: [mon]\n  from: '09:00'\n  to: '17:00'\n`),
    ).toThrow(/outside-hours belongs to detection rules/);
    expect(() => planFromYaml(WEEKDAYS_9_TO_5.replace("to: '17:00'", "to: '08:00'"))).toThrow(/must be before to/);
  });
});
