/**
 * The contract between the pipeline and the redaction stage. The pipeline calls
 * `redactRecord` on every parsed raw record before anything else looks at it, and
 * again on every built event; `redactText` on anything that could not be parsed
 * (a dead-lettered line) and on error messages.
 */

/** Per-kind tallies (`bearer-token`, `field:password`, `jwt`, ...); summed into the run summary. */
export type RedactionCounts = Record<string, number>;

export interface Redactor {
  /**
   * Replace every secret inside a parsed JSON value (any depth) by its keyed fingerprint.
   * May mutate and return the same object. Adds to `counts`; returns how many values it redacted.
   */
  redactRecord(value: unknown, counts: RedactionCounts): number;
  /**
   * `redactRecord` for the record the line chain just parsed or took out of its envelope: its
   * fingerprints may be stand-ins (deferred.ts), which this redactor resolves wherever the record
   * reaches an output: the built event given to it next, reasons given to `redactText`, and the
   * record's text from `recordText`. Nothing else may read the record's redacted values as output.
   */
  redactParsedRecord(record: object, counts: RedactionCounts): number;
  /**
   * The JSON text of the record last given to `redactRecord`, for a dead letter: its deferred
   * fingerprints resolved first. Called before the next record is redacted.
   */
  recordText(record: object): string;
  /**
   * `redactRecord` for a built request event (REQUEST_EVENT_LAYOUT of transforms/build/event.ts) whose
   * record went through `redactRecord` of this redactor and nothing else: only the values the builder
   * composed are looked at. Same event and counts as `redactRecord`, since redacting twice changes nothing.
   * A redactor without it has the event walked whole by `redactRecord`.
   */
  redactBuiltEvent?(event: object, counts: RedactionCounts): number;
  /** Replace secrets found inside free text; returns the redacted text. */
  redactText(text: string, counts: RedactionCounts): string;
  /** `hmac-sha256:<hex>` of a value under the installation key (what `auditline hash` prints). */
  fingerprint(value: string): string;
}
