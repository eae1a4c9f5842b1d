import { mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { CHROMIUM } from './fixture.js';

/**
 * Where the tests leave a picture of each view: the committed ones (docs/ui/README.md) only with
 * `npm run screenshots:update`, so that a test run leaves the tree as it found it.
 */
export const SCREENSHOTS = process.env['AUDITLINE_UPDATE_SCREENSHOTS']
  ? join(import.meta.dirname, '../../docs/ui/screenshots')
  : join(tmpdir(), 'auditline-ui-screenshots');

export function launch(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--no-first-run', '--disable-dev-shm-usage'],
  });
}

/** What a page did that it must not: a CSP violation, an uncaught error, a dialog, a request to anywhere but the server. */
export interface Misbehaviour {
  problems: string[];
}

export async function watchedPage(context: BrowserContext, origin: string): Promise<{ page: Page; seen: Misbehaviour }> {
  const page = await context.newPage();
  const seen: Misbehaviour = { problems: [] };
  page.on('console', (m) => {
    if (m.type() === 'error' || m.text().includes('Content Security Policy')) seen.problems.push(`console: ${m.text()}`);
  });
  page.on('pageerror', (e) => seen.problems.push(`error: ${e.message}`));
  page.on('dialog', (d) => {
    seen.problems.push(`dialog: ${d.message()}`);
    void d.dismiss();
  });
  page.on('request', (r) => {
    if (!r.url().startsWith(origin) && !r.url().startsWith('blob:') && !r.url().startsWith('data:')) seen.problems.push(`request: ${r.url()}`);
  });
  return { page, seen };
}

/** The whole page, or (`fullPage: false`) what the window shows: a long list is told by its top. */
export async function shoot(page: Page, name: string, fullPage = true): Promise<void> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage, animations: 'disabled' });
}
