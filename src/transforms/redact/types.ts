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
  /** Replace secrets found inside free text; returns the redacted text. */
  redactText(text: string, counts: RedactionCounts): string;
  /** `hmac-sha256:<hex>` of a value under the installation key (what `auditline hash` prints). */
  fingerprint(value: string): string;
}
