/**
 * Identifier shapes that contain `:` yet can hold nothing any detector matches: CRNs and ISO
 * times. They pass the cheap prefilter (for their colons) and are most of the strings that do
 * in a built event, so recognising them with one anchored native expression saves the pair
 * scanner a walk over every segment.
 *
 * Why nothing can hide in them: their alphabets exclude `=`, `@`, `.` (CRNs), `_`, whitespace,
 * quotes and upper-case letters except `T` and `Z` (JWTs, `AKIA...`, PEM headers,
 * `Bearer <token>`, `user:pass@`, `name=value` all need at least one of those), no `--` can occur,
 * and every `:` in a CRN after the first follows another `:` or a `/`, which the pair scanner
 * never reads as `name: value`. A string that departs from the shape in any character goes
 * through every detector as usual.
 */

/** `crn:v1:<cloud>:<type>:<service>:<location>:<scope>:<instance>:<resource type>:<resource>`, lower case. */
const CRN = /^crn:v1:[a-z0-9-]*:[a-z0-9-]*:[a-z0-9-]*:[a-z0-9-]*:(?:a\/[0-9a-f]+|[a-z0-9-]*):[0-9a-f-]*:[a-z0-9-]*:[0-9a-f-]*$/;
/** ISO 8601 / RFC 3339 times as logs and Activity Tracker write them. */
const ISO_TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d{1,9})?(?:Z|[+-]\d\d:?\d\d)$/;
/** Where an ISO date has its first dash. */
const ISO_DATE_DASH = 4;

/** True only for strings of a shape no detector can match; false says nothing. */
export function isInertIdentifier(s: string): boolean {
  const c0 = s.charCodeAt(0);
  if (c0 === 99 /* c */) return s.startsWith('crn:v1:') && CRN.test(s);
  if (c0 >= 48 && c0 <= 57 && s.charCodeAt(ISO_DATE_DASH) === 45 /* - */) return ISO_TIME.test(s);
  return false;
}
