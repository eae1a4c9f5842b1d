import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { StoredEvent } from '../model/records.js';
import { AppendFile } from './append-file.js';
import { IdSet, readIds } from './event-ids.js';
import { COMMITTED, DUPLICATE, SinkError, safeLocation, type EventOutcome, type EventSink } from './sink.js';

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
  ids: IdSet;
}

/** The events of one write bound for one file. */
interface Group {
  target: DayFile;
  docs: string[];
}

/**
 * `DIR/<location>/<YYYY-MM-DD>.ndjson`: one event per line, by event date (UTC).
 * Idempotent like the store: the ids already in a file are loaded the first time the
 * run touches it, and events already present are reported as duplicates. A write
 * appends to each file it touches once and fsyncs each of them before it resolves.
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
    file.sync();
  };

  const write = (events: readonly StoredEvent[]): EventOutcome[] => {
    const outcomes = new Array<EventOutcome>(events.length);
    // By location, then by the day's first millisecond; the file is looked up once per write.
    const groups = new Map<string, Map<number, Group>>();
    for (let i = 0; i < events.length; i++) {
      const e = events[i]!;
      const intoDay = e.time % DAY_MS;
      const dayStart = intoDay < 0 ? e.time - intoDay - DAY_MS : e.time - intoDay;
      let byDay = groups.get(e.location);
      if (!byDay) groups.set(e.location, (byDay = new Map()));
      let group = byDay.get(dayStart);
      if (!group) byDay.set(dayStart, (group = { target: fileFor(e.location, dayStart), docs: [] }));
      if (!group.target.ids.add(e.id)) {
        outcomes[i] = DUPLICATE;
        continue;
      }
      group.docs.push(e.json);
      outcomes[i] = COMMITTED;
    }
    for (const byDay of groups.values()) for (const group of byDay.values()) if (group.docs.length > 0) append(group);
    return outcomes;
  };

  return {
    name: `ndjson:${dir}`,
    async write(events) {
      try {
        return write(events);
      } catch (cause) {
        throw new SinkError(`NDJSON write failed: ${(cause as Error).message}`, { retriable: false, context: { file: dir }, cause });
      }
    },
    async close() {
      for (const { file } of files.values()) file?.close();
      files.clear();
    },
  };
}
