import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { extname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The analysts' page: the files `npm run build` writes to dist/ui (Vite), held in memory (a few
 * hundred KB) and served at `/` without credentials: they hold no data, and the page asks for
 * the token itself. Every file goes out with a Content-Security-Policy that lets it load and
 * connect to this server only, and run no inline script or style.
 */

/** dist/ui, two folders above this file both in src/server (tests) and dist/server (the package). */
export const PAGE_DIR = fileURLToPath(new URL('../../dist/ui/', import.meta.url));

export const PAGE_HEADERS: Readonly<Record<string, string>> = {
  'Content-Security-Policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; font-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'Cross-Origin-Opener-Policy': 'same-origin',
};

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
  '.woff2': 'font/woff2',
};

export interface PageFile {
  body: Buffer;
  contentType: string;
  /** Hashed asset names never change content: cached for a year; index.html is checked each time. */
  cacheControl: string;
}

export interface PageFiles {
  /** The file a GET or HEAD asks for, or undefined when the request is not for the page. */
  match(method: string | undefined, pathname: string, accept: string | undefined): PageFile | undefined;
}

const INDEX = 'index.html';
const ASSETS = '/assets/';

function readTree(dir: string): Map<string, Buffer> {
  const files = new Map<string, Buffer>();
  if (!existsSync(dir)) return files;
  const walk = (d: string): void => {
    for (const name of readdirSync(d)) {
      const path = join(d, name);
      if (statSync(path).isDirectory()) walk(path);
      else files.set(`/${relative(dir, path).split(sep).join('/')}`, readFileSync(path));
    }
  };
  walk(dir);
  return files;
}

/**
 * The page's files from `dir`. `/` (and `/index.html`) is the page only for a browser asking for
 * HTML: shippers and Elasticsearch clients call `GET /` for the cluster's info, which stays theirs.
 */
export function loadPage(dir: string = PAGE_DIR, opts: { open?: boolean } = {}): PageFiles {
  const files = readTree(dir);
  const index = files.get(`/${INDEX}`);
  if (index && opts.open) files.set(`/${INDEX}`, markOpen(index));
  const fileAt = (path: string): PageFile | undefined => {
    const body = files.get(path);
    if (!body) return undefined;
    const contentType = TYPES[extname(path)] ?? 'application/octet-stream';
    return { body, contentType, cacheControl: path.startsWith(ASSETS) ? 'public, max-age=31536000, immutable' : 'no-cache' };
  };
  return {
    match(method, pathname, accept) {
      if (method !== 'GET' && method !== 'HEAD') return undefined;
      if (pathname === '/' || pathname === `/${INDEX}`) return accept?.includes('text/html') ? fileAt(`/${INDEX}`) : undefined;
      if (pathname.startsWith(ASSETS) || pathname === '/favicon.svg') return fileAt(pathname);
      return undefined;
    },
  };
}

/** What the page reads to skip asking for a token on a server run without one (`serve --no-auth`). */
export const OPEN_SERVER_META = '<meta name="auditline-auth" content="none" />';

/** A meta element, not a script or a route: the CSP stays as strict and the page asks nothing more of the server. */
function markOpen(index: Buffer): Buffer {
  const html = index.toString('utf8');
  const at = html.indexOf('</head>');
  return at < 0 ? index : Buffer.from(`${html.slice(0, at)}${OPEN_SERVER_META}\n  ${html.slice(at)}`, 'utf8');
}
