/**
 * Detectors that recognise a secret by its own shape, wherever it sits in a string: PEM private
 * keys, credentials in URLs, `Bearer`/`Basic` credentials, JWTs and AWS access key ids.
 * Each returns its input (the same string) when it replaced nothing. The caller's literal
 * prefilters (detectors.ts) decide whether a detector runs at all.
 */
import { isRedacted, markSegment, type RedactContext } from './marks.js';

/**
 * `-----BEGIN [RSA |EC |ENCRYPTED |OPENSSH |PGP ]PRIVATE KEY[ BLOCK]-----` through the matching
 * END line, whatever the line breaks are (real ones, or `\n` escapes in JSON text). A key cut
 * off before its END line (a truncated log line) is redacted to the end of the string.
 */
const PEM_PRIVATE_KEY = /-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----[\s\S]*?(?:-----END (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----|$)/g;
/**
 * `scheme://user:password@`; the user may be empty (`redis://:password@host`). Only the password goes.
 * The scheme is at most 32 characters: unbounded, every start inside a long run of letters rescanned
 * the run (100 KB of letters and `@://` took 13 s). A longer scheme still matches by its last 32.
 */
const URL_CREDENTIALS = /([A-Za-z][A-Za-z0-9+.-]{0,31}:\/\/[^\s:@/?#"'\\]*:)([^\s@/?#"'\\]+)@/g;
/**
 * Word starts: after a character that cannot be part of a token, or after a `\n`, `\r`, `\t`
 * escape of JSON text (`"...\nBearer <token>"` in a dead-lettered line).
 */
/** An HTTP auth scheme and its credential (`Bearer <token>`, `Basic <base64 user:password>`). */
const AUTH_SCHEME_CREDENTIAL = /(?<=^|[^A-Za-z0-9_-]|\\[nrt])(bearer|basic)([ \t]+)([A-Za-z0-9\-._~+/]+=*)/gi;
/** A JWS (three base64url parts, the first a JSON header: `eyJ`) or JWE (five parts). */
const JWT = /(?<=^|[^A-Za-z0-9_-]|\\[nrt])eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*(?:\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*)?/g;
/** AWS access key ids: long-term (`AKIA`) and temporary (`ASIA`). */
const AWS_ACCESS_KEY_ID = /(?<![A-Z0-9])(?:AKIA|ASIA)[A-Z0-9]{16}(?![A-Z0-9])/g;

/**
 * Shorter "bearer" credentials are words ("bearer instrument"), not tokens; real tokens
 * (opaque or JWT) are longer.
 */
const MIN_BEARER_TOKEN_CHARS = 16;
/** `Basic` credentials decode to `user:password`; the shortest meaningful one is a few bytes. */
const MIN_BASIC_CREDENTIAL_CHARS = 8;

/**
 * Replaces each match for which `replace` returns a string; returns `s` itself when none.
 * The regular expression must be global and never match the empty string.
 */
export function replaceMatches(s: string, re: RegExp, replace: (m: RegExpExecArray) => string | undefined): string {
  re.lastIndex = 0;
  let out: string | undefined;
  let last = 0;
  let m: RegExpExecArray | null;
  while ((m = re.exec(s)) !== null) {
    const replacement = replace(m);
    if (replacement === undefined) continue;
    out = (out ?? '') + s.slice(last, m.index) + replacement;
    last = m.index + m[0].length;
  }
  return out === undefined ? s : out + s.slice(last);
}

export function redactPemPrivateKeys(s: string, ctx: RedactContext): string {
  if (!s.includes('-----BEGIN')) return s;
  return replaceMatches(s, PEM_PRIVATE_KEY, (m) => markSegment(ctx, 'pem-private-key', m[0]));
}

export function redactUrlCredentials(s: string, ctx: RedactContext): string {
  if (!s.includes('://')) return s;
  return replaceMatches(s, URL_CREDENTIALS, (m) => {
    const password = m[2]!;
    return `${m[1]}${markSegment(ctx, 'url-credentials', password)}@`;
  });
}

export function redactAuthSchemeCredentials(s: string, ctx: RedactContext): string {
  return replaceMatches(s, AUTH_SCHEME_CREDENTIAL, (m) => {
    const scheme = m[1]!;
    const credential = m[3]!;
    if (isRedacted(credential)) return undefined;
    if (scheme.length === 'bearer'.length) {
      if (credential.length < MIN_BEARER_TOKEN_CHARS) return undefined;
      return `${scheme}${m[2]}${markSegment(ctx, 'bearer-token', credential)}`;
    }
    if (credential.length < MIN_BASIC_CREDENTIAL_CHARS || !decodesToUserPassword(credential)) return undefined;
    return `${scheme}${m[2]}${markSegment(ctx, 'basic-auth', credential)}`;
  });
}

export function redactJwts(s: string, ctx: RedactContext): string {
  if (!s.includes('eyJ')) return s;
  return replaceMatches(s, JWT, (m) => markSegment(ctx, 'jwt', m[0]));
}

export function redactAwsAccessKeyIds(s: string, ctx: RedactContext): string {
  return replaceMatches(s, AWS_ACCESS_KEY_ID, (m) => markSegment(ctx, 'aws-access-key', m[0]));
}

/** "Basic plan" is a word; a Basic credential is base64 of printable `user:password`. */
function decodesToUserPassword(b64: string): boolean {
  const decoded = Buffer.from(b64, 'base64').toString('latin1');
  if (!decoded.includes(':')) return false;
  for (let i = 0; i < decoded.length; i++) {
    const c = decoded.charCodeAt(i);
    if (c < 0x20 || c === 0x7f) return false;
  }
  return true;
}
