import type { ActivityTrackerEvent } from '../../model/event.js';
import type { CompiledPipeline } from '../../transforms/classify/compile-pipeline.js';
import type { JsonInputFormat } from '../format.js';
import { buildFromPresetRecord, pipelinesOfKind, presetRecordOf } from '../http-request.js';
import { isPlainObject } from '../activity-tracker/unwrap.js';
import { factsOfResponseEntry, VAULT_REQUEST_JOINED } from './entry.js';

/**
 * HashiCorp Vault audit device entries (file/socket/syslog devices, `format: json`).
 *
 * Joining: Vault writes a `request` entry when a request arrives and a `response` entry, which
 * repeats the whole request, when it is answered (errors included). The event is built from
 * the response alone; every request entry is counted as filtered. A request whose response is
 * missing (Vault stopped mid-request, or the log was cut) therefore makes no event: it shows as
 * a difference between the `vault request` filter count and the vault-audit event count.
 * Stateless on purpose: batches of one file may be transformed on different threads.
 *
 * Values Vault hashed (`hmac-sha256:…`) pass redaction unchanged; plaintext written with
 * `log_raw` is fingerprinted by the redaction stage before this format reads the entry.
 */
export const vaultAudit: JsonInputFormat = {
  name: 'vault-audit',
  detect: (r) => (r.type === 'request' || r.type === 'response') && isPlainObject(r.request),
  toEvent(entry, ctx) {
    if (entry.type === 'request') return { kind: 'filtered', reason: VAULT_REQUEST_JOINED };
    const read = factsOfResponseEntry(entry);
    if (read.kind === 'filtered') return read;
    if (read.kind === 'reject') return { kind: 'reject', code: 'missing_field', reason: read.reason };
    const record = presetRecordOf(read.facts);
    // For the pipeline's requestData allow-list (`vault.operation`, `vault.mountType`, ...).
    record.vault = read.vault;
    // Vault entries name no host: the vault-audit pipelines are the only candidates, the first one wins.
    const result = buildFromPresetRecord(record, pipelinesOfKind(ctx.pipelines, 'vault-audit'), { ...ctx, forcedPipeline: true }, 'vault-audit');
    if (result.kind === 'event') followActionService(result.event, ctx.pipelines);
    return result;
  },
};

/**
 * A pipeline alias may give a Vault route another service's action (Secrets Manager runs Vault:
 * `auth/ibmcloud/login` is `secrets-manager.instance.login`). The event then belongs to that
 * service: its `service`, the service segment of its CRNs, its target typeURI and its message.
 */
export function followActionService(event: ActivityTrackerEvent, pipelines: CompiledPipeline[]): void {
  const service = event.action.slice(0, event.action.indexOf('.'));
  if (!service || service === event.service) return;
  const swap = (crn: string) => {
    const parts = crn.split(':');
    if (parts[0] === 'crn' && parts.length > 4) parts[4] = service;
    return parts.join(':');
  };
  event.logSourceCRN = swap(event.logSourceCRN);
  event.target.id = swap(event.target.id);
  event.target.typeURI = event.target.typeURI.replace(/^[^/]+/, service);
  const owner = pipelines.find((p) => p.config.service === service);
  if (owner) event.message = event.message.replace(/^[^:]*:/, `${owner.config.displayName}:`);
  event.service = service;
}
