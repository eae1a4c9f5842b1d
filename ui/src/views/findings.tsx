import { useEffect, useRef, useState } from 'preact/hooks';
import { getJson, queryOf, Unauthorized } from '../api.js';
import { EventsTable } from '../components/events-table.js';
import { findingKey, FindingsTable } from '../components/findings-table.js';
import { FormRow, RangeFields, type RangeValues } from '../components/range-form.js';
import { Status } from '../components/status.js';
import { useLoad } from '../load.js';
import { go, href, type Route } from '../route.js';
import type { AuditEvent, Finding, StoreSpan } from '../types.js';

/** New findings show up without a reload: every rule is run again over the range this often. */
export const POLL_MS = 5_000;
const SAMPLE_FIELDS = ['@timestamp', 'location', 'action', 'outcome', 'initiator.name', 'target.id'];

/**
 * Every rule over the range, as `GET /api/findings` runs them, with `record=false`: looking at
 * the page must not mark findings as reported, or scheduled detection would never post them.
 * Which ones are new is the page's own memory: those that were not there at its first answer.
 */
export function FindingsView({ route, store }: { route: Route; store: StoreSpan | undefined }) {
  const asked: RangeValues = { since: route.query.get('since') ?? '', until: route.query.get('until') ?? '', location: route.query.get('location') ?? '' };
  // Without a range: the store's whole span (the rules' own default, the last day, shows nothing on an old export).
  const since = asked.since || store?.first || '24h';
  const until = asked.until || (store?.last ? new Date(Date.parse(store.last) + 1).toISOString() : '');
  const [form, setForm] = useState(asked);
  const [findings, setFindings] = useState<Finding[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const seen = useRef<Set<string> | null>(null);
  const [fresh, setFresh] = useState<Set<string>>(new Set());
  const opened = route.query.get('open');

  useEffect(() => {
    let stopped = false;
    let polling = false;
    seen.current = null;
    const poll = async () => {
      // Each poll runs every rule on the server: none while the tab is hidden, never two at once.
      if (polling || (document.hidden && seen.current !== null)) return;
      polling = true;
      try {
        const answer = await getJson<{ findings: Finding[] }>(`/api/findings${queryOf({ since, until, location: asked.location, record: 'false' })}`);
        if (stopped) return;
        const keys = answer.findings.map(findingKey);
        if (seen.current === null) seen.current = new Set(keys);
        else {
          const added = keys.filter((k) => !seen.current!.has(k));
          if (added.length > 0) setFresh((f) => new Set([...f, ...added]));
          for (const k of added) seen.current.add(k);
        }
        setFindings(answer.findings);
        setError(null);
      } catch (e) {
        if (!stopped && !(e instanceof Unauthorized)) setError(e instanceof Error ? e.message : String(e));
      } finally {
        polling = false;
      }
    };
    void poll();
    const timer = setInterval(() => void poll(), POLL_MS);
    return () => {
      stopped = true;
      clearInterval(timer);
    };
  }, [since, until, asked.location]);

  const to = (changes: Record<string, string | undefined>) => go(href(['findings'], { ...Object.fromEntries(route.query), ...changes }));
  return (
    <section aria-labelledby="findings-title">
      <h1 id="findings-title">Findings</h1>
      <FormRow label="Show" onSubmit={() => go(href(['findings'], { ...form }))}>
        <RangeFields values={form} locations={store?.locations ?? []} onInput={setForm} />
      </FormRow>
      <p class="muted">{`Every detection rule from ${since} to ${until || 'now'}, checked again every ${POLL_MS / 1000} s.`}</p>
      <p class="visually-hidden" aria-live="polite">
        {fresh.size > 0 ? `${fresh.size} new findings` : ''}
      </p>
      <Status loading={findings === null && !error} error={error}>
        {findings && findings.length === 0 ? <p>No findings in this range.</p> : null}
        {findings && findings.length > 0 ? (
          <FindingsTable
            findings={findings}
            isNew={(f) => fresh.has(findingKey(f))}
            opened={opened}
            onOpen={(key) => to({ open: key ?? undefined })}
            details={(f) => <SampleEvents finding={f} />}
          />
        ) : null}
      </Status>
    </section>
  );
}

function SampleEvents({ finding }: { finding: Finding }) {
  const samples = useLoad(
    () => Promise.all(finding.sampleEventIds.map((id) => getJson<{ event: AuditEvent }>(`/api/events/${encodeURIComponent(id)}`).then((r) => r.event))),
    [finding.sampleEventIds.join(',')],
  );
  return (
    <Status loading={samples.loading} error={samples.error}>
      {finding.values ? <p>{`Values: ${finding.values.join(', ')}`}</p> : null}
      <EventsTable events={samples.data ?? []} fields={SAMPLE_FIELDS} caption={`Sample events: the first ${finding.sampleEventIds.length}`} />
    </Status>
  );
}
