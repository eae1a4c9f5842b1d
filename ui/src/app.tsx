import { useEffect, useState } from 'preact/hooks';
import { getJson, whenUnauthorized } from './api.js';
import { useLoad } from './load.js';
import { useRoute, type Route } from './route.js';
import { readToken, saveToken } from './token.js';
import type { StoreSpan } from './types.js';
import { EventView } from './views/event.js';
import { FindingsView } from './views/findings.js';
import { FingerprintView } from './views/fingerprint.js';
import { KeyTimelineView } from './views/key-timeline.js';
import { OverviewView } from './views/overview.js';
import { SearchRunView } from './views/search-run.js';
import { SearchListView } from './views/searches.js';

const NAV = [
  ['overview', 'Overview'],
  ['searches', 'Saved searches'],
  ['key', 'Key timeline'],
  ['findings', 'Findings'],
] as const;

/** Set in the page by a server run without credentials (`serve --no-auth`): there is no token to ask for. */
const OPEN_SERVER = document.querySelector('meta[name="auditline-auth"]')?.getAttribute('content') === 'none';

export function App() {
  const [token, setToken] = useState(readToken);
  useEffect(() => whenUnauthorized(() => setToken(null)), []);
  if (!token && !OPEN_SERVER) return <Login onToken={setToken} />;
  return <Shell />;
}

/** Asked once per tab: the token goes to sessionStorage, nowhere else. */
function Login({ onToken }: { onToken: (t: string) => void }) {
  const [value, setValue] = useState('');
  return (
    <main class="login">
      <h1>auditline</h1>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          if (value.trim() === '') return;
          saveToken(value.trim());
          onToken(value.trim());
        }}
      >
        <label>
          Token of this server
          <input name="token" type="password" autocomplete="off" required value={value} onInput={(e) => setValue(e.currentTarget.value)} />
        </label>
        <button type="submit">Open</button>
        <p class="muted">Kept for this tab only. `auditline ui` prints a link that carries it.</p>
      </form>
    </main>
  );
}

function Shell() {
  const route = useRoute();
  const store = useLoad(() => getJson<StoreSpan>('/api/store'), []);
  const section = route.parts[0] ?? 'overview';
  return (
    <>
      <a class="skip" href="#main" onClick={(e) => (e.preventDefault(), document.getElementById('main')?.focus())}>
        Skip to content
      </a>
      <header>
        <span class="brand">auditline</span>
        <nav aria-label="views">
          {NAV.map(([id, label]) => (
            <a key={id} href={`#/${id}`} aria-current={section === id ? 'page' : undefined}>
              {label}
            </a>
          ))}
        </nav>
        <span class="muted store-span">{store.data ? `${store.data.events} events, ${store.data.locations.join(', ') || 'no location'}` : ''}</span>
      </header>
      <main id="main" tabIndex={-1}>
        <View route={route} store={store.data} />
      </main>
    </>
  );
}

function View({ route, store }: { route: Route; store: StoreSpan | undefined }) {
  const [section, arg] = route.parts;
  switch (section) {
    case undefined:
    case 'overview':
      return <OverviewView key={route.query.toString()} route={route} store={store} />;
    case 'searches':
      return arg ? <SearchRunView name={arg} route={route} store={store} /> : <SearchListView />;
    case 'event':
      return <EventView id={arg ?? ''} />;
    case 'fingerprint':
      return <FingerprintView fingerprint={arg ?? ''} route={route} />;
    case 'key':
      return <KeyTimelineView key={route.query.get('key') ?? ''} route={route} />;
    case 'findings':
      return <FindingsView route={route} store={store} />;
    default:
      return <p role="alert">{`Nothing at ${location.hash}`}</p>;
  }
}
