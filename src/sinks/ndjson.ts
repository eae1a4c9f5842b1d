import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { AppendFile } from './append-file.js';
import { idKey, readIdKeys } from './event-ids.js';
import { byLocation, countIndexed, emptyWriteResult, safeLocation, type EventSink } from './sink.js';

/** Open files kept at once; the least recently used is closed beyond this. */
const MAX_OPEN_FILES = 64;

/**
 * `DIR/<location>/<YYYY-MM-DD>.ndjson`: one event per line, by event date (UTC).
 * Idempotent like the store: the ids already in a file are loaded the first time the
 * run touches it, and events already present are skipped and counted as duplicates.
 * The directory is made when the sink opens, so a run that indexes nothing (every line
 * dead-lettered) still leaves the output where it was asked for, as the store does.
 */
export function openNdjsonSink(dir: string): EventSink {
  mkdirSync(dir, { recursive: true });
  const files = new Map<string, { file: AppendFile; ids: Set<string> }>();

  const fileFor = (location: string, day: string) => {
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
      const [oldestPath, oldest] = files.entries().next().value as [string, { file: AppendFile }];
      oldest.file.close();
      files.delete(oldestPath);
    }
    return entry;
  };

  return {
    name: `ndjson:${dir}`,
    async write(events) {
      const result = emptyWriteResult();
      for (const [location, group] of byLocation(events)) {
        const chunks = new Map<string, string[]>();
        for (const e of group) {
          const day = new Date(e.time).toISOString().slice(0, 10);
          const target = fileFor(location, day);
          const key = idKey(e.id);
          if (target.ids.has(key)) {
            result.duplicates++;
            continue;
          }
          target.ids.add(key);
          const chunk = join(location, day);
          const list = chunks.get(chunk) ?? [];
          list.push(e.json);
          chunks.set(chunk, list);
          countIndexed(result, location, e.action, e.source);
        }
        for (const [key, lines] of chunks) {
          const [loc, day] = key.split('/') as [string, string];
          fileFor(loc, day).file.append(`${lines.join('\n')}\n`);
        }
      }
      return result;
    },
    async close() {
      for (const { file } of files.values()) file.close();
      files.clear();
    },
  };
}
