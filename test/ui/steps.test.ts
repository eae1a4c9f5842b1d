import { describe, expect, it } from 'vitest';
import { bucketFor, bucketsOf, seriesOf } from '../../src/server/routes/overview.js';
import { sortExpression } from '../../src/server/routes/search-page.js';

const HOUR = 3_600_000;

describe("the overview's buckets", () => {
  it('take the smallest width that draws the range in at most 120 points', () => {
    expect(bucketFor(0, 2 * HOUR)).toBe(60_000);
    expect(bucketFor(0, 2 * HOUR + 1)).toBe(300_000);
    expect(bucketFor(0, 30 * 24 * HOUR)).toBe(21_600_000);
    expect(bucketFor(0, 10 * 365 * 24 * HOUR)).toBe(7 * 24 * HOUR);
  });

  it('start at the bucket holding since and stop before until', () => {
    expect(bucketsOf(90_000, 300_000, 60_000)).toEqual([60_000, 120_000, 180_000, 240_000]);
    expect(bucketsOf(60_000, 60_001, 60_000)).toEqual([60_000]);
  });

  it('turn rows into one line per location and outcome, with zero where a bucket had none', () => {
    const rows = [
      { t: 0n, location: 'eu-de', outcome: 'success', n: 3n },
      { t: 120_000n, location: 'eu-de', outcome: 'success', n: 1n },
      { t: 60_000n, location: 'eu-de', outcome: 'failure', n: 2n },
    ];
    expect(seriesOf(rows, [0, 60_000, 120_000])).toEqual({
      series: [
        { location: 'eu-de', outcome: 'success', counts: [3, 0, 1] },
        { location: 'eu-de', outcome: 'failure', counts: [0, 2, 0] },
      ],
      total: 6,
      failures: 2,
    });
  });
});

describe('sort columns of a search page', () => {
  it('come from the field table: output columns as they are, other fields read from the event, numbers as numbers', () => {
    expect(sortExpression('@timestamp')).toBe('event_time');
    expect(sortExpression('location')).toBe('location');
    expect(sortExpression('action')).toBe(`json_extract_string(event, '$."action"')`);
    expect(sortExpression('user.name')).toBe(`json_extract_string(event, '$."initiator"."name"')`);
    expect(sortExpression('reason.reasonCode')).toBe(`TRY_CAST(json_extract_string(event, '$."reason"."reasonCode"') AS BIGINT)`);
  });

  it('are refused for any name the field table does not know', () => {
    for (const name of ['nope', "action') --", 'event_time; DROP TABLE x', 'requestData.a"b']) expect(sortExpression(name), name).toBeUndefined();
  });
});
