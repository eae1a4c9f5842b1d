import { describe, expect, it } from 'vitest';
import { AuditlineError } from '../../src/errors.js';
import { compileEsql } from '../../src/searches/compile-esql.js';
import { exportSearch } from '../../src/searches/export.js';
import { planOf } from '../../src/searches/lint.js';
import { BUNDLED_SEARCHES_DIR, loadSearchFolder } from '../../src/searches/load.js';
import { planFromYaml, RULE, SEARCH } from './helpers.js';

describe('exports', () => {
  it('every bundled search exports to Kibana as saved-objects NDJSON referencing its data view', () => {
    for (const s of loadSearchFolder(BUNDLED_SEARCHES_DIR).filter((x) => x.definition?.type === 'search')) {
      const lines = exportSearch(planOf(s, {}), 'kibana', {})
        .trimEnd()
        .split('\n')
        .map((l) => JSON.parse(l) as unknown);
      const [dataView, search] = lines as [
        { id: string; type: string; attributes: { title: string; timeFieldName: string } },
        {
          id: string;
          type: string;
          attributes: { title: string; kibanaSavedObjectMeta: { searchSourceJSON: string } };
          references: { id: string; type: string; name: string }[];
        },
      ];
      expect(dataView).toMatchObject({
        id: 'auditline-events',
        type: 'index-pattern',
        attributes: { title: 'logs-auditline.events-*', timeFieldName: '@timestamp' },
      });
      expect(search).toMatchObject({ id: `auditline-${s.definition!.id}`, type: 'search', attributes: { title: s.definition!.title } });
      const source = JSON.parse(search.attributes.kibanaSavedObjectMeta.searchSourceJSON) as {
        indexRefName: string;
        filter: { meta: { indexRefName: string } }[];
      };
      const refs = new Set(search.references.map((r) => r.name));
      expect(refs.has(source.indexRefName)).toBe(true);
      expect(refs.has(source.filter[0]!.meta.indexRefName)).toBe(true);
      expect(search.references.every((r) => r.type === 'index-pattern' && r.id === dataView.id)).toBe(true);
    }
  });

  it('a correlation rule has no Kibana saved search', () => {
    const plan = planFromYaml(
      `${RULE}detection:\n  sel:\n    outcome: failure\n  condition: sel\ncorrelation:\n  type: event_count\n  group-by: [user.id]\n  timespan: 10m\n  condition: { gte: 5 }\n`,
    );
    expect(() => exportSearch(plan, 'kibana', {})).toThrow(AuditlineError);
  });

  it('ES|QL binds every value as a named parameter', () => {
    const plan = planFromYaml(`${SEARCH}detection:\n  sel:\n    action|startswith: kms.secrets.\n    initiator.name|contains: ops\n  condition: sel\n`);
    expect(compileEsql(plan, { location: 'eu-de', sinceMs: 1000, limit: 50 })).toEqual({
      query:
        'FROM logs-auditline.events-eu_de\n| WHERE `@timestamp` >= TO_DATETIME(?from) AND (STARTS_WITH(TO_LOWER(`action`), ?p2) AND TO_LOWER(`initiator.name`) LIKE ?p3)\n| SORT `@timestamp` ASC, `id` ASC\n| LIMIT ?limit',
      params: [{ from: 1000 }, { p2: 'kms.secrets.' }, { p3: '*ops*' }, { limit: 50 }],
    });
  });

  it('ES|QL of an event_count rule counts per group and window', () => {
    const plan = planFromYaml(
      `${RULE}detection:\n  sel:\n    outcome: failure\n  condition: sel\ncorrelation:\n  type: event_count\n  group-by: [user.id]\n  timespan: 10m\n  condition: { gte: 5 }\n`,
    );
    expect(compileEsql(plan, { sinceMs: 0, untilMs: 1000 }).query).toBe(
      [
        'FROM logs-auditline.events-*',
        'WHERE `@timestamp` >= TO_DATETIME(?from) AND `@timestamp` < TO_DATETIME(?until) AND TO_LOWER(`outcome`) == ?p3',
        'WHERE `location` IS NOT NULL AND `initiator.id` IS NOT NULL',
        'EVAL window_start = DATE_TRUNC(10 minutes, `@timestamp`)',
        'STATS count = COUNT(*), first_seen = MIN(`@timestamp`), last_seen = MAX(`@timestamp`) BY `location`, `initiator.id`, window_start',
        'WHERE count >= ?p4',
        'SORT first_seen ASC',
      ].join('\n| '),
    );
  });

  it('a working window: ES|QL reads weekday and minute of the day, a Kibana saved search refuses it', () => {
    const plan = planFromYaml(
      `${RULE}detection:\n  sel:\n    outcome: failure\n  condition: sel\noutside-hours:\n  days: [mon, sun]\n  from: '08:00'\n  to: '18:30'\n`,
    );
    const esql = compileEsql(plan, { sinceMs: 0, untilMs: 1000 });
    expect(esql.query).toContain(
      'NOT (DATE_EXTRACT("DAY_OF_WEEK", `@timestamp`) IN (?p4, ?p5) AND DATE_EXTRACT("MINUTE_OF_DAY", `@timestamp`) >= ?work_from AND DATE_EXTRACT("MINUTE_OF_DAY", `@timestamp`) < ?work_to)',
    );
    // ISO days: Sunday is 7, Monday 1.
    expect(esql.params).toEqual(expect.arrayContaining([{ p4: 7 }, { p5: 1 }, { work_from: 480 }, { work_to: 1110 }]));
    expect(() => exportSearch(plan, 'kibana', {})).toThrow(/outside working hours/);
  });
});
