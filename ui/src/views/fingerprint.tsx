import { getJson, queryOf } from '../api.js';
import { EventsTable } from '../components/events-table.js';
import { Pager } from '../components/pager.js';
import { Status } from '../components/status.js';
import { useLoad } from '../load.js';
import { go, href, type Route } from '../route.js';
import type { AuditEvent } from '../types.js';

const FIELDS = ['@timestamp', 'location', 'service', 'action', 'outcome', 'initiator.name', 'target.id'];
const PAGE_SIZE = 50;

/** Where in an event a fingerprint sits (`requestData.client_secret`), for the list's last column. */
export function pathsOf(value: unknown, fingerprint: string, at = ''): string[] {
  if (typeof value === 'string') return value.includes(fingerprint) ? [at] : [];
  if (value === null || typeof value !== 'object') return [];
  return Object.entries(value).flatMap(([k, v]) => pathsOf(v, fingerprint, at ? `${at}.${k}` : k));
}

/** Every event carrying one redacted value's fingerprint: the same secret, wherever it was seen. */
export function FingerprintView({ fingerprint, route }: { fingerprint: string; route: Route }) {
  const offset = Number(route.query.get('offset') ?? 0);
  const loaded = useLoad(
    () =>
      getJson<{ total: number; offset: number; limit: number; events: AuditEvent[] }>(
        `/api/fingerprints/${encodeURIComponent(fingerprint)}/events${queryOf({ offset, limit: PAGE_SIZE })}`,
      ),
    [fingerprint, offset],
  );
  const d = loaded.data;
  const withPaths = (d?.events ?? []).map((e) => ({ ...e, 'where it is': pathsOf(e, fingerprint).join(', ') }));
  return (
    <section aria-labelledby="fp-title">
      <h1 id="fp-title">Events carrying a fingerprint</h1>
      <p>
        <code class="wrap" data-testid="fingerprint">
          {fingerprint}
        </code>
      </p>
      <p class="muted">A redacted value is stored as its keyed fingerprint: the same secret gives the same fingerprint in every event and location.</p>
      <Status loading={loaded.loading} error={loaded.error}>
        {d ? (
          <>
            <p role="status" data-testid="result-count">{`${d.total} events`}</p>
            <EventsTable events={withPaths} fields={[...FIELDS, 'where it is']} />
            <Pager offset={d.offset} limit={d.limit} total={d.total} onPage={(o) => go(href(['fingerprint', fingerprint], { offset: o }))} />
          </>
        ) : null}
      </Status>
    </section>
  );
}
