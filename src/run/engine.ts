import { AuditlineError } from '../errors.js';
import type { Rejected, StoredEvent, TransformedBatch } from '../model/records.js';
import type { Redactor } from '../transforms/redact/types.js';
import { SinkError, type EventOutcome, type StagedWrite } from '../sinks/sink.js';
import type { InputChunk } from '../sources/file.js';
import { ByteBudget, Slots } from './byte-budget.js';
import {
  DEFAULT_MAX_IN_FLIGHT_BYTES,
  DEFAULT_WRITE_POLICY,
  type Engine,
  type EngineOptions,
  type LineOutcome,
  type SourceInput,
  type SourceResult,
  type WritePolicy,
} from './engine-api.js';
import { bytesOf, damageBatch, failedBatch, lostBatch, sinkRejectOf } from './engine-records.js';
import { DEFAULT_RETRY } from './retry-policy.js';
import { SinkBatch, type Segment } from './sink-batch.js';
import { writeWithRetry } from './sink-writer.js';
import { accountingHolds, addTally, emptyTally, type Tally } from './summary.js';

export * from './engine-api.js';

const FILTERED: LineOutcome = Object.freeze({ status: 'filtered' });

interface SourceState {
  name: string;
  tally: Tally;
  /** Batches in submission order; each is handed to the sink only after those before it. */
  queue: { bytes: number; result?: TransformedBatch }[];
  outstanding: number;
  ended: boolean;
  /** Cut the write as soon as the ended source's last batch has joined it */
  flushOnEnd?: boolean;
  failure?: unknown;
  finish?: { resolve: (t: SourceResult) => void; reject: (e: unknown) => void };
  /** Outcomes of lines that did not end filtered, by line number, when asked for */
  lines?: Map<number, LineOutcome>;
  /** The source whose batches go first (SourceOptions.after), until it has drained */
  after?: SourceState;
  /** The source waiting for this one to drain */
  next?: SourceState;
}

/** One transformed batch on its way to the sink: acknowledged when its write and dead-letter entries are durable. */
interface Ticket {
  source: SourceState;
  batch: TransformedBatch;
  bytes: number;
}

/** What the engine needs of an event to account for its outcome; the whole event is kept only for a sink that takes whole writes. */
type EventKey = Pick<StoredEvent, 'id' | 'location' | 'action' | 'line'>;

/** A write whose events go to the sink as their batches arrive (a sink with `openWrite`). */
interface Staging {
  write?: StagedWrite;
  /** A part failed: the write fails as a whole when it is cut. */
  error?: unknown;
}

/*
 * Why the engine drops its references to a batch's events as soon as they move on: whatever waits on
 * the main thread a while (a queue slot, a promise, a closure waiting for a commit) is promoted to V8's
 * old generation, and what a promoted object points to survives every young collection until the next
 * full one, even after that object itself is dead. Events reached that way from spent queue slots and
 * batch objects were most of what the main thread's young collections kept: 200k lines, promoted
 * 145 -> 15 MB into NDJSON and 298 -> 49 MB into DuckDB, full collections 36 -> 22 and 46 -> 26.
 */

/**
 * The one pipeline behind every way of use: sources push input, the pool transforms it, the
 * sink stores it, and each source learns when its lines are durable and what became of each.
 */
