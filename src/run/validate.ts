import { randomBytes } from 'node:crypto';
import type { Readable } from 'node:stream';
import { hmacKeyFromBytes } from '../secrets/hmac-key.js';
import type { RejectCode, Rejected } from '../model/records.js';
import { expandInputs, readLineBatches } from '../sources/file.js';
import { validateCadf } from '../profiles/cadf-validate.js';
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

/**
 * `validate --profile cadf`: every line (or array element) of the files must be a CADF event
 * that pycadf's rules accept (profiles/cadf-validate.ts). Nothing is transformed or written.
 */
export async function runValidateCadf(opts: { paths: string[]; stdin?: Readable }): Promise<ValidateReport> {
  const report: ValidateReport = { linesRead: 0, valid: 0, filtered: 0, invalid: 0, invalidBy: {}, examples: [] };
  const invalid = (code: RejectCode, reason: string, source: string, line: number) => {
    report.invalid++;
    report.invalidBy[code] = (report.invalidBy[code] ?? 0) + 1;
    if (report.examples.length < MAX_EXAMPLES) report.examples.push({ code, reason, source, line });
  };
  for (const source of await expandInputs(opts.paths, opts.stdin)) {
    for await (const batch of readLineBatches(source)) {
      const tooLong = new Set(batch.oversized.map((o) => o.index));
      for (let i = 0; i < batch.lines.length; i++) {
        const text = batch.lines[i]!;
        const line = batch.firstLine + i;
        report.linesRead++;
        if (tooLong.has(i)) {
          invalid('line_too_long', 'the line exceeds the maximum line length', source.name, line);
          continue;
        }
        if (batch.broken?.index === i) {
          invalid('malformed_json', batch.broken.reason, source.name, line);
          continue;
        }
        if (text.trim() === '') {
          report.filtered++;
          continue;
        }
        let event: unknown;
        try {
          event = JSON.parse(text);
        } catch {
          invalid('malformed_json', 'the line is not JSON', source.name, line);
          continue;
        }
        const problems = validateCadf(event);
        if (problems.length === 0) report.valid++;
        else invalid('invalid_cadf', problems.slice(0, MAX_PROBLEMS_SHOWN).join('; '), source.name, line);
      }
    }
  }
  return report;
}

/** Problems listed per invalid event in the report. */
const MAX_PROBLEMS_SHOWN = 5;
