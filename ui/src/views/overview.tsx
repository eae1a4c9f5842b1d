import { useState } from 'preact/hooks';
import { getJson, queryOf } from '../api.js';
import { EventsChart } from '../components/chart.js';
import { FormRow, RangeFields, type RangeValues } from '../components/range-form.js';
import { Status } from '../components/status.js';
import { useLoad } from '../load.js';
import { go, href, type Route } from '../route.js';
import type { Overview, StoreSpan } from '../types.js';

const SEVERITIES = ['critical', 'high', 'medium', 'low', 'informational'];

function rangeOf(route: Route): RangeValues {
  return { since: route.query.get('since') ?? '', until: route.query.get('until') ?? '', location: route.query.get('location') ?? '' };
}

export function OverviewView({ route, store }: { route: Route; store: StoreSpan | undefined }) {
  const asked = rangeOf(route);
  const [form, setForm] = useState(asked);
  const overview = useLoad(() => getJson<Overview>(`/api/overview${queryOf({ ...asked })}`), [asked.since, asked.until, asked.location]);
  const o = overview.data;
  return (
    <section aria-labelledby="overview-title">
      <h1 id="overview-title">Overview</h1>
      <FormRow label="Show" onSubmit={() => go(href(['overview'], { ...form }))}>
        <RangeFields values={form} locations={store?.locations ?? []} onInput={setForm} />
      </FormRow>
      <Status loading={overview.loading} error={overview.error}>
        {o ? (
          <>
            <p class="muted">{`${o.since} to ${o.until}, ${o.location ?? 'every location'}, one point per ${o.bucketMs / 60_000} min`}</p>
            <div class="cards">
              <div class="card">
                <span class="card-label">Events</span>
                <span class="card-value" data-testid="total">
                  {o.total}
                </span>
              </div>
              <div class="card">
                <span class="card-label">Failure rate</span>
                <span class="card-value" data-testid="failure-rate">
                  {`${(o.failureRate * 100).toFixed(1)} %`}
                </span>
                <span class="muted">{`${o.failures} failed`}</span>
              </div>
              <div class="card">
                <span class="card-label">Findings by severity</span>
                <ul class="severity-list" data-testid="findings-by-severity">
                  {SEVERITIES.filter((s) => o.findingsBySeverity[s]).map((s) => (
                    <li key={s}>
                      <a href={href(['findings'], { since: o.since, until: o.until, location: o.location ?? undefined })} class={`severity severity-${s}`}>
                        {`${s}: ${o.findingsBySeverity[s]}`}
                      </a>
                    </li>
                  ))}
                  {o.findings === 0 ? <li class="muted">none</li> : null}
                </ul>
              </div>
            </div>
            <h2>Events over time</h2>
            <EventsChart
              title={`events over time by location and outcome, ${o.total} in all`}
              times={o.buckets}
              series={o.series.map((s) => ({ label: `${s.location} ${s.outcome}`, failure: s.outcome === 'failure', values: s.counts }))}
            />
            <h2>Top actions</h2>
            <div class="table-wrap">
              <table data-testid="top-actions">
                <thead>
                  <tr>
                    <th scope="col">Action</th>
                    <th scope="col" class="num">
                      Events
                    </th>
                    <th scope="col" class="num">
                      Failures
                    </th>
                  </tr>
                </thead>
                <tbody>
                  {o.topActions.map((a) => (
                    <tr key={a.action}>
                      <td>{a.action}</td>
                      <td class="num">{a.count}</td>
                      <td class="num">{a.failures}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          </>
        ) : null}
      </Status>
    </section>
  );
}
