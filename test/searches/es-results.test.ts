import { describe, expect, it } from 'vitest';
import { exceedsBaseline, inOrder, resultOfAnswers } from '../../src/searches/es-results.js';
import type { ClusterAnswer } from '../../src/sinks/elasticsearch/search.js';
import { planFromYaml, RULE, SEARCH } from './helpers.js';

/** Elasticsearch answers, written by hand in the shapes the DSL asks for, read into findings and events. */
const T = Date.parse('2025-11-21T10:00:00Z');
const MIN = 60_000;

const answer = (cluster: string, aggregations: Record<string, unknown>, hits: ClusterAnswer['hits'] = []): ClusterAnswer => ({
  cluster,
  locations: [],
  hits,
  total: undefined,
  aggregations,
});
const terms = (buckets: Record<string, unknown>[]) => ({ doc_count_error_upper_bound: 0, sum_other_doc_count: 0, buckets });
const top = (ids: string[], times: number[] = []) => ({
  hits: {
    total: { value: ids.length, relation: 'eq' },
    max_score: null,
    hits: ids.map((_id, i) => ({ _index: 'x', _id, _score: null, sort: [times[i] ?? T] })),
  },
});
const window = (key: number, extra: Record<string, unknown>) => ({
  key,
  key_as_string: new Date(key).toISOString(),
  first_seen: { value: key + MIN },
  last_seen: { value: key + 2 * MIN },
  sample_ids: top(['e1', 'e2']),
  locations: terms([{ key: 'us-south', doc_count: 2 }]),
  ...extra,
});

describe('reading Elasticsearch answers into findings', () => {
  it('event_count: a finding per group and window, booleans as booleans, rows of two clusters in the SQL order', () => {
    const plan = planFromYaml(
      `${RULE}detection:\n  s:\n    outcome: failure\n  condition: s\ncorrelation:\n  type: event_count\n  group-by: [dataEvent]\n  timespan: 10m\n  condition: { gte: 2 }\n`,
    );
    const at = (location: string, start: number, count: number) =>
      terms([
        {
          key: location,
          doc_count: count,
          g1: terms([{ key: 1, key_as_string: 'true', doc_count: count, window: { buckets: [{ ...window(start, {}), doc_count: count }] } }]),
        },
      ]);
    const result = resultOfAnswers(plan, [answer('b', { g0: at('eu-de', T, 3) }), answer('a', { g0: at('us-south', T - 10 * MIN, 2) })]);
    expect(result.kind === 'findings' && result.findings.map((f) => [f.location, f.group, f.count, f.windowStart, f.firstSeen, f.sampleEventIds])).toEqual([
      ['us-south', { dataEvent: true }, 2, '2025-11-21T09:50:00.000Z', '2025-11-21T09:51:00.000Z', ['e1', 'e2']],
      ['eu-de', { dataEvent: true }, 3, '2025-11-21T10:00:00.000Z', '2025-11-21T10:01:00.000Z', ['e1', 'e2']],
    ]);
  });

  it('temporal_ordered: a window whose steps all occur but not in order is no finding', () => {
    const plan = planFromYaml(
      `${RULE}detection:\n  a:\n    action: x.a\n  b:\n    action: x.b\n  condition: a or b\ncorrelation:\n  type: temporal_ordered\n  group-by: [initiator.id]\n  timespan: 1h\n  steps: [a, b]\n`,
    );
    const steps = (a: number[], b: number[]) => ({
      s0: { doc_count: a.length, times: top(a.map(String), a) },
      s1: { doc_count: b.length, times: top(b.map(String), b) },
    });
    const group = (id: string, w: Record<string, unknown>) => ({ key: id, doc_count: 2, window: { buckets: [{ ...window(T, w), doc_count: 2 }] } });
    const aggs = {
      g0: terms([{ key: 'us-south', doc_count: 4, g1: terms([group('ordered', steps([T + 1, T + 9], [T + 5])), group('reversed', steps([T + 5], [T + 1]))]) }]),
    };
    const result = resultOfAnswers(plan, [answer('a', aggs)]);
    expect(result.kind === 'findings' && result.findings.map((f) => f.group)).toEqual([{ 'initiator.id': 'ordered' }]);
  });

  it('temporal_ordered steps: each step strictly after the one before, the earliest that is', () => {
    expect(inOrder([[1, 5], [3], [4]])).toBe(true);
    expect(inOrder([[5], [3, 6], [4]])).toBe(false);
    expect(inOrder([[3], [3]])).toBe(false);
    expect(inOrder([[1], []])).toBe(false);
  });

  it('baseline: the comparisons of the SQL, boundaries excluded', () => {
    const rate = planFromYaml(
      `${RULE}detection:\n  s:\n    action|exists: true\n  condition: s\nbaseline:\n  metric: rate\n  group-by: [action]\n  timespan: 1h\n  history: 10h\n  factor: 2\n  min-count: 4\n  min-history: 1\n`,
    );
    expect(exceedsBaseline(rate, { n: 5, errors: 0 }, { n: 20, errors: 0 })).toBe(true);
    expect(exceedsBaseline(rate, { n: 4, errors: 0 }, { n: 20, errors: 0 })).toBe(false);
    expect(exceedsBaseline(rate, { n: 3, errors: 0 }, { n: 1, errors: 0 })).toBe(false);
    expect(exceedsBaseline(rate, { n: 50, errors: 0 }, { n: 0, errors: 0 })).toBe(false);
    // A history that reaches back 5 of its 10 hours holds twice the rate: 20 in 5 h, 4 an hour.
    expect(exceedsBaseline(rate, { n: 5, errors: 0 }, { n: 20, errors: 0 }, 5 * 3_600_000)).toBe(false);
    expect(exceedsBaseline(rate, { n: 9, errors: 0 }, { n: 20, errors: 0 }, 5 * 3_600_000)).toBe(true);
    const errors = planFromYaml(
      `${RULE}detection:\n  s:\n    action|exists: true\n  condition: s\nbaseline:\n  metric: error_rate\n  group-by: [action]\n  timespan: 1h\n  history: 10h\n  factor: 3\n  min-count: 2\n`,
    );
    expect(exceedsBaseline(errors, { n: 10, errors: 4 }, { n: 20, errors: 2 })).toBe(true);
    expect(exceedsBaseline(errors, { n: 10, errors: 3 }, { n: 20, errors: 2 })).toBe(false);
    expect(exceedsBaseline(errors, { n: 2, errors: 2 }, { n: 0, errors: 0 })).toBe(true);
  });

  it('a search: hits of every cluster merged by time then id, cut to the limit', () => {
    const plan = planFromYaml(`${SEARCH}detection:\n  s:\n    outcome: failure\n  condition: s\n`);
    const hit = (id: string, t: number) => ({ id, index: 'x', source: { id }, sort: [t, id] });
    const result = resultOfAnswers(plan, [answer('a', {}, [hit('b', T), hit('d', T + 2)]), answer('b', {}, [hit('a', T), hit('c', T + 1)])], { limit: 3 });
    expect(result).toEqual({ kind: 'events', events: [{ id: 'a' }, { id: 'b' }, { id: 'c' }] });
  });
});
