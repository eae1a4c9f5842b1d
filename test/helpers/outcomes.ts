import type { StoredEvent } from '../../src/model/records.js';
import type { EventSink } from '../../src/sinks/sink.js';

/** A write's per-event outcomes, counted: committed events by location, action and source. */
export interface WriteCounts {
  indexed: number;
  duplicates: number;
  byLocation: Record<string, number>;
  byAction: Record<string, number>;
  bySource: Record<string, number>;
}

export async function writeCounts(sink: EventSink, events: StoredEvent[]): Promise<WriteCounts> {
  const outcomes = await sink.write(events);
  if (outcomes.length !== events.length) throw new Error(`${outcomes.length} outcomes for ${events.length} events`);
  const c: WriteCounts = { indexed: 0, duplicates: 0, byLocation: {}, byAction: {}, bySource: {} };
  outcomes.forEach((o, i) => {
    const e = events[i]!;
    if (o.status === 'duplicate') c.duplicates++;
    else if (o.status === 'rejected') throw new Error(`event ${e.id} rejected: ${o.code}: ${o.reason}`);
    else {
      c.indexed++;
      c.byLocation[e.location] = (c.byLocation[e.location] ?? 0) + 1;
      c.byAction[e.action] = (c.byAction[e.action] ?? 0) + 1;
      c.bySource[e.source] = (c.bySource[e.source] ?? 0) + 1;
    }
  });
  return c;
}
