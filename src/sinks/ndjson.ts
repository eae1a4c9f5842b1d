import { existsSync, mkdirSync, truncateSync } from 'node:fs';
import { join } from 'node:path';
import type { StoredEvent } from '../model/records.js';
import { AppendFile } from './append-file.js';
import { IdSet, readIds } from './event-ids.js';
import { COMMITTED, DUPLICATE, SinkError, safeLocation, type EventSink, type StagedOutcome, type StagedWrite } from './sink.js';

/** Open files kept at once; the least recently used is closed (and so synced) beyond this. */
const MAX_OPEN_FILES = 64;
const DAY_MS = 86_400_000;
/**
 * Documents are encoded into one reused buffer and written from it, a piece at a time. Joining a
 * write's documents into one string and writing that cost ~3 us per event (the join, then Node's
 * UTF-8 copy into fresh memory, both faulting new pages in), the reused buffer ~0.9.
 */
const WRITE_BYTES = 1024 * 1024;
/** UTF-8 bytes one UTF-16 unit can take (a surrogate pair takes 4 for its 2). */
const MAX_BYTES_PER_UNIT = 3;
const NEWLINE = 0x0a;

interface DayFile {
  path: string;
  /** Undefined while closed by the LRU */
  file: AppendFile | undefined;
  /** Reloaded from the file when a write is aborted */
  ids: IdSet;
}

/** The documents of one part of a write bound for one file. */
interface Group {
  target: DayFile;
  docs: string[];
}

/**
 * `DIR/<location>/<YYYY-MM-DD>.ndjson`: one event per line, by event date (UTC).
 * Idempotent like the store: the ids already in a file are loaded the first time the
 * run touches it, and events already present are reported as duplicates. A write is staged:
 * each part is appended to its files as it arrives, so nobody holds the write's documents
 * until it is cut, and the commit fsyncs every file the write touched before it answers.
 * An aborted write cuts each file back to its length before the write and reloads its ids.
 * The appended lines can be read from the file before the commit, as a whole write's could
 * before its fsync; a crash before the commit leaves them there unacknowledged, and the next
 * run reports those events as duplicates (they are in the file).
 * The directory is made when the sink opens, so a run that indexes nothing (every line
 * dead-lettered) still leaves the output where it was asked for, as the store does.
 */
export function openNdjsonSink(dir: string): EventSink {
  mkdirSync(dir, { recursive: true });
  /** Open files, least recently used first */
  const files = new Map<string, DayFile>();
  const days = new Map<number, string>();
  const buffer = Buffer.allocUnsafeSlow(WRITE_BYTES);

  const open = (target: DayFile): AppendFile => {
    const file = new AppendFile(target.path);
    target.file = file;
    files.set(target.path, target);
    if (files.size > MAX_OPEN_FILES) {
      const oldest = files.values().next().value as DayFile;
      oldest.file!.close();
      oldest.file = undefined;
      files.delete(oldest.path);
    }
    return file;
  };

  const fileFor = (location: string, dayStart: number): DayFile => {
    const path = join(dir, safeLocation(location), `${dayOf(dayStart)}.ndjson`);
    const entry = files.get(path);
    if (entry) {
      files.delete(path); // re-insert: Map order is the LRU order
      files.set(path, entry);
      return entry;
    }
    const ids = new IdSet();
    if (existsSync(path)) readIds(path, ids);
    const target: DayFile = { path, file: undefined, ids };
    open(target);
    return target;
  };

  const dayOf = (dayStart: number): string => {
    let day = days.get(dayStart);
    if (day === undefined) {
      if (days.size >= MAX_OPEN_FILES) days.clear();
      day = new Date(dayStart).toISOString().slice(0, 10);
      days.set(dayStart, day);
    }
    return day;
  };

  const append = ({ target, docs }: Group): void => {
    const file = target.file ?? open(target);
    let used = 0;
    for (const doc of docs) {
      const most = doc.length * MAX_BYTES_PER_UNIT + 1;
      if (used + most > WRITE_BYTES) {
        file.appendBytes(buffer, 0, used);
        used = 0;
        if (most > WRITE_BYTES) {
          file.append(`${doc}\n`);
          continue;
        }
      }
      used += buffer.write(doc, used);
      buffer[used++] = NEWLINE;
    }
    file.appendBytes(buffer, 0, used);
  };

  /**
   * One write: its outcomes in staging order, and the path of each file it touched with that file's
   * length before the write (by path: a file the LRU closed mid-write comes back as another DayFile).
   */
  interface Write {
    outcomes: StagedOutcome[];
    lengths: Map<string, number>;
  }

  const stage = (w: Write, events: readonly StoredEvent[]): void => {
    // By location, then by the day's first millisecond; the file is looked up once per part.
    const groups = new Map<string, Map<number, Group>>();
    for (let i = 0; i < events.length; i++) {
      const e = events[i]!;
      const intoDay = e.time % DAY_MS;
      const dayStart = intoDay < 0 ? e.time - intoDay - DAY_MS : e.time - intoDay;
      let byDay = groups.get(e.location);
      if (!byDay) groups.set(e.location, (byDay = new Map()));
      let group = byDay.get(dayStart);
      if (!group) {
        const target = fileFor(e.location, dayStart);
        // Before any id of the part joins the file's set: an abort reloads the set of every file listed.
        if (!w.lengths.has(target.path)) w.lengths.set(target.path, target.file!.size());
        byDay.set(dayStart, (group = { target, docs: [] }));
      }
      if (!group.target.ids.add(e.id)) {
        w.outcomes.push(DUPLICATE);
        continue;
      }
      group.docs.push(e.json);
      w.outcomes.push(COMMITTED);
    }
    for (const byDay of groups.values()) for (const group of byDay.values()) if (group.docs.length > 0) append(group);
  };

  /** A file the LRU closed mid-write was synced as it closed. */
  const commit = (w: Write): StagedOutcome[] => {
    for (const path of w.lengths.keys()) files.get(path)?.file!.sync();
    return w.outcomes;
  };

  const abort = (w: Write): void => {
    for (const [path, length] of w.lengths) {
      const target = files.get(path);
      if (!target) {
        truncateSync(path, length); // closed: its ids are read again when it is next opened
        continue;
      }
      target.file!.truncate(length);
      target.ids = new IdSet();
      readIds(path, target.ids);
    }
    w.lengths.clear();
  };

  /** Runs a step of a write; what it throws becomes the write's SinkError. */
  const guarded = <T>(step: () => T): T => {
    try {
      return step();
    } catch (cause) {
      throw new SinkError(`NDJSON write failed: ${(cause as Error).message}`, { retriable: false, context: { file: dir }, cause });
    }
  };

  const openWrite = (): StagedWrite => {
    const w: Write = { outcomes: [], lengths: new Map() };
    return {
      stage: async (events) => guarded(() => stage(w, events)),
      commit: async () => guarded(() => commit(w)),
      abort: async () => abort(w),
    };
  };

  return {
    name: `ndjson:${dir}`,
    openWrite,
    async write(events) {
      const w = openWrite();
      try {
        await w.stage(events);
        return await w.commit();
      } catch (e) {
        await w.abort().catch(() => undefined);
        throw e;
      }
    },
    async close() {
      for (const { file } of files.values()) file?.close();
      files.clear();
    },
  };
}
