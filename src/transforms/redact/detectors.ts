/**
 * The text detectors, in the order they run, each behind a literal prefilter; most values of a
 * record (ids, methods, paths, host names) trigger none and are returned as they are.
 */
import type { FieldRules } from './field-rules.js';
import { isInertIdentifier } from './identifiers.js';
import { isFingerprint, type RedactContext } from './marks.js';
import { redactFlagValues, redactNamedValues } from './pairs.js';
import { redactAuthSchemeCredentials, redactAwsAccessKeyIds, redactJwts, redactPemPrivateKeys, redactUrlCredentials } from './patterns.js';

/** Prefilter bits: which literal a string contains. */
const HAS_DOUBLE_DASH = 1; // `-----BEGIN`, `--flag`
const HAS_AT = 2; // `user:password@`
const HAS_AUTH_SCHEME = 4; // `bearer`, `basic` in any case
const HAS_EYJ = 8; // JWT header
const HAS_AKIA = 16; // `AKIA`, `ASIA`
const HAS_SEPARATOR = 32; // `=` or `:` of a named value

export interface TextDetector {
  /** What it finds (for documentation and tests; the kinds it counts are in marks.ts). */
  readonly name: string;
  /** It runs only when the string has this prefilter bit. */
  readonly prefilter: number;
  redact(s: string, ctx: RedactContext, rules: FieldRules): string;
}

/**
 * Order matters: whole PEM blocks before the `private_key=` pair that names them, Bearer
 * tokens before the JWT inside them, JWTs before the `token=` pair around them. A later
 * detector never re-redacts an earlier one's `[redacted:...]` mark.
 */
export const TEXT_DETECTORS: readonly TextDetector[] = [
  { name: 'pem-private-key', prefilter: HAS_DOUBLE_DASH, redact: redactPemPrivateKeys },
  { name: 'url-credentials', prefilter: HAS_AT, redact: redactUrlCredentials },
  { name: 'bearer-token, basic-auth', prefilter: HAS_AUTH_SCHEME, redact: redactAuthSchemeCredentials },
  { name: 'jwt', prefilter: HAS_EYJ, redact: redactJwts },
  { name: 'aws-access-key', prefilter: HAS_AKIA, redact: redactAwsAccessKeyIds },
  { name: 'kv-secret, ibm-api-key, aws-secret-key, key-material', prefilter: HAS_SEPARATOR, redact: redactNamedValues },
  { name: 'command-line flags', prefilter: HAS_DOUBLE_DASH, redact: redactFlagValues },
];

/** Shorter than the shortest secret any detector can find (`pw=x` is not worth it, `pwd=ab` is). */
const MIN_TEXT_LENGTH = 5;

/**
 * One native scan decides whether any detector can match at all; most strings of a record
 * (ids, paths, host names, agents) fail it and are returned at once. Measured in the whole
 * transform, one combined expression costs less than three simple ones or a JavaScript pass
 * over the characters; a cache of clean strings cost about what it saved.
 */
const MAY_HAVE_ANY = /[=:@]|--|eyJ|AKIA|ASIA|[Bb][Ee][Aa][Rr][Ee][Rr]|[Bb][Aa][Ss][Ii][Cc]/;
/** The rarer literals: most strings that pass the first scan do so for a `:` or `@` alone. */
const MAY_HAVE_LITERAL = /--|eyJ|AKIA|ASIA|[Bb][Ee][Aa][Rr][Ee][Rr]|[Bb][Aa][Ss][Ii][Cc]/;
const HAS_AUTH_SCHEME_WORD = /bearer|basic/i;

/** Which detectors can match, for a string that passed MAY_HAVE_ANY. */
function prefilterBits(s: string): number {
  let bits = 0;
  if (s.indexOf('=') >= 0 || s.indexOf(':') >= 0) bits |= HAS_SEPARATOR;
  if (s.indexOf('@') >= 0) bits |= HAS_AT;
  if (MAY_HAVE_LITERAL.test(s)) {
    if (s.includes('--')) bits |= HAS_DOUBLE_DASH;
    if (s.includes('eyJ')) bits |= HAS_EYJ;
    if (s.includes('AKIA') || s.includes('ASIA')) bits |= HAS_AKIA;
    if (HAS_AUTH_SCHEME_WORD.test(s)) bits |= HAS_AUTH_SCHEME;
  }
  return bits;
}

/**
 * Every detector over one string. Returns `s` itself (the same reference) when nothing
 * matched, so callers can skip the write-back.
 */
export function redactString(s: string, ctx: RedactContext, rules: FieldRules): string {
  if (s.length < MIN_TEXT_LENGTH || !MAY_HAVE_ANY.test(s) || isFingerprint(s) || isInertIdentifier(s)) return s;
  const bits = prefilterBits(s);
  let out = s;
  for (const detector of TEXT_DETECTORS) {
    if ((bits & detector.prefilter) !== 0) out = detector.redact(out, ctx, rules);
  }
  return out;
}
