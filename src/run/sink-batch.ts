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

export class SinkBatch {
  private events: StoredEvent[] = [];
  private bySource = new Map<string, number>();
  private byLocation = new Map<string, number>();
  /** Locations in this batch with fewer than rowsPerLocation events. */
  private short = 0;

  constructor(private readonly policy: SinkBatchPolicy) {}

  get size(): number {
    return this.events.length;
  }

  add(source: string, events: readonly StoredEvent[]): void {
    const { rowsPerLocation } = this.policy;
    for (const e of events) {
      this.events.push(e);
      const n = (this.byLocation.get(e.location) ?? 0) + 1;
      this.byLocation.set(e.location, n);
      if (n === 1) this.short++;
      if (n === rowsPerLocation) this.short--;
    }
    this.bySource.set(source, (this.bySource.get(source) ?? 0) + events.length);
  }

  /** Worth a write: every location has its row group, or the batch is at its cap. */
  full(): boolean {
    return this.events.length >= this.policy.maxEvents || (this.events.length > 0 && this.short === 0);
  }

  /** The events and how many came from each source; the batch starts empty again. */
  take(): { events: StoredEvent[]; bySource: Map<string, number> } {
    const out = { events: this.events, bySource: this.bySource };
    this.events = [];
    this.bySource = new Map();
    this.byLocation = new Map();
    this.short = 0;
    return out;
  }
}
