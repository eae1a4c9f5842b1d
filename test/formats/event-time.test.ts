import { describe, expect, it } from 'vitest';
import { parseEventTime } from '../../src/formats/activity-tracker/event-time.js';

describe('parseEventTime', () => {
  it.each([
    ['2020-03-11T09:28:35.15+0000', '2020-03-11T09:28:35.150+0000', '2020-03-11T09:28:35.150Z'],
    ['2020-03-08T12:22:01+00:00', '2020-03-08T12:22:01.000+0000', '2020-03-08T12:22:01.000Z'],
    ['2020-03-22T09:36:07Z', '2020-03-22T09:36:07.000+0000', '2020-03-22T09:36:07.000Z'],
    ['2019-12-11T16:00:58-06:00', '2019-12-11T22:00:58.000+0000', '2019-12-11T22:00:58.000Z'],
    ['2020-01-01T01:30:00+0530', '2019-12-31T20:00:00.000+0000', '2019-12-31T20:00:00.000Z'],
    ['2017-10-19T19:07:50.32+0000', '2017-10-19T19:07:50.320+0000', '2017-10-19T19:07:50.320Z'],
    ['2020-02-07 17:44:17.392', '2020-02-07T17:44:17.392+0000', '2020-02-07T17:44:17.392Z'],
  ])('reads %s as the same instant in the one stored form', (input, eventTime, timestamp) => {
    const t = parseEventTime(input)!;
    expect(t.eventTime).toBe(eventTime);
    expect(t.timestamp).toBe(timestamp);
    expect(t.ms).toBe(Date.parse(timestamp));
  });

  it('keeps digits finer than a millisecond in eventTime and drops only trailing zeros', () => {
    expect(parseEventTime('2020-02-07T17:44:17.392595555Z')!.eventTime).toBe('2020-02-07T17:44:17.392595555+0000');
    expect(parseEventTime('2020-02-07T17:44:17.392500000Z')!.eventTime).toBe('2020-02-07T17:44:17.3925+0000');
    expect(parseEventTime('2020-02-07T17:44:17.392595555Z')!.timestamp).toBe('2020-02-07T17:44:17.392Z');
  });

  it('moves the date when a negative offset crosses midnight', () => {
    expect(parseEventTime('2021-12-31T23:30:00-01:00')!.eventTime).toBe('2022-01-01T00:30:00.000+0000');
  });

  it('accepts epoch milliseconds', () => {
    expect(parseEventTime(1589397133320)!.eventTime).toBe('2020-05-13T19:12:13.320+0000');
  });

  it.each(['yesterday', '2020-02-30T10:00:00Z', '2020-13-01T00:00:00Z', '2020-01-01T24:00:00Z', '2020-01-01T10:00:00+2500', '', '20200101T000000Z'])(
    'refuses %j instead of guessing',
    (input) => expect(parseEventTime(input)).toBeUndefined(),
  );

  it('refuses values that are not strings or numbers', () => {
    expect(parseEventTime(undefined)).toBeUndefined();
    expect(parseEventTime({})).toBeUndefined();
    expect(parseEventTime(Number.NaN)).toBeUndefined();
  });
});
