import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { StoredEvent } from '../model/records.js';
import { AppendFile } from './append-file.js';
import { idKey, readIdKeys } from './event-ids.js';
import { COMMITTED, DUPLICATE, SinkError, safeLocation, type EventOutcome, type EventSink } from './sink.js';

/** Open files kept at once; the least recently used is closed (and so synced) beyond this. */
const MAX_OPEN_FILES = 64;

interface DayFile {
  file: AppendFile;
  ids: Set<string>;
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
  const files = new Map<string, DayFile>();

  const fileFor = (location: string, day: string): DayFile => {
    const path = join(dir, safeLocation(location), `${day}.ndjson`);
    let entry = files.get(path);
    if (entry) {
      files.delete(path); // re-insert: Map order is the LRU order
      files.set(path, entry);
      return entry;
    }
    const ids = new Set<string>();
    if (existsSync(path)) readIdKeys(path, ids);
    entry = { file: new AppendFile(path), ids };
    files.set(path, entry);
    if (files.size > MAX_OPEN_FILES) {
      const [oldestPath, oldest] = files.entries().next().value as [string, DayFile];
      oldest.file.close();
      files.delete(oldestPath);
    }
    return entry;
  };

  const write = (events: readonly StoredEvent[]): EventOutcome[] => {
    const outcomes = new Array<EventOutcome>(events.length);
    // By location and day; a file may be closed in between (LRU), so it is looked up again to append.
    const pending = new Map<string, { location: string; day: string; lines: string[] }>();
    for (let i = 0; i < events.length; i++) {
      const e = events[i]!;
      const day = new Date(e.time).toISOString().slice(0, 10);
      const target = fileFor(e.location, day);
      const key = idKey(e.id);
      if (target.ids.has(key)) {
        outcomes[i] = DUPLICATE;
        continue;
      }
      target.ids.add(key);
      const slot = `${e.location}/${day}`;
      const group = pending.get(slot);
      if (group) group.lines.push(e.json);
      else pending.set(slot, { location: e.location, day, lines: [e.json] });
      outcomes[i] = COMMITTED;
    }
    for (const { location, day, lines } of pending.values()) {
      const { file } = fileFor(location, day);
      file.append(`${lines.join('\n')}\n`);
      file.sync();
    }
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
      for (const { file } of files.values()) file.close();
      files.clear();
    },
  };
}
