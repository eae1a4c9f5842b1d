import { describe, expect, it } from 'vitest';
import type { FormatContext } from '../../src/formats/format.js';
import { factsOfResponseEntry, VAULT_NON_API_OPERATION, VAULT_REQUEST_JOINED } from '../../src/formats/vault/entry.js';
import { vaultAudit } from '../../src/formats/vault/index.js';
import { idsOfLine } from '../../src/transforms/build/ids.js';
import { loadPipelines } from '../../src/transforms/classify/compile-pipeline.js';

const entry = (over: Record<string, unknown> = {}, request: Record<string, unknown> = {}) => ({
  time: '2024-03-05T10:00:00.123456789Z',
  type: 'response',
  auth: { display_name: 'userpass-alice', entity_id: 'e-1', client_token: 'hmac-sha256:' + 'a'.repeat(64) },
  request: { id: 'req-1', operation: 'read', path: 'secret/data/app/db', remote_address: '10.0.0.1', ...request },
  response: { data: {} },
  ...over,
});
const bundled = loadPipelines();
const ctx = (pipelines = bundled): FormatContext => ({ pipelines, forcedPipeline: false, source: 'v', line: 1, ids: idsOfLine('v'), keyId: undefined });

describe('Vault audit entries', () => {
  it('name the action from the operation and the path (pipelines/vault.yaml)', () => {
    const cases: [string, string, string][] = [
      ['read', 'secret/data/app/db', 'vault.secret.read'],
      ['create', 'secret/data/app/db', 'vault.secret.create'],
      ['update', 'secret/data/app/db', 'vault.secret.update'],
      ['list', 'secret/metadata/app/', 'vault.secrets.list'],
      ['delete', 'secret/metadata/app/db', 'vault.secret-metadata.delete'],
      ['update', 'auth/userpass/login/alice', 'vault.auth.login'],
      ['update', 'auth/approle/login', 'vault.auth.login'],
      ['update', 'transit/encrypt/payments', 'vault.transit-key.wrap'],
      ['delete', 'sys/audit/file', 'vault.audit-device.disable'],
      ['update', 'kv2/data/elsewhere', 'vault.path.request'],
    ];
    for (const [operation, path, action] of cases) {
      const r = vaultAudit.toEvent(entry({}, { operation, path }), ctx());
      expect(r.kind === 'event' && r.event.action, `${operation} ${path}`).toBe(action);
    }
  });

  it("give Secrets Manager's IBM Cloud login its Secrets Manager action, service and CRN", () => {
    const r = vaultAudit.toEvent(entry({}, { operation: 'update', path: 'auth/ibmcloud/login' }), ctx());
    expect(r.kind).toBe('event');
    if (r.kind !== 'event') return;
    expect([r.event.action, r.event.service, r.event.target.typeURI]).toEqual([
      'secrets-manager.instance.login',
      'secrets-manager',
      'secrets-manager/instance',
    ]);
    expect(r.event.logSourceCRN).toMatch(/^crn:v1:bluemix:public:secrets-manager:us-south:/);
    expect(r.event.message).toMatch(/^Secrets Manager: /);
  });

  it('count a request entry as filtered: its response carries the whole request', () => {
    expect(vaultAudit.toEvent(entry({ type: 'request', response: undefined }), ctx())).toEqual({ kind: 'filtered', reason: VAULT_REQUEST_JOINED });
  });

  it('take the outcome from the error: permission denied is a 403 failure', () => {
    const r = vaultAudit.toEvent(entry({ error: '1 error occurred:\n\t* permission denied\n\n' }), ctx());
    expect(r.kind === 'event' && [r.event.outcome, r.event.reason.reasonCode, r.event.severity]).toEqual(['failure', 403, 'critical']);
  });

  it('use request.id as the correlation id, and the identity of the token', () => {
    const read = factsOfResponseEntry(entry());
    expect(read.kind === 'facts' && [read.facts.correlationId, read.facts.initiator]).toEqual([
      'req-1',
      { id: 'e-1', name: 'userpass-alice', type: 'user', grantType: 'token' },
    ]);
  });

  it('for a login, take the identity of the token the response issued', () => {
    const read = factsOfResponseEntry(
      entry({ auth: {}, response: { auth: { display_name: 'approle', entity_id: 'e-2' } } }, { operation: 'update', path: 'auth/approle/login' }),
    );
    expect(read.kind === 'facts' && read.facts.initiator).toEqual({ id: 'e-2', name: 'approle', type: 'serviceid', grantType: 'token' });
  });

  it('filter operations that are not API calls, refuse entries without a path', () => {
    expect(vaultAudit.toEvent(entry({}, { operation: 'help' }), ctx())).toEqual({ kind: 'filtered', reason: VAULT_NON_API_OPERATION });
    expect(vaultAudit.toEvent(entry({}, { path: undefined }), ctx())).toMatchObject({ kind: 'reject', code: 'missing_field' });
  });

  it('refuse to guess when no vault-audit pipeline is loaded', () => {
    expect(vaultAudit.toEvent(entry(), ctx(loadPipelines(['key-protect'])))).toMatchObject({ kind: 'reject', code: 'no_pipeline' });
  });
});
