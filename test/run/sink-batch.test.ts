import { describe, expect, it } from 'vitest';
import type { StoredEvent } from '../../src/model/records.js';
import { SinkBatch } from '../../src/run/sink-batch.js';

const at = (location: string, n: number): StoredEvent[] => Array.from({ length: n }, () => ({ location }) as StoredEvent);

describe('sink batches', () => {
  it('are cut once every location in them has a row group worth of events', () => {
    const b = new SinkBatch({ rowsPerLocation: 4, maxEvents: 100 });
    expect(b.full()).toBe(false);
    b.add('a.log', [...at('eu-de', 4), ...at('us-south', 3)]);
    expect(b.full()).toBe(false);
    b.add('b.log', at('us-south', 1));
    expect(b.full()).toBe(true);
    b.add('b.log', at('jp-tok', 1)); // a new location makes it wait again
    expect(b.full()).toBe(false);
  });

  it('are cut at the cap however the events spread', () => {
    const b = new SinkBatch({ rowsPerLocation: 4, maxEvents: 10 });
    b.add('a.log', [...at('eu-de', 9), ...at('us-south', 1)]);
    expect(b.full()).toBe(true);
  });

  it('hand over every event and the count per source, then start empty', () => {
    const b = new SinkBatch({ rowsPerLocation: 2, maxEvents: 10 });
    b.add('a.log', at('eu-de', 2));
    b.add('b.log', at('eu-de', 1));
    b.add('a.log', at('us-south', 2));
    const { events, bySource } = b.take();
    expect(events).toHaveLength(5);
    expect([...bySource]).toEqual([
      ['a.log', 4],
      ['b.log', 1],
    ]);
    expect(b.size).toBe(0);
    expect(b.full()).toBe(false);
    b.add('c.log', at('eu-de', 1));
    expect(b.full()).toBe(false); // the old per-location counts are gone
  });
});
