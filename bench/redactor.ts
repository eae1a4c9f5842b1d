import type { HmacKey } from '../src/secrets/hmac-key.js';
import { createRedactor } from '../src/transforms/redact/index.js';
import type { RedactionCounts } from '../src/transforms/redact/types.js';
import { BENCH_KEY } from './bench-key.js';

/**
 * Micro-benchmark of the redaction stage: JSON.parse of each line alone, then JSON.parse
 * followed by redactRecord, so the stage's own cost is the difference.
 */

export interface RedactorBenchResult {
  lines: number;
  /** Lines per second of JSON.parse + redactRecord. */
  linesPerSec: number;
  /** Lines per second of JSON.parse alone over the same lines (the baseline). */
  parseOnlyLinesPerSec: number;
  /** Microseconds redactRecord adds to a line. */
  redactMicrosPerLine: number;
  /** Values redacted over the whole run, by kind. */
  redactions: RedactionCounts;
}

export interface RedactorBenchOptions {
  /** The key to fingerprint with; default: the benchmark's fixed key (never an installation's). */
  key?: HmacKey;
  extraFields?: string[];
  /** Untimed passes first, so the timed pass runs optimised code. */
  warmupPasses?: number;
}

const DEFAULT_WARMUP_PASSES = 1;
const MICROS_PER_MILLI = 1000;
const MILLIS_PER_SECOND = 1000;

export function benchRedactor(lines: string[], opts: RedactorBenchOptions = {}): RedactorBenchResult {
  const key = opts.key ?? BENCH_KEY;
  const warmups = opts.warmupPasses ?? DEFAULT_WARMUP_PASSES;
  let sink = 0;

  const parseOnly = (): number => {
    const t0 = performance.now();
    for (let i = 0; i < lines.length; i++) {
      const rec = JSON.parse(lines[i]!) as Record<string, unknown>;
      if (rec !== null) sink++;
    }
    return performance.now() - t0;
  };
  const parseAndRedact = (counts: RedactionCounts): number => {
    // A fresh redactor per pass: no fingerprint is remembered from the warm-up.
    const redactor = createRedactor({ key, extraFields: opts.extraFields ?? [] });
    const t0 = performance.now();
    for (let i = 0; i < lines.length; i++) {
      sink += redactor.redactRecord(JSON.parse(lines[i]!), counts);
    }
    return performance.now() - t0;
  };

  for (let w = 0; w < warmups; w++) {
    parseOnly();
    parseAndRedact({});
  }
  const parseMs = parseOnly();
  const redactions: RedactionCounts = {};
  const totalMs = parseAndRedact(redactions);
  if (sink < 0) throw new Error('unreachable: keeps the loops from being optimised away');

  const perSec = (ms: number) => (ms > 0 ? (lines.length * MILLIS_PER_SECOND) / ms : Infinity);
  return {
    lines: lines.length,
    linesPerSec: perSec(totalMs),
    parseOnlyLinesPerSec: perSec(parseMs),
    redactMicrosPerLine: lines.length > 0 ? ((totalMs - parseMs) * MICROS_PER_MILLI) / lines.length : 0,
    redactions,
  };
}
