/**
 * Which object is the record the line chain just parsed (formats/parse-line.ts) or took out of
 * its envelope (a format's `unwrap`): the only value whose fingerprints the redactor defers
 * (deferred.ts). Anything else given to `redactRecord` (a built event, a test's object) is
 * redacted with its fingerprints computed at once. One per thread, like the chain itself.
 */
let lastRawRecord: object | undefined;

/** Called where input becomes a record, before redaction. */
export function noteRawRecord(record: object): void {
  lastRawRecord = record;
}

/** True once for the record last noted; forgets it, so a later call on the same object computes. */
export function takeRawRecord(value: object): boolean {
  if (value !== lastRawRecord) return false;
  lastRawRecord = undefined;
  return true;
}
