import type { CompiledPipeline } from '../transforms/classify/compile-pipeline.js';
import type { FormatResult, InputFormat } from '../formats/format.js';
import { parseLine } from '../formats/parse-line.js';
import { detectJsonFormat } from '../formats/registry.js';
import { toStored } from '../model/fields.js';
import type { BatchCounts, Rejected, RejectCode, StoredEvent, TransformedBatch } from '../model/records.js';
import type { LineBatch } from '../sources/lines.js';
import { idsOfLine } from '../transforms/build/ids.js';
import { MAX_DEPTH, TOO_DEEP_LABEL, type Redactor } from '../transforms/redact/index.js';
import type { ValidateEvent } from '../transforms/validate/validate.js';

export interface TransformDeps {
  pipelines: CompiledPipeline[];
  forcedPipeline: boolean;
  /** `--format`: skip detection and read every record as this format. */
  format: InputFormat | undefined;
  redactor: Redactor;
  validate: ValidateEvent;
  keyId: string | undefined;
}

/** How much of a rejected line the dead-letter file keeps (after redaction). Longer lines keep their head. */
export const MAX_DEAD_LETTER_TEXT = 64 * 1024;

export type TransformBatch = (batch: LineBatch) => TransformedBatch;

/**
 * The whole per-line chain as one synchronous function over a batch:
 * parse → redact → detect format → classify/build → redact again → validate → serialise.
 * Every line ends as exactly one event, reject or filtered count (the accounting invariant).
 */
export function createTransformer(deps: TransformDeps): TransformBatch {
  const { redactor, validate } = deps;
  // A batch may name its pipeline (a request's `?pipeline=`): it is then the only one, as with --pipeline.
  const byName = new Map(deps.pipelines.map((p) => [p.config.name, [p]]));

  return (batch) => {
    const named = batch.pipeline === undefined ? undefined : byName.get(batch.pipeline);
    const events: StoredEvent[] = [];
    const rejects: Rejected[] = [];
    const counts: BatchCounts = { linesRead: batch.lines.length, filtered: 0, filteredBy: {}, redactions: {}, byFormat: {} };
    let nextOversized = 0;

    const reject = (code: RejectCode, reason: string, line: number, rawText: string, redactedText: string | undefined) => {
      const text = redactedText ?? redactor.redactText(rawText, counts.redactions);
      rejects.push({
        code,
        reason: redactor.redactText(reason, counts.redactions),
        source: batch.source,
        line,
        lineFingerprint: redactor.fingerprint(rawText),
        text: text.length > MAX_DEAD_LETTER_TEXT ? `${text.slice(0, MAX_DEAD_LETTER_TEXT)}…[truncated]` : text,
      });
    };
    const filter = (reason: string) => {
      counts.filtered++;
      counts.filteredBy[reason] = (counts.filteredBy[reason] ?? 0) + 1;
    };

    for (let i = 0; i < batch.lines.length; i++) {
      const lineNo = batch.firstLine + i;
      const oversized = batch.oversized[nextOversized];
      if (oversized && oversized.index === i) {
        nextOversized++;
        reject('line_too_long', `line of ${oversized.bytes} bytes exceeds the maximum line length`, lineNo, oversized.head, undefined);
        continue;
      }
      if (batch.broken?.index === i) {
        // The slot of a JSON document that broke off holds no text: the reason says where it broke.
        reject('malformed_json', batch.broken.reason, lineNo, '', undefined);
        continue;
      }
      const text = batch.lines[i]!;
      if (isBlank(text)) {
        filter('blank line');
        continue;
      }
      // Parse: JSON objects on the fast path, other lines offered to the text formats;
      // detection and envelope removal look at structure only, so they run before redaction.
      const parsed = parseLine(text, deps.format);
      if (parsed.kind === 'reject') {
        reject(parsed.code, parsed.reason, lineNo, text, undefined);
        continue;
      }
      const format = parsed.format ?? deps.format ?? detectJsonFormat(parsed.record);
      const unwrapped = format?.unwrap ? format.unwrap(parsed.record) : { ok: true as const, record: parsed.record };
      const record = unwrapped.ok ? unwrapped.record : parsed.record;
      // Redact before anything else (classification, error paths) sees the record.
      const deepBefore = counts.redactions[TOO_DEEP_LABEL] ?? 0;
      const redactedInRecord = redactor.redactParsedRecord(record, counts.redactions);
      if ((counts.redactions[TOO_DEEP_LABEL] ?? 0) > deepBefore) {
        // The walk cut a subtree off below MAX_DEPTH (JSON.parse takes 100,000 levels, JSON.stringify
        // and any recursive step after it would not): the record is refused whole rather than built from a stub.
        reject('nested_too_deep', `the record nests objects or arrays deeper than ${MAX_DEPTH} levels`, lineNo, text, redactor.recordText(record));
        continue;
      }

      if (!format) {
        reject('unsupported_format', 'the record matches no known input format', lineNo, text, redactor.recordText(record));
        continue;
      }
      counts.byFormat[format.name] = (counts.byFormat[format.name] ?? 0) + 1;
      if (!unwrapped.ok) {
        reject(unwrapped.code, unwrapped.reason, lineNo, text, redactor.recordText(record));
        continue;
      }
      if (batch.pipeline !== undefined && !named) {
        reject('no_pipeline', `no pipeline named "${batch.pipeline}" (known: ${[...byName.keys()].join(', ')})`, lineNo, text, redactor.recordText(record));
        continue;
      }
      const result: FormatResult = format.toEvent(record, {
        pipelines: named ?? deps.pipelines,
        forcedPipeline: named !== undefined || deps.forcedPipeline,
        source: batch.source,
        line: lineNo,
        ids: idsOfLine(text),
        keyId: deps.keyId,
      });
      if (result.kind === 'filtered') {
        filter(result.reason);
        continue;
      }
      if (result.kind === 'reject') {
        reject(result.code, result.reason, lineNo, text, redactor.recordText(record));
        continue;
      }
      const event = result.event;
      // Defence in depth: whatever a builder copied, the stored event passes redaction too. A request
      // event built from the redacted record alone needs it only where the build composed values.
      const redactedInEvent =
        result.built === 'from-record' && redactor.redactBuiltEvent
          ? redactor.redactBuiltEvent(event, counts.redactions)
          : redactor.redactRecord(event, counts.redactions);
      event.auditline.redactions = redactedInRecord + redactedInEvent;
      const invalid = validate(event);
      if (invalid) {
        reject('invalid_event', `schema: ${invalid}`, lineNo, text, redactor.recordText(record));
        continue;
      }
      events.push(toStored(event, batch.source, lineNo));
    }
    return { source: batch.source, events, rejects, counts };
  };
}

function isBlank(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c !== 32 && c !== 9 && c !== 13) return false;
  }
  return true;
}
