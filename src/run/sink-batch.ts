import type { StoredEvent } from '../model/records.js';

/**
 * When to cut the events waiting for the sink into one write (one DuckDB transaction).
 *
 * A write that brings a table at least a row group (2,048 rows) has DuckDB compress the rows straight
 * into the file; a smaller one goes through the WAL and a later checkpoint (sinks/duckdb/sink.ts). So a
 * write is cut as soon as every location in it has a row group's worth, and at `maxEvents` whatever the
 * spread (a location that is 1% of the events never gets there). Events are held twice (one write
 * committing, the next filling), so cutting early is memory saved: a 256 MB array over four locations
 * (8,192 events a write instead of 16,384) peaked at 286-290 MB RSS instead of 324-328, same speed.
 */
export interface SinkBatchPolicy {
  /** Rows per location that make a write worth cutting. */
  rowsPerLocation: number;
  /** Never hold more events than this. */
  maxEvents: number;
}

/** A run of consecutive events of one owner (a transformed batch) inside a write. */
export interface Segment<O> {
  owner: O;
  /** Index of the owner's first event in the write */
  start: number;
  count: number;
}

/**
 * Events of many owners gathered into one write. Each `add` is one segment, even with no events:
 * an owner whose lines were all dead-lettered or filtered is still acknowledged by the write. The
 * events may be whole or only what the caller keeps of them (`E`): when the sink stages each batch as
 * it arrives, the engine keeps a few fields of each event to account for its outcome.
 */
export class SinkBatch<O = string, E extends Pick<StoredEvent, 'location'> = StoredEvent> {
  private events: E[] = [];
  private segments: Segment<O>[] = [];
  private bySource = new Map<O, number>();
  private byLocation = new Map<string, number>();
  /** Locations in this batch with fewer than rowsPerLocation events. */
  private short = 0;

  constructor(private readonly policy: SinkBatchPolicy) {}

  /** Events held. */
  get size(): number {
    return this.events.length;
  }

  /** Nothing held, not even an owner without events. */
  get empty(): boolean {
    return this.segments.length === 0;
  }

  add(owner: O, events: readonly E[]): void {
    const { rowsPerLocation } = this.policy;
    this.segments.push({ owner, start: this.events.length, count: events.length });
    for (const e of events) {
      this.events.push(e);
      const n = (this.byLocation.get(e.location) ?? 0) + 1;
      this.byLocation.set(e.location, n);
      if (n === 1) this.short++;
      if (n === rowsPerLocation) this.short--;
    }
    this.bySource.set(owner, (this.bySource.get(owner) ?? 0) + events.length);
  }

  /** Worth a write: every location has its row group, or the batch is at its cap. */
  full(): boolean {
    return this.events.length >= this.policy.maxEvents || (this.events.length > 0 && this.short === 0);
  }

  /** The events, their segments and how many came from each owner; the batch starts empty again. */
  take(): { events: E[]; segments: Segment<O>[]; bySource: Map<O, number> } {
    const out = { events: this.events, segments: this.segments, bySource: this.bySource };
    this.events = [];
    this.segments = [];
    this.bySource = new Map();
    this.byLocation = new Map();
    this.short = 0;
    return out;
  }
}
