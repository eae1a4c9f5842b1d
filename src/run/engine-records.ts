import type { BatchCounts, Rejected, StoredEvent, TransformedBatch } from '../model/records.js';
import type { EventOutcome } from '../sinks/sink.js';
import { lineBatchOf, type InputChunk, type SourceDamage } from '../sources/file.js';
import type { Redactor } from '../transforms/redact/types.js';
import { MAX_DEAD_LETTER_TEXT } from './line-chain.js';

/** What a batch weighs against the engine's in-flight bound: its input bytes (characters for lines already cut). */
export function bytesOf(input: InputChunk): number {
  if ('bytes' in input) return input.bytes.byteLength + (input.oversizedFirst?.head.length ?? 0);
  let n = 0;
  for (const line of input.lines) n += line.length + 1;
  return n;
}

function countsOf(linesRead: number): BatchCounts {
  return { linesRead, filtered: 0, filteredBy: {}, redactions: {}, byFormat: {} };
}

function clip(text: string): string {
  return text.length > MAX_DEAD_LETTER_TEXT ? `${text.slice(0, MAX_DEAD_LETTER_TEXT)}…[truncated]` : text;
}

/** A batch the transform failed on twice: every line dead-lettered as `internal_error`, redacted like any reject. */
export function failedBatch(input: InputChunk, error: unknown, redactor: Redactor, maxLineBytes: number | undefined): TransformedBatch {
  const lines = lineBatchOf(input, maxLineBytes);
  const counts = countsOf(lines.lines.length);
  const reason = redactor.redactText(`the transform failed twice on this batch: ${(error as Error).message ?? String(error)}`, counts.redactions);
  const heads = new Map(lines.oversized.map((o) => [o.index, o.head]));
  const rejects: Rejected[] = lines.lines.map((line, i) => {
    const raw = heads.get(i) ?? line;
    return {
      code: 'internal_error',
      reason,
      source: lines.source,
      line: lines.firstLine + i,
      lineFingerprint: redactor.fingerprint(raw),
      text: clip(redactor.redactText(raw, counts.redactions)),
    };
  });
  return { source: lines.source, events: [], rejects, counts };
}

/**
 * A batch whose lines are unknown because even splitting it failed (a bug): counted as one line,
 * dead-lettered, so the source's accounting still closes and nothing waits on it.
 */
export function lostBatch(source: string, error: unknown, redactor: Redactor): TransformedBatch {
  const counts = countsOf(1);
  const reason = redactor.redactText(`a batch of this source could not be processed: ${(error as Error).message ?? String(error)}`, counts.redactions);
  return { source, events: [], rejects: [{ code: 'internal_error', reason, source, line: 0, lineFingerprint: redactor.fingerprint(source) }], counts };
}

/** The rest of a damaged source: one line read, one dead-letter entry saying where and why it broke off. */
export function damageBatch(source: string, damage: Omit<SourceDamage, 'kind'>, redactor: Redactor): TransformedBatch {
  const counts = countsOf(1);
  const reason = redactor.redactText(damage.reason, counts.redactions);
  // No line text survives the damage; the fingerprint is of the source's name, so entries of one file group together.
  return { source, events: [], rejects: [{ code: damage.code, reason, source, line: damage.line, lineFingerprint: redactor.fingerprint(source) }], counts };
}

/** A dead-letter entry for an event the sink refused: the event itself (already redacted) is kept so it can be sent again. */
export function sinkRejectOf(
  event: StoredEvent,
  outcome: Extract<EventOutcome, { status: 'rejected' }>,
  sinkName: string,
  redactor: Redactor,
  redactions: Record<string, number>,
): Rejected {
  return {
    code: 'sink_rejected',
    reason: redactor.redactText(`${sinkName} refused the event: ${outcome.code}: ${outcome.reason}`, redactions),
    source: event.source,
    line: event.line,
    lineFingerprint: redactor.fingerprint(event.json),
    text: clip(event.json),
    eventId: event.id,
  };
}
