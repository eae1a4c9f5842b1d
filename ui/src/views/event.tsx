import { getJson } from '../api.js';
import { Status } from '../components/status.js';
import { Value } from '../components/value.js';
import { textOf, valueAt } from '../fields.js';
import { useLoad } from '../load.js';
import { href } from '../route.js';
import type { AuditEvent } from '../types.js';

const HEADLINE = ['@timestamp', 'location', 'service', 'action', 'outcome', 'initiator.name', 'target.id', 'correlationId'];

/** The whole stored event: the usual fields first, then every member as a tree, values as text. */
export function EventView({ id }: { id: string }) {
  const loaded = useLoad(() => getJson<{ event: AuditEvent }>(`/api/events/${encodeURIComponent(id)}`), [id]);
  const e = loaded.data?.event;
  const correlation = e ? textOf(valueAt(e, 'correlationId')) : '';
  const target = e ? textOf(valueAt(e, 'target.id')) : '';
  // A key's CRN ends in `:key:<id>`; a create or list targets the instance, which is no key to follow.
  const isKey = /:key:[^:]+$/.test(target);
  return (
    <section aria-labelledby="event-title">
      <h1 id="event-title">Event</h1>
      <p class="muted">
        <code>{id}</code>
      </p>
      <Status loading={loaded.loading} error={loaded.error}>
        {e ? (
          <>
            <dl class="headline">
              {HEADLINE.map((f) => (
                <div key={f}>
                  <dt>{f}</dt>
                  <dd>
                    <Value value={valueAt(e, f)} />
                  </dd>
                </div>
              ))}
            </dl>
            <p class="links">
              {correlation ? (
                <a href={href(['searches', 'correlation-trace'], { correlationId: correlation, run: 1 })}>Every event of this correlation id</a>
              ) : null}
              {isKey ? <a href={href(['key'], { key: target })}>This key's whole life</a> : null}
            </p>
            <h2>Whole event</h2>
            <Tree value={e} />
          </>
        ) : null}
      </Status>
    </section>
  );
}

function Tree({ value }: { value: unknown }) {
  if (value === null || typeof value !== 'object') return <Value value={value} />;
  const entries = Array.isArray(value) ? value.map((v, i) => [String(i), v] as const) : Object.entries(value);
  if (entries.length === 0) return <span class="muted">{Array.isArray(value) ? '[]' : '{}'}</span>;
  return (
    <dl class="tree">
      {entries.map(([k, v]) => (
        <div key={k}>
          <dt>{k}</dt>
          <dd>
            <Tree value={v} />
          </dd>
        </div>
      ))}
    </dl>
  );
}