export function openEngine(opts: EngineOptions): Engine {
  const policy: WritePolicy = { ...DEFAULT_WRITE_POLICY, ...opts.writes };
  const retry = opts.retry ?? DEFAULT_RETRY;
  // A source waiting for room while the sink is idle: the waiting events are all there is to write.
  const budget = new ByteBudget(opts.maxInFlightBytes ?? DEFAULT_MAX_IN_FLIGHT_BYTES, () => cutIfStalled());
  const pending = new SinkBatch<Ticket, EventKey>(policy);
  /**
   * Input is read no further ahead than the transform can take: the bound's bytes then hold events
   * on their way to the sink, so one write commits while the next fills. Reading up to the whole
   * bound ahead left it full of raw chunks, and the transform idle while the store committed
   * (200k lines, two workers: 23.7 s against 15.1 s).
   */
  const transformSlots = new Slots(opts.pool.capacity);
  const acknowledged = emptyTally();
  const { pool, sink, deadLetter, redactor } = opts;
  /**
   * A sink that stages takes each batch's events as the batch joins the write, so the main thread
   * holds the few batches that arrive while the last write commits instead of the whole next write
   * (~16k events of ~1.9 KB of heap each).
   */
  const openWrite = sink.openWrite?.bind(sink);
  /** The write `pending` is filling, when the sink stages */
  let staging: Staging | undefined;
  let timer: NodeJS.Timeout | undefined;
  let writing: Promise<void> = Promise.resolve();
  let writesQueued = 0;
  /** A write was asked for while another committed: made as soon as that one is done */
  let cutWanted = false;
  /** Input bytes of the batches waiting in `pending` for the next write */
  let pendingBytes = 0;
  let failure: unknown;
  let closing = false;
  let outstanding = 0;
  let idle: (() => void) | undefined;
  let writes = 0;
  let writeRetries = 0;
  let transformRetries = 0;

  const transformOnceMore = async (input: InputChunk): Promise<TransformedBatch> => {
    try {
      return await pool.transform(input);
    } catch {
      transformRetries++;
      try {
        return await pool.transform(input, true);
      } catch (second) {
        return failedBatch(input, second, redactor, opts.maxLineBytes);
      }
    }
  };

  /** Cuts the waiting events into a write now: the write is full, the engine closes, or nothing else can free room. */
  function cut(): void {
    if (timer) clearTimeout(timer);
    timer = undefined;
    cutWanted = false;
    if (pending.empty) return;
    const taken = pending.take();
    const staged = staging;
    staging = undefined;
    pendingBytes = 0;
    writesQueued++;
    writing = writing.then(async () => {
      await writeOut(taken.events, taken.segments, staged);
      writesQueued--;
      if (cutWanted && writesQueued === 0) cut();
      else cutIfStalled();
    });
  }

  /**
   * Asks for a write of what waits, for latency (a source ended, the maximum wait passed). While a
   * write is committing, the requests are gathered into the one write that follows it (group
   * commit): four shippers sending 1,000-line bulks otherwise made a write of each, below a row
   * group per table.
   */
  function cutSoon(): void {
    if (writesQueued === 0) cut();
    else cutWanted = true;
  }

  /**
   * A source waits for room, no write is running and every byte in flight waits in `pending`:
   * nothing but a write can free room, so it is cut now, however small. Cutting whenever a source
   * waits would cut writes of a few thousand events while the transform still holds most of the
   * bound, and DuckDB takes those through its WAL (200k lines: 286-5,468 events a write, +25% CPU).
   */
  function cutIfStalled(): void {
    if (budget.contended && writesQueued === 0 && pendingBytes >= budget.inFlight) cut();
  }

  const admit = (ticket: Ticket) => {
    if (ticket.batch.rejects.length > 0) deadLetter.write(ticket.batch.rejects);
    const lines = ticket.source.lines;
    if (lines) for (const r of ticket.batch.rejects) lines.set(r.line, { status: 'dead_lettered', code: r.code, reason: r.reason });
    if (openWrite) {
      const { events } = ticket.batch;
      pending.add(ticket, keysOf(events, lines !== undefined));
      stage(openWrite, events);
      // Out of the batch object itself, not out of a copy of it (why: above openEngine).
      ticket.batch.events = [];
    } else pending.add(ticket, ticket.batch.events);
    pendingBytes += ticket.bytes;
    if (closing || pending.full()) cut();
    else {
      timer ??= setTimeout(cutSoon, policy.maxWaitMs);
      cutIfStalled();
    }
  };

  /** Hands events to the write being filled, after every earlier write has committed (one write is open at a time). */
  const stage = (open: () => StagedWrite, events: readonly StoredEvent[]) => {
    const into = (staging ??= {});
    if (events.length === 0 || failure) return;
    // Read once, then dropped: the closure may outlive the staging (why: above openEngine).
    let part: readonly StoredEvent[] | undefined = events;
    writing = writing.then(async () => {
      const staged = part!;
      part = undefined;
      if (into.error !== undefined || failure) return;
      try {
        into.write ??= open();
        await into.write.stage(staged);
      } catch (e) {
        into.error = e;
      }
    });
  };

  /** Commits a staged write; a failure of any part fails it whole (a staged write is never sent again: its events are gone). */
  const commitStaged = async (staged: Staging | undefined): Promise<EventOutcome[]> => {
    try {
      if (staged?.error !== undefined) throw staged.error;
      return staged?.write ? await staged.write.commit() : [];
    } catch (e) {
      await staged?.write?.abort().catch(() => undefined);
      throw e;
    }
  };

  /** Each source's state behind the handle its caller holds (SourceOptions.after names a handle). */
  const states = new WeakMap<SourceInput, SourceState>();
  const drained = (src: SourceState) => src.ended && src.queue.length === 0 && !src.after;

  const drainQueue = (src: SourceState) => {
    if (src.after) return;
    while (src.queue[0]?.result) {
      const slot = src.queue.shift()!;
      const result = slot.result!;
      slot.result = undefined; // why: above openEngine
      admit({ source: src, batch: result, bytes: slot.bytes });
    }
    if (src.ended && src.flushOnEnd && src.queue.length === 0) cutSoon();
    if (src.next && drained(src)) {
      const { next } = src;
      src.next = undefined;
      next.after = undefined;
      drainQueue(next);
    }
  };

  const settle = (ticket: Ticket, tally: Tally | undefined, error?: unknown) => {
    const src = ticket.source;
    budget.release(ticket.bytes);
    if (tally) {
      addTally(src.tally, tally);
      addTally(acknowledged, tally);
    } else src.failure ??= error;
    src.outstanding--;
    outstanding--;
    if (src.ended && src.outstanding === 0) finishSource(src);
    if (outstanding === 0) idle?.();
  };

  const accounting: Accounting = { sinkName: sink.name, maxAttempts: retry.maxAttempts, failOnRetriesExhausted: opts.onRetriesExhausted === 'fail', redactor };

  const writeOut = async (events: EventKey[], segments: Segment<Ticket>[], staged: Staging | undefined) => {
    if (failure) {
      await staged?.write?.abort().catch(() => undefined);
      for (const s of segments) settle(s.owner, undefined, failure);
      return;
    }
    let outcomes: EventOutcome[];
    // Without staging, the events of the write are its batches' own, in order.
    const whole = openWrite ? undefined : segments.flatMap((s) => s.owner.batch.events);
    try {
      if (whole) {
        const written = await writeWithRetry(sink, whole, retry);
        outcomes = written.outcomes;
        writeRetries += written.retries;
      } else {
        outcomes = await commitStaged(staged);
        if (outcomes.length !== events.length)
          throw new SinkError(`${sink.name} answered ${outcomes.length} outcomes for ${events.length} events`, { retriable: false });
      }
      writes++;
    } catch (e) {
      if (opts.onWriteFailure !== 'fail-batches') failure ??= e;
      for (const s of segments) settle(s.owner, undefined, e);
      return;
    }
    const sinkRejects: Rejected[] = [];
    const write: WriteOutcomes = { events, outcomes, whole, sinkRejects };
    const results: SegmentResult[] = [];
    for (const segment of segments) results.push(accountSegment(segment, write, accounting));
    try {
      deadLetter.write(sinkRejects);
      deadLetter.sync();
    } catch (cause) {
      const e = new SinkError(`cannot write the dead-letter file "${deadLetter.path}": ${(cause as Error).message}`, {
        retriable: false,
        context: { file: deadLetter.path },
        cause,
      });
      failure ??= e;
      for (const r of results) settle(r.ticket, undefined, e);
      return;
    }
    for (const r of results) {
      if (r.error) settle(r.ticket, undefined, r.error);
      else settle(r.ticket, r.tally);
    }
  };

  const finishSource = (src: SourceState) => {
    const done = src.finish;
    if (!done) return;
    src.finish = undefined;
    if (src.failure) done.reject(src.failure);
    else if (!accountingHolds(src.tally))
      done.reject(new AuditlineError('AL_INTERNAL', `accounting invariant broken for ${src.name}: ${JSON.stringify(src.tally)}`));
    else if (!src.lines) done.resolve(src.tally);
    else {
      const { lines } = src;
      done.resolve({ ...src.tally, lines: Array.from({ length: src.tally.linesRead }, (_, i) => lines.get(i + 1) ?? FILTERED) });
    }
  };

  return {
    source(name, options = {}) {
      const src: SourceState = { name, tally: emptyTally(), queue: [], outstanding: 0, ended: false };
      if (options.lineOutcomes) src.lines = new Map();
      const first = options.after && states.get(options.after);
      if (first && !drained(first)) {
        if (first.next) throw new AuditlineError('AL_INTERNAL', `source ${first.name} already has a source after it`);
        src.after = first;
        first.next = src;
      }
      const enqueue = (bytes: number, result: Promise<TransformedBatch> | TransformedBatch) => {
        const slot: SourceState['queue'][number] = { bytes };
        src.queue.push(slot);
        src.outstanding++;
        outstanding++;
        void Promise.resolve(result)
          .catch((e: unknown) => lostBatch(name, e, redactor))
          .then((r) => {
            slot.result = r;
            drainQueue(src);
          });
      };
      const handle: SourceInput = {
        name,
        async push(input) {
          if (failure) throw failure;
          if (closing || src.ended) throw new AuditlineError('AL_INTERNAL', `input pushed to ${closing ? 'a closed engine' : `ended source ${name}`}`);
          const bytes = bytesOf(input);
          await budget.acquire(bytes);
          await transformSlots.acquire();
          enqueue(
            bytes,
            transformOnceMore(input).finally(() => transformSlots.release()),
          );
        },
        damage(d) {
          enqueue(0, damageBatch(name, d, redactor));
        },
        end(options = {}) {
          src.ended = true;
          src.flushOnEnd = options.flush ?? true;
          drainQueue(src);
          return new Promise<SourceResult>((resolve, reject) => {
            src.finish = { resolve, reject };
            if (src.outstanding === 0) finishSource(src);
          });
        },
      };
      states.set(handle, src);
      return handle;
    },
    admits: (bytes) => budget.admits(bytes),
    flush: cutSoon,
    stats: () => ({
      inFlightBytes: budget.inFlight,
      peakInFlightBytes: budget.peak,
      maxInFlightBytes: budget.limit,
      writes,
      writeRetries,
      transformRetries,
      workerRestarts: pool.restarts,
      acknowledged,
    }),
    async close() {
      closing = true;
      cut();
      if (outstanding > 0) await new Promise<void>((resolve) => (idle = resolve));
      await writing;
      try {
        await pool.close();
      } finally {
        try {
          await sink.close();
        } finally {
          deadLetter.close();
        }
      }
    },
  };
}

