import { randomBytes } from 'node:crypto';
import type { Readable } from 'node:stream';
import { hmacKeyFromBytes } from '../secrets/hmac-key.js';
import type { RejectCode, Rejected } from '../model/records.js';
import { expandInputs, readLineBatches } from '../sources/file.js';
import { prepareTransform } from './setup.js';

export interface ValidateReport {
  linesRead: number;
  valid: number;
  filtered: number;
  invalid: number;
  invalidBy: Partial<Record<RejectCode, number>>;
  /** The first rejects, redacted, with where they are. */
  examples: Omit<Rejected, 'lineFingerprint'>[];
}

const MAX_EXAMPLES = 20;

/**
 * Runs the whole transform and reports; writes nothing (no store, no dead-letter
 * file, not even an HMAC key file: fingerprints use a throw-away key).
 */
export async function runValidate(opts: { paths: string[]; pipelines?: string[]; format?: string; stdin?: Readable }): Promise<ValidateReport> {
  const setup = prepareTransform({ pipelines: opts.pipelines, format: opts.format, key: hmacKeyFromBytes(randomBytes(32)) });
  const transform = setup.makeTransform();
  const report: ValidateReport = { linesRead: 0, valid: 0, filtered: 0, invalid: 0, invalidBy: {}, examples: [] };
  for (const source of await expandInputs(opts.paths, opts.stdin)) {
    for await (const batch of readLineBatches(source)) {
      const out = transform(batch);
      report.linesRead += out.counts.linesRead;
      report.filtered += out.counts.filtered;
      report.valid += out.events.length;
      report.invalid += out.rejects.length;
      for (const { lineFingerprint: _omit, ...r } of out.rejects) {
        report.invalidBy[r.code] = (report.invalidBy[r.code] ?? 0) + 1;
        if (report.examples.length < MAX_EXAMPLES) report.examples.push(r);
      }
    }
  }
  return report;
}
