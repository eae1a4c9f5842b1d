import { parseEventTime } from '../activity-tracker/event-time.js';
import { isPlainObject } from '../activity-tracker/unwrap.js';
import type { HttpRequestFacts } from '../http-request.js';

/**
 * One Vault audit entry (reference 4.2) as the facts of an HTTP request, so pipelines/vault.yaml
 * can route it. Route keys there use the method Vault's HTTP API maps each operation to; `create`
 * and `update` (both POST/PUT on the wire) are told apart as POST and PUT, and `list` is a GET
 * with `?list=true`, as Vault's API itself accepts it.
 */
export const METHOD_OF_OPERATION: Readonly<Record<string, string>> = {
  read: 'GET',
  list: 'GET',
  create: 'POST',
  update: 'PUT',
  patch: 'PATCH',
  delete: 'DELETE',
};

/**
 * Vault writes no HTTP status in its audit log, only `error`. The status is read from Vault's
 * usual messages (logical.ErrPermissionDenied → 403, unsupported path → 404 ...); any other
 * error is a 400, which is what Vault answers for a request its handler refused.
 */
const STATUS_OF_ERROR: [RegExp, number][] = [
  [/permission denied|invalid token|missing client token|bad token/i, 403],
  [/unsupported path|no handler for route|not found/i, 404],
  [/unsupported operation/i, 405],
  [/rate limit/i, 429],
  [/sealed|standby|unavailable/i, 503],
  [/internal (server )?error/i, 500],
];
const DEFAULT_ERROR_STATUS = 400;
const SUCCESS_STATUS = 200;

/** Why an entry makes no event (bounded set: these are the `filteredBy` keys). */
export const VAULT_REQUEST_JOINED = 'vault request (joined with its response)';
export const VAULT_NON_API_OPERATION = 'vault non-API operation (help, renew, revoke, rollback, lookahead)';

export type VaultFacts =
  { kind: 'facts'; facts: HttpRequestFacts; vault: Record<string, unknown> } | { kind: 'filtered'; reason: string } | { kind: 'reject'; reason: string };

const text = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

function statusOf(error: unknown): number {
  const message = text(error);
  if (!message) return SUCCESS_STATUS;
  return STATUS_OF_ERROR.find(([re]) => re.test(message))?.[1] ?? DEFAULT_ERROR_STATUS;
}

/** The caller: the token's identity, or for a login the identity of the token it produced. */
function initiatorOf(entry: Record<string, unknown>): HttpRequestFacts['initiator'] {
  const response = isPlainObject(entry.response) ? entry.response : {};
  const candidates = [entry.auth, response.auth].filter(isPlainObject);
  const auth = candidates.find((a) => text(a.display_name) || text(a.entity_id));
  if (!auth) return undefined;
  const name = text(auth.display_name);
  const id = text(auth.entity_id) ?? name;
  // AppRole logins are machines (display names `approle` / `approle-<role>`); everything else a person's token.
  return { id, name: name ?? id, type: name?.startsWith('approle') ? 'serviceid' : 'user', grantType: 'token' };
}

/** An audited header: Vault logs header values as arrays. */
function headerOf(request: Record<string, unknown>, name: string): string | undefined {
  const headers = isPlainObject(request.headers) ? request.headers : {};
  const v = headers[name];
  return text(Array.isArray(v) ? v[0] : v);
}

export function factsOfResponseEntry(entry: Record<string, unknown>): VaultFacts {
  const request = entry.request as Record<string, unknown>;
  const operation = text(request.operation);
  const path = text(request.path);
  if (!operation || path === undefined) return { kind: 'reject', reason: 'vault entry without request.operation or request.path' };
  const method = METHOD_OF_OPERATION[operation];
  if (!method) return { kind: 'filtered', reason: VAULT_NON_API_OPERATION };
  const time = parseEventTime(entry.time)?.ms;
  if (time === undefined) return { kind: 'reject', reason: 'vault entry time missing or not a date' };
  const requestId = text(request.id);
  return {
    kind: 'facts',
    facts: {
      time,
      method,
      url: `/v1/${path.replace(/^\/+/, '')}${operation === 'list' ? '?list=true' : ''}`,
      status: statusOf(entry.error),
      remoteAddress: text(request.remote_address),
      userAgent: headerOf(request, 'user-agent'),
      requestId,
      // Request and response share request.id: the natural correlation id of the event.
      correlationId: requestId,
      initiator: initiatorOf(entry),
      errorMessage: text(entry.error),
    },
    vault: {
      operation,
      path,
      mountType: text(request.mount_type),
      mountPoint: text(request.mount_point),
      namespace: isPlainObject(request.namespace) ? text(request.namespace.id) : undefined,
    },
  };
}
