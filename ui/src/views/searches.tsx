import { getJson } from '../api.js';
import { Status } from '../components/status.js';
import { useLoad } from '../load.js';
import { href } from '../route.js';
import type { SearchSummary } from '../types.js';

export const loadSearches = () => getJson<{ searches: SearchSummary[] }>('/api/searches');

/** Every saved search and rule of the server's folder, with its title and description. */
export function SearchListView() {
  const list = useLoad(loadSearches, []);
  const groups: [string, SearchSummary[]][] = [
    ['Searches', list.data?.searches.filter((s) => s.type === 'search') ?? []],
    ['Detection rules', list.data?.searches.filter((s) => s.type === 'rule') ?? []],
  ];
  const broken = list.data?.searches.filter((s) => s.issues) ?? [];
  return (
    <section aria-labelledby="searches-title">
      <h1 id="searches-title">Saved searches</h1>
      <Status loading={list.loading} error={list.error}>
        {groups.map(([title, items]) => (
          <div key={title}>
            <h2>{title}</h2>
            <ul class="search-list">
              {items.map((s) => (
                <li key={s.name}>
                  <a href={href(['searches', s.name])}>{s.title ?? s.name}</a>
                  {s.severity ? <span class={`severity severity-${s.severity}`}>{s.severity}</span> : null}
                  <code class="muted">{s.name}</code>
                  <p>{s.description}</p>
                </li>
              ))}
            </ul>
          </div>
        ))}
        {broken.length > 0 ? (
          <>
            <h2>Files with problems</h2>
            <ul>
              {broken.map((s) => (
                <li key={s.name}>{`${s.name}: ${(s.issues ?? []).join('; ')}`}</li>
              ))}
            </ul>
          </>
        ) : null}
      </Status>
    </section>
  );
}
