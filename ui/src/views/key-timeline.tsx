import { useState } from 'preact/hooks';
import { Status } from '../components/status.js';
import { Value } from '../components/value.js';
import { textOf, valueAt } from '../fields.js';
import { useLoad } from '../load.js';
import { go, href, type Route } from '../route.js';
import type { AuditEvent } from '../types.js';
import { runPage } from './search-run.js';

/** Events of a key drawn at once; the route's own page limit. */
const MAX_EVENTS = 1_000;

/** The step of a key's life an action is, by its last segment (`kms.secrets.setkeyfordeletion`). */
const PHASES: Record<string, string> = {
  create: 'created',
  rotate: 'rotated',
  wrap: 'wrapped',
  unwrap: 'unwrapped',
  rewrap: 'rewrapped',
  setkeyfordeletion: 'scheduled for deletion',
  unsetkeyfordeletion: 'deletion cancelled',
  delete: 'deleted',
  purge: 'purged',
  restore: 'restored',
  enable: 'enabled',
  disable: 'disabled',
  write: 'policy or registration written',
  read: 'read',
};

export function phaseOf(action: string): string {
  const last = action.slice(action.lastIndexOf('.') + 1);
  if (action.includes('.registrations.')) return `registration ${last}`;
  if (action.includes('.policies.')) return `policy ${last}`;
  return PHASES[last] ?? last;
}

/** Resource CRNs an event names besides the key: registrations, the resources a wrap was made for. */
function crnsIn(value: unknown, out: Set<string>): void {
  if (typeof value === 'string') {
    if (value.startsWith('crn:')) out.add(value);
  } else if (value && typeof value === 'object') for (const v of Object.values(value)) crnsIn(v, out);
}

interface Tally {
  name: string;
  count: number;
  actions: Set<string>;
}

function tallyBy(events: readonly AuditEvent[], of: (e: AuditEvent) => string[]): Tally[] {
  const by = new Map<string, Tally>();
  for (const e of events) {
    for (const name of of(e)) {
      const t = by.get(name) ?? { name, count: 0, actions: new Set<string>() };
      t.count++;
      t.actions.add(phaseOf(e.action));
      by.set(name, t);
    }
  }
  return [...by.values()].sort((a, b) => b.count - a.count || (a.name < b.name ? -1 : 1));
}

/** A key's whole life (the `key-timeline` search), as a timeline, with the principals and resources that touched it. */
export function KeyTimelineView({ route }: { route: Route }) {
  const key = route.query.get('key') ?? '';
  const [form, setForm] = useState(key);
  const loaded = useLoad(key ? () => runPage('key-timeline', { params: { key }, offset: 0, limit: MAX_EVENTS }) : null, [key]);
  const events = loaded.data?.events ?? [];
  const principals = tallyBy(events, (e) => [textOf(valueAt(e, 'initiator.name')) || textOf(valueAt(e, 'initiator.id'))].filter(Boolean));
  const resources = tallyBy(events, (e) => {
    const found = new Set<string>();
    crnsIn(valueAt(e, 'requestData'), found);
    crnsIn(valueAt(e, 'responseData'), found);
    const own = textOf(valueAt(e, 'target.id'));
    found.delete(own);
    return [...found];
  });
  return (
    <section aria-labelledby="key-title">
      <h1 id="key-title">A key's whole life</h1>
      <form
        class="form-row"
        onSubmit={(e) => {
          e.preventDefault();
          go(href(['key'], { key: form.trim() }));
        }}
      >
        <label>
          Key
          <input name="key" value={form} required placeholder="key id, CRN or alias" onInput={(e) => setForm(e.currentTarget.value)} />
        </label>
        <button type="submit">Show</button>
      </form>
      {key ? (
        <Status loading={loaded.loading} error={loaded.error}>
          <p role="status" data-testid="result-count">
            {`${loaded.data?.total ?? 0} events`}
            {(loaded.data?.total ?? 0) > events.length ? `, the first ${events.length} drawn` : ''}
          </p>
          {events.length > 0 ? (
            <div class="timeline-layout">
              <ol class="timeline" data-testid="timeline">
                {events.map((e) => (
                  <li key={e.id} class={e.outcome === 'failure' ? 'failure' : undefined}>
                    <time dateTime={e['@timestamp']}>{e['@timestamp']}</time>
                    <a href={href(['event', e.id])} class="phase">
                      {phaseOf(e.action)}
                    </a>
                    <span>
                      {' by '}
                      <Value value={valueAt(e, 'initiator.name') ?? valueAt(e, 'initiator.id')} />
                    </span>
                    <span class="muted">{` ${e.action} · ${e.outcome} · ${e.location}`}</span>
                  </li>
                ))}
              </ol>
              <aside>
                <h2>Principals</h2>
                <Tallies rows={principals} testId="principals" />
                <h2>Resources</h2>
                {resources.length === 0 ? <p class="muted">No other resource named in these events.</p> : <Tallies rows={resources} testId="resources" />}
                <p>
                  <a href={href(['searches', 'key-timeline'], { key, run: 1 })}>As a table</a>
                </p>
              </aside>
            </div>
          ) : null}
        </Status>
      ) : null}
    </section>
  );
}

function Tallies({ rows, testId }: { rows: Tally[]; testId: string }) {
  return (
    <ul class="tallies" data-testid={testId}>
      {rows.map((r) => (
        <li key={r.name}>
          <Value value={r.name} />
          <span class="muted">{` ${r.count}: ${[...r.actions].join(', ')}`}</span>
        </li>
      ))}
    </ul>
  );
}