/** What a write's outcomes are accounted with, the same for every write of the engine. */
interface Accounting {
  sinkName: string;
  maxAttempts: number;
  failOnRetriesExhausted: boolean;
  redactor: Redactor;
}

/** One write as its outcomes came back: `whole` only when the sink took whole events, `sinkRejects` gathers the refused. */
interface WriteOutcomes {
  events: readonly EventKey[];
  outcomes: readonly EventOutcome[];
  whole: readonly StoredEvent[] | undefined;
  sinkRejects: Rejected[];
}

interface SegmentResult {
  ticket: Ticket;
  tally: Tally;
  error: unknown;
}

/**
 * What one write came to for the events of one batch. A module function rather than a closure made
 * per write: V8 keeps a closure's optimised code only while some closure holds it, so each per-write
 * closure was compiled again after the main thread's full collections (1M lines: 66 compiles, 1.1 s
 * of compiler CPU).
 */
function accountSegment({ owner, start, count }: Segment<Ticket>, write: WriteOutcomes, a: Accounting): SegmentResult {
  const { events, outcomes, whole, sinkRejects } = write;
  const tally = tallyOfBatch(owner.batch);
  const lines = owner.source.lines;
  // Counted in Maps, copied to the tally once: a fresh record per batch gaining keys one by
  // one cost ~2.6 us an event on the main thread (200k lines, two workers).
  const byLocation = new Map<string, number>();
  const byAction = new Map<string, number>();
  let error: unknown;
  for (let i = start; i < start + count; i++) {
    const event = events[i]!;
    const outcome = outcomes[i]!;
    if (outcome.status === 'committed') {
      tally.eventsIndexed++;
      byLocation.set(event.location, (byLocation.get(event.location) ?? 0) + 1);
      byAction.set(event.action, (byAction.get(event.action) ?? 0) + 1);
      lines?.set(event.line, { status: 'indexed', eventId: event.id });
    } else if (outcome.status === 'duplicate') {
      tally.duplicatesSkipped++;
      lines?.set(event.line, { status: 'duplicate', eventId: event.id });
    } else if (outcome.retriable && a.failOnRetriesExhausted) {
      error ??= new SinkError(`${a.sinkName} refused an event after ${a.maxAttempts} tries: ${outcome.code}: ${outcome.reason}`, { retriable: true });
    } else {
      const full = whole?.[i];
      if (!full) throw new AuditlineError('AL_INTERNAL', `${a.sinkName} refused a staged event`);
      const reject = sinkRejectOf(full, outcome, a.sinkName, a.redactor, tally.redactions);
      sinkRejects.push(reject);
      lines?.set(event.line, { status: 'dead_lettered', code: reject.code, reason: reject.reason });
      tally.deadLettered++;
      tally.deadLetteredBy.sink_rejected = (tally.deadLetteredBy.sink_rejected ?? 0) + 1;
    }
  }
  for (const [k, n] of byLocation) tally.byLocation[k] = n;
  for (const [k, n] of byAction) tally.byAction[k] = n;
  return { ticket: owner, tally, error };
}

/**
 * The fields of an event its outcome is accounted by. The id only when line outcomes are asked for:
 * it is a string of its own, while the location and action are shared by the batch's events. A loop
 * for the reason accountSegment is a module function.
 */
function keysOf(events: readonly StoredEvent[], withId: boolean): EventKey[] {
  const keys = new Array<EventKey>(events.length);
  for (let i = 0; i < events.length; i++) {
    const e = events[i]!;
    keys[i] = { id: withId ? e.id : '', location: e.location, action: e.action, line: e.line };
  }
  return keys;
}

/** The counts a transformed batch brings before the sink has its say. */
function tallyOfBatch(batch: TransformedBatch): Tally {
  const t = emptyTally();
  t.linesRead = batch.counts.linesRead;
  t.filtered = batch.counts.filtered;
  t.deadLettered = batch.rejects.length;
  for (const r of batch.rejects) t.deadLetteredBy[r.code] = (t.deadLetteredBy[r.code] ?? 0) + 1;
  Object.assign(t.filteredBy, batch.counts.filteredBy);
  Object.assign(t.redactions, batch.counts.redactions);
  Object.assign(t.byFormat, batch.counts.byFormat);
  return t;
}
