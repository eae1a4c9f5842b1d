import { createHash, timingSafeEqual } from 'node:crypto';
import type { Secret } from '../secrets/secret.js';

/**
 * Checks an `Authorization` header against the configured tokens: `Bearer T`, `Basic` with any
 * user name and T as the password (Beats, Logstash, rsyslog, syslog-ng only know user and
 * password), or `ApiKey` (the Elasticsearch clients' scheme, T itself or base64 of `id:T`).
 * Every token is compared, in constant time over SHA-256 digests, so neither the match nor the
 * length of a token shows in the time taken. The header and tokens are never logged.
 */
export type Authenticate = (authorization: string | undefined) => boolean;

export function createAuthenticator(tokens: readonly Secret<string>[]): Authenticate {
  const digests = tokens.map((t) => digest(t.reveal()));
  return (authorization) => {
    if (authorization === undefined || digests.length === 0) return false;
    const candidates = presented(authorization);
    let ok = false;
    for (const candidate of candidates) {
      const d = digest(candidate);
      // No early exit: the time taken does not say which token matched, if any.
      for (const known of digests) ok = timingSafeEqual(d, known) || ok;
    }
    return ok;
  };
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}

/** The secrets a header presents (an ApiKey may be sent either way, so it presents two). */
function presented(header: string): string[] {
  const space = header.indexOf(' ');
  if (space === -1) return [];
  const scheme = header.slice(0, space).toLowerCase();
  const value = header.slice(space + 1).trim();
  if (scheme === 'bearer') return [value];
  if (scheme === 'basic') {
    const decoded = Buffer.from(value, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    return colon === -1 ? [] : [decoded.slice(colon + 1)];
  }
  if (scheme === 'apikey') {
    const decoded = Buffer.from(value, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    return colon === -1 ? [value] : [value, decoded.slice(colon + 1)];
  }
  return [];
}
