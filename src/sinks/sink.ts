import type { StoredEvent } from '../model/records.js';

/** What a write committed: exact counts of the events that were new, by location and action. */
export interface WriteResult {
  indexed: number;
  duplicates: number;
  byLocation: Record<string, number>;
  byAction: Record<string, number>;
  /** New events per source file: a write may hold several sources' events. */
  bySource: Record<string, number>;
}

export function emptyWriteResult(): WriteResult {
  return { indexed: 0, duplicates: 0, byLocation: {}, byAction: {}, bySource: {} };
}

export function countIndexed(result: WriteResult, location: string, action: string, source: string): void {
  result.indexed++;
  result.byLocation[location] = (result.byLocation[location] ?? 0) + 1;
  result.byAction[action] = (result.byAction[action] ?? 0) + 1;
  result.bySource[source] = (result.bySource[source] ?? 0) + 1;
}

/**
 * A destination for events. `write` resolves only once the events are durably
 * committed, so a caller (the batch runner, or an HTTP receiver answering a shipper)
 * can acknowledge after commit. Events of one location are never written anywhere
 * that holds another location's events.
 */
export interface EventSink {
  readonly name: string;
  write(events: StoredEvent[]): Promise<WriteResult>;
  close(): Promise<void>;
}

/** Groups a batch by location, keeping order inside each location. */
export function byLocation(events: StoredEvent[]): Map<string, StoredEvent[]> {
  const groups = new Map<string, StoredEvent[]>();
  for (const e of events) {
    const g = groups.get(e.location);
    if (g) g.push(e);
    else groups.set(e.location, [e]);
  }
  return groups;
}

/** Location names become table and folder names: only [a-z0-9-] is allowed through. */
export function safeLocation(location: string): string {
  if (!/^[a-z0-9-]+$/.test(location)) throw new Error(`unsafe location name "${location}"`);
  return location;
}
