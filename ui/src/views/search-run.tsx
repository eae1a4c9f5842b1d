import { useState } from 'preact/hooks';
import { download, postJson } from '../api.js';
import { EventsTable } from '../components/events-table.js';
import { FindingsTable } from '../components/findings-table.js';
import { Pager } from '../components/pager.js';
import { FormRow, RangeFields, type RangeValues } from '../components/range-form.js';
import { Status } from '../components/status.js';
import { useLoad } from '../load.js';
import { go, href, type Route } from '../route.js';
import type { SearchPage, SearchSummary, StoreSpan } from '../types.js';
import { loadSearches } from './searches.js';

/** Rows of a page of results, unless the route says otherwise (`size`). */
const PAGE_SIZE = 50;
const PAGE_SIZES = [10, 50, 200, 1000];
/** Query keys of the route that are not the search's own parameters. */
const RESERVED = new Set(['since', 'until', 'location', 'sort', 'order', 'offset', 'run', 'size']);

export interface SearchRequest {
  params: Record<string, string>;
  since?: string;
  until?: string;
  location?: string;
  sort?: string;
  order?: string;
  offset: number;
  limit: number;
}

/** What the route asks of a search: parameters, range, order and page, all in the hash so a result can be linked to. */
export function requestOf(route: Route, limit = Number(route.query.get('size') ?? PAGE_SIZE)): SearchRequest {
  const params: Record<string, string> = {};
  for (const [k, v] of route.query) if (!RESERVED.has(k)) params[k] = v;
  const opt = (k: string) => route.query.get(k) || undefined;
  return {
    params,
    since: opt('since'),
    until: opt('until'),
    location: opt('location'),
    sort: opt('sort'),
    order: opt('order'),
    offset: Number(route.query.get('offset') ?? 0),
    limit,
  };
}

export function runPage(name: string, r: SearchRequest): Promise<SearchPage> {
  return postJson<SearchPage>(`/api/searches/${encodeURIComponent(name)}/page`, r);
}

/** One search: a form from its typed parameters, then its results paged and sorted on the server. */
export function SearchRunView({ name, route, store }: { name: string; route: Route; store: StoreSpan | undefined }) {
  const list = useLoad(loadSearches, []);
  const search = list.data?.searches.find((s) => s.name === name);
  const asked = requestOf(route);
  const ran = route.query.get('run') === '1';
  const key = route.query.toString();
  const page = useLoad(ran ? () => runPage(name, asked) : null, [name, key]);
  const [downloadError, setDownloadError] = useState<string | null>(null);
  const to = (changes: Record<string, string | number | undefined>) => {
    const q: Record<string, string | number | undefined> = Object.fromEntries(route.query);
    go(href(['searches', name], { ...q, ...changes }));
  };
  const save = (format: 'csv' | 'ndjson') => {
    setDownloadError(null);
    const { offset: _o, limit: _l, ...all } = asked;
    download(`/api/searches/${encodeURIComponent(name)}/page`, { ...all, format }, `${name}.${format}`).catch((e: unknown) =>
      setDownloadError(e instanceof Error ? e.message : String(e)),
    );
  };
  const p = page.data;
  return (
    <section aria-labelledby="search-title">
      <p>
        <a href="#/searches">All searches</a>
      </p>
      <Status loading={list.loading} error={list.error}>
        {search ? (
          <>
            <h1 id="search-title">{search.title ?? name}</h1>
            <p>{search.description}</p>
            <SearchForm key={name} search={search} asked={asked} store={store} onRun={(values) => go(href(['searches', name], { ...values, run: 1 }))} />
          </>
        ) : list.data ? (
          <p class="error" role="alert">{`no search named ${name}`}</p>
        ) : null}
      </Status>
      {ran ? (
        <Status loading={page.loading} error={page.error}>
          {p ? (
            <div class="results">
              <div class="toolbar">
                <p role="status" data-testid="result-count">{`${p.total} ${p.kind === 'events' ? 'events' : 'findings'}`}</p>
                <label class="inline">
                  Rows per page
                  <select name="size" value={String(asked.limit)} onChange={(e) => to({ size: e.currentTarget.value, offset: 0 })}>
                    {PAGE_SIZES.map((n) => (
                      <option key={n} value={String(n)}>
                        {n}
                      </option>
                    ))}
                  </select>
                </label>
                <button type="button" onClick={() => save('csv')}>
                  Download CSV
                </button>
                <button type="button" onClick={() => save('ndjson')}>
                  Download NDJSON
                </button>
              </div>
              {downloadError ? (
                <p class="error" role="alert">
                  {downloadError}
                </p>
              ) : null}
              {p.kind === 'events' ? (
                <>
                  <EventsTable
                    events={p.events ?? []}
                    fields={p.fields}
                    sort={{ field: p.sort ?? '@timestamp', order: p.order ?? 'asc' }}
                    onSort={(s) => to({ sort: s.field, order: s.order, offset: 0 })}
                  />
                  <Pager offset={p.offset ?? 0} limit={p.limit ?? PAGE_SIZE} total={p.total} onPage={(offset) => to({ offset })} />
                </>
              ) : (
                <FindingsTable findings={p.findings ?? []} />
              )}
            </div>
          ) : null}
        </Status>
      ) : null}
    </section>
  );
}

function SearchForm({
  search,
  asked,
  store,
  onRun,
}: {
  search: SearchSummary;
  asked: SearchRequest;
  store: StoreSpan | undefined;
  onRun: (values: Record<string, string>) => void;
}) {
  const specs = Object.entries(search.parameters ?? {});
  const [params, setParams] = useState<Record<string, string>>(() =>
    Object.fromEntries(specs.map(([k, spec]) => [k, asked.params[k] ?? (spec.default === undefined ? '' : String(spec.default))])),
  );
  const [range, setRange] = useState<RangeValues>({ since: asked.since ?? '', until: asked.until ?? '', location: asked.location ?? '' });
  return (
    <FormRow label="Run" onSubmit={() => onRun({ ...params, ...range })}>
      {specs.map(([k, spec]) => (
        <label key={k}>
          {k}
          {spec.type === 'boolean' ? (
            <select name={k} value={params[k]} onChange={(e) => setParams({ ...params, [k]: e.currentTarget.value })}>
              <option value="">(default)</option>
              <option value="true">true</option>
              <option value="false">false</option>
            </select>
          ) : (
            <input
              name={k}
              inputMode={spec.type === 'integer' ? 'numeric' : undefined}
              pattern={spec.type === 'integer' ? '-?[0-9]+' : undefined}
              required={spec.required !== false && spec.default === undefined}
              value={params[k]}
              title={spec.description}
              onInput={(e) => setParams({ ...params, [k]: e.currentTarget.value })}
            />
          )}
          <small class="muted">{spec.description}</small>
        </label>
      ))}
      <RangeFields values={range} locations={store?.locations ?? []} onInput={setRange} />
    </FormRow>
  );
}
