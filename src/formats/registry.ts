import type { JsonInputFormat } from './format.js';
import { serviceLog } from './service-log.js';

/** Every JSON-record input format, tried in order by detection. The last entry is the fallback. */
export const JSON_FORMATS: JsonInputFormat[] = [serviceLog];

export function formatByName(name: string): JsonInputFormat | undefined {
  return JSON_FORMATS.find((f) => f.name === name);
}

export function detectJsonFormat(record: Record<string, unknown>): JsonInputFormat | undefined {
  for (const f of JSON_FORMATS) if (f.detect(record)) return f;
  return undefined;
}
