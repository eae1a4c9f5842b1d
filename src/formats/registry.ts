import { accessCombined, accessEnvoy } from './access-log/index.js';
import { activityTracker, activityTrackerArchive, logdnaLine } from './activity-tracker/index.js';
import type { InputFormat, JsonInputFormat, TextInputFormat } from './format.js';
import { serviceLog } from './service-log.js';
import { vaultAudit } from './vault/index.js';

/**
 * Every JSON-record input format, tried in order by detection (per line, so one file may mix
 * shapes). Envelopes come before what they wrap; the service log is the fallback.
 *
 *   vault-audit       `type` request|response with a `request` object
 *   at-archive        a `_source` object (archive rows, search hits)
 *   logdna            a `_line` string
 *   activity-tracker  an `action` string with `eventTime` or an `initiator`, or a `payload` wrapper
 *   service-log       a `req` object (pino-http and pipeline-mapped shapes)
 */
export const JSON_FORMATS: JsonInputFormat[] = [vaultAudit, activityTrackerArchive, logdnaLine, activityTracker, serviceLog];

/** Formats of lines that are not JSON, tried in order on every such line (formats/parse-line.ts). */
export const TEXT_FORMATS: TextInputFormat[] = [accessCombined, accessEnvoy];

const ALL_FORMATS: InputFormat[] = [...JSON_FORMATS, ...TEXT_FORMATS];

/** `--format <name>`: every format, JSON or text. */
export function formatByName(name: string): InputFormat | undefined {
  return ALL_FORMATS.find((f) => f.name === name);
}

export function formatNames(): string[] {
  return ALL_FORMATS.map((f) => f.name);
}

export function detectJsonFormat(record: Record<string, unknown>): JsonInputFormat | undefined {
  for (const f of JSON_FORMATS) if (f.detect(record)) return f;
  return undefined;
}
