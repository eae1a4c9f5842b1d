import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BEARER, startTestServer, type TestServer } from '../server/helpers.js';
import { launch, shoot, watchedPage, type Misbehaviour } from './browser.js';
import {
  cli,
  cliSearch,
  HAVE_CHROMIUM,
  HOSTILE_ID,
  HOSTILE_TEXT,
  ingest,
  LATE_FINDING_ID,
  lateFindingLine,
  PAGE_BUILT,
  pageLines,
  SECRET_IDS,
  TIMELINE_KEY,
  TOKEN,
  TRACE_ID,
  TRACE_IDS,
} from './fixture.js';

/**
 * The analysts' page in Debian's chromium (headless), on `serve` with the fixtures: what it shows
 * is checked against the same searches run through the CLI. Screenshots of each view go to
 * docs/ui/screenshots with `npm run screenshots:update` (browser.ts SCREENSHOTS).
 */
const SKIP = !HAVE_CHROMIUM ? 'no /usr/bin/chromium (.ci/run installs it)' : !PAGE_BUILT ? 'dist/ui not built (npm run build)' : '';

describe.skipIf(SKIP !== '')(`the analysts' page in a browser${SKIP ? ` (skipped: ${SKIP})` : ''}`, () => {
  let server: TestServer;
  let stored = 0;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let seen: Misbehaviour;

  beforeAll(async () => {
    [server, browser] = await Promise.all([startTestServer({ dir: mkdtempSync(join(tmpdir(), 'auditline-ui-page-')) }), launch()]);
    stored = await ingest(server.url, pageLines());
    context = await browser.newContext({ viewport: { width: 1280, height: 900 }, colorScheme: 'light', acceptDownloads: true });
    ({ page, seen } = await watchedPage(context, server.url));
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    if (server) rmSync(server.dir, { recursive: true, force: true });
  });

  /** An expression run in the page (as text: the test is compiled for Node, not the DOM). */
  const inPage = <T = unknown>(p: Page, expression: string): Promise<T> => p.evaluate(expression) as Promise<T>;
  const rowsText = (p: Page, column: number) =>
    p.locator('table.events tbody tr').evaluateAll((rows, c) => rows.map((r) => r.children[c]?.textContent ?? ''), column);

  it('asks for the token once, keeps it for the tab, and shows the overview of the store', async () => {
    await page.goto(`${server.url}/`);
    await page.getByLabel('Token of this server').fill(TOKEN);
    await page.getByRole('button', { name: 'Open' }).click();
    await expect.poll(() => page.getByTestId('total').textContent()).toBe(String(stored));

    const events = (await (await fetch(`${server.url}/api/events`, { headers: BEARER })).text())
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l) as { outcome: string; action: string; location: string });
    const failed = events.filter((e) => e.outcome === 'failure').length;
    expect(await page.getByTestId('failure-rate').textContent()).toBe(`${((failed / stored) * 100).toFixed(1)} %`);
    const [topAction, topCount] = await page.locator('[data-testid=top-actions] tbody tr').first().locator('td').allTextContents();
    expect(Number(topCount)).toBe(events.filter((e) => e.action === topAction).length);
    expect(await page.locator('.chart canvas').count()).toBe(1);

    // Asked once: a reload keeps the tab's token (sessionStorage), nothing is kept beyond the tab.
    await page.reload();
    await expect.poll(() => page.getByTestId('total').textContent()).toBe(String(stored));
    expect(await inPage(page, "[sessionStorage.getItem('auditline.token'), localStorage.length, document.cookie]")).toEqual([TOKEN, 0, '']);

    // Keyboard: the first Tab reaches the skip link, the next the first view, each with a visible focus ring.
    await page.keyboard.press('Tab');
    await page.keyboard.press('Tab');
    const focused = await inPage(page, '[document.activeElement.textContent, getComputedStyle(document.activeElement).outlineStyle]');
    expect(focused).toEqual(['Overview', 'solid']);
    await shoot(page, 'overview');

    // One location: the counts follow, and the choice is in the address (a deep link).
    await page.locator('select[name=location]').selectOption('eu-de');
    await page.getByRole('button', { name: 'Show' }).click();
    await expect.poll(() => page.getByTestId('total').textContent()).toBe(String(events.filter((e) => e.location === 'eu-de').length));
    expect(await inPage(page, 'location.hash')).toBe('#/overview?location=eu-de');
  });

  it('runs correlation-trace with its parameter and shows what search run prints, downloads it, sorts it on the server', async () => {
    await page.getByRole('link', { name: 'Saved searches' }).click();
    await page.getByRole('link', { name: 'Every event of one correlation id, across services' }).click();
    await page.locator('input[name=correlationId]').fill(TRACE_ID);
    await page.getByRole('button', { name: 'Run' }).click();
    await expect.poll(() => page.getByTestId('result-count').textContent()).toBe('3 events');

    const expected = await cliSearch(server.url, 'correlation-trace', { correlationId: TRACE_ID });
    expect(await rowsText(page, 0)).toEqual(expected.map((e) => e['@timestamp']));
    expect(await rowsText(page, 3)).toEqual(expected.map((e) => e.action));

    const [csv] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Download CSV' }).click()]);
    const cliCsv = await cli([
      'search',
      'run',
      'correlation-trace',
      '--param',
      `correlationId=${TRACE_ID}`,
      '--format',
      'csv',
      '--server',
      server.url,
      '--token',
      TOKEN,
    ]);
    expect(readFileSync((await csv.path())!, 'utf8')).toBe(cliCsv.stdout);

    await page.getByRole('button', { name: 'service' }).click();
    await expect.poll(() => page.locator('th[aria-sort=ascending]').textContent()).toContain('service');
    const services = await rowsText(page, 2);
    expect(services).toEqual([...services].sort());
    expect(services).toEqual(expected.map((e) => String(e.service)).sort());
    await shoot(page, 'search-results');
  });

  it('opens the whole event from a row, with redacted values as fingerprint links', async () => {
    const expected = await cliSearch(server.url, 'correlation-trace', { correlationId: TRACE_ID });
    await page.getByRole('button', { name: '@timestamp' }).click();
    await expect.poll(() => page.locator('th[aria-sort=ascending]').textContent()).toContain('@timestamp');
    expect(await rowsText(page, 0)).toEqual(expected.map((e) => e['@timestamp']));
    await page.locator('table.events tbody tr').first().getByRole('link').first().click();
    await expect.poll(() => page.locator('#event-title + p code').textContent()).toBe(TRACE_IDS[0]);
    await expect.poll(() => page.locator('dl.tree dt', { hasText: 'client_secret' }).count()).toBe(1);
    expect(await page.locator('a.fingerprint').count()).toBeGreaterThan(0);
    // A create targets the instance: no key to follow from here.
    expect(await page.getByRole('link', { name: "This key's whole life" }).count()).toBe(0);
    await shoot(page, 'event');
  });

  it('follows a fingerprint link to every event carrying the same secret', async () => {
    await page.locator('a.fingerprint').first().click();
    await expect.poll(() => page.getByTestId('result-count').textContent()).toBe('2 events');
    const links = await page.locator('table.events tbody tr td:first-child a').evaluateAll((as) => as.map((a) => a.getAttribute('href')));
    expect(links).toEqual(SECRET_IDS.map((id) => `#/event/${id}`));
    expect(await rowsText(page, 7)).toEqual(['requestData.client_secret', 'requestData.client_secret']);
    await shoot(page, 'fingerprint');
  });

  it('pages a search on the server: every page of a deep link, in turn, is what search run prints', async () => {
    const expected = (await cliSearch(server.url, 'failed-requests', {})).map((e) => `#/event/${String(e.id)}`);
    expect(expected.length).toBeGreaterThan(20);
    await page.goto(`${server.url}/#/searches/failed-requests?run=1&size=10`);
    await expect.poll(() => page.getByTestId('result-count').textContent()).toBe(`${expected.length} events`);
    const seen: (string | null)[] = [];
    for (let n = 0; n < Math.ceil(expected.length / 10); n++) {
      if (n > 0) await page.getByRole('button', { name: 'Next' }).click();
      await expect
        .poll(() => page.locator('.pager [role=status]').textContent())
        .toBe(`${n * 10 + 1}–${Math.min(n * 10 + 10, expected.length)} of ${expected.length}`);
      seen.push(...(await page.locator('table.events tbody tr td:first-child a').evaluateAll((as) => as.map((a) => a.getAttribute('href')))));
    }
    expect(await page.getByRole('button', { name: 'Next' }).isDisabled()).toBe(true);
    expect(seen).toEqual(expected);
  });

  it("draws a key's whole life as the key-timeline search returns it, with the principals that touched it", async () => {
    await page.getByRole('link', { name: 'Key timeline' }).click();
    await page.getByLabel('Key', { exact: true }).fill(TIMELINE_KEY);
    await page.getByRole('button', { name: 'Show' }).click();
    const expected = await cliSearch(server.url, 'key-timeline', { key: TIMELINE_KEY });
    expect(expected.length).toBeGreaterThan(5);
    await expect.poll(() => page.locator('[data-testid=timeline] li').count()).toBe(expected.length);
    expect(await page.locator('[data-testid=timeline] li time').allTextContents()).toEqual(expected.map((e) => e['@timestamp']));
    const phases = await page.locator('[data-testid=timeline] li .phase').allTextContents();
    for (const step of ['rotated', 'wrapped', 'unwrapped', 'scheduled for deletion']) expect(phases).toContain(step);
    const principals = await page.getByTestId('principals').textContent();
    for (const e of expected) expect(principals).toContain(String((e.initiator as { name: string }).name));
    await shoot(page, 'key-timeline');

    // From one of its events, back to the key's life by its CRN: the same events.
    await page.locator('[data-testid=timeline] li .phase').first().click();
    await page.getByRole('link', { name: "This key's whole life" }).click();
    await expect.poll(() => page.locator('[data-testid=timeline] li').count()).toBe(expected.length);
    expect(await page.getByLabel('Key', { exact: true }).inputValue()).toMatch(new RegExp(`^crn:v1:.*:key:${TIMELINE_KEY}$`));
  });

  it('lists the findings detect reports, opens one with its sample events, and shows a new one without a reload', async () => {
    const span = (await (await fetch(`${server.url}/api/store`, { headers: BEARER })).json()) as { first: string; last: string };
    const until = new Date(Date.parse(span.last) + 1).toISOString();
    const detect = await cli(['detect', '--since', span.first, '--until', until, '--format', 'json', '--no-record', '--server', server.url, '--token', TOKEN]);
    const expected = (JSON.parse(detect.stdout) as { findings: { title: string; sampleEventIds: string[] }[] }).findings;
    expect(expected.length).toBeGreaterThan(0);

    await page.getByRole('link', { name: 'Findings' }).click();
    const rows = page.locator('table.findings > tbody > tr:not(.details)');
    await expect.poll(() => rows.count()).toBe(expected.length);
    await rows.first().getByRole('button').click();
    const samples = page.locator('tr.details table.events tbody tr');
    await expect.poll(() => samples.count()).toBe(expected[0]!.sampleEventIds.length);
    await shoot(page, 'findings', false);

    stored += await ingest(server.url, [lateFindingLine()]);
    await expect.poll(() => rows.count(), { timeout: 20_000 }).toBe(expected.length + 1);
    const fresh = page.locator('table.findings > tbody > tr.new');
    expect(await fresh.count()).toBe(1);
    await fresh.getByRole('button').click();
    await expect.poll(() => page.locator('tr.details a').first().getAttribute('href')).toBe(`#/event/${LATE_FINDING_ID}`);
  }, 40_000);

  it('shows markup from a hostile log line as text, and runs none of it', async () => {
    await page.goto(`${server.url}/#/event/${HOSTILE_ID}`);
    await expect.poll(() => page.getByText(HOSTILE_TEXT).count()).toBeGreaterThanOrEqual(2);
    expect(await page.locator('main img, main script, main iframe').count()).toBe(0);
    expect(await inPage(page, 'window.__pwned')).toBeUndefined();
  });

  it('reads on a narrow window in dark mode, taking the token from the link auditline ui prints', async () => {
    const narrow = await browser.newContext({ viewport: { width: 390, height: 844 }, colorScheme: 'dark' });
    const watched = await watchedPage(narrow, server.url);
    const p = watched.page;
    await p.goto(`${server.url}/#token=${encodeURIComponent(TOKEN)}`);
    await expect.poll(() => p.getByTestId('total').textContent()).toBe(String(stored));
    expect(await inPage(p, 'location.hash')).toBe('#/overview');
    expect(await inPage(p, 'getComputedStyle(document.documentElement).backgroundColor')).toBe('rgb(18, 20, 23)');
    expect(await inPage<number>(p, 'document.documentElement.scrollWidth')).toBeLessThanOrEqual(390);
    await shoot(p, 'overview-narrow-dark');
    await p.goto(`${server.url}/#/key?key=${TIMELINE_KEY}`);
    await expect.poll(() => p.locator('[data-testid=timeline] li').count()).toBeGreaterThan(5);
    await shoot(p, 'key-timeline-narrow-dark');
    // Wide tables scroll in their own box; the page itself never gets wider than the window.
    expect(await inPage<number>(p, 'document.documentElement.scrollWidth')).toBeLessThanOrEqual(390);
    await p.goto(`${server.url}/#/searches/correlation-trace?correlationId=${TRACE_ID}&run=1`);
    await expect.poll(() => p.getByTestId('result-count').textContent()).toBe('3 events');
    expect(await inPage<number>(p, 'document.documentElement.scrollWidth')).toBeLessThanOrEqual(390);
    expect(watched.seen.problems).toEqual([]);
    await narrow.close();
  });

  it('opens without asking for a token on a server run without one (serve --no-auth), and still asks on one with a token', async () => {
    const open = await startTestServer({ dir: mkdtempSync(join(tmpdir(), 'auditline-ui-open-')), flags: { token: [], noAuth: true } });
    const context = await browser.newContext();
    try {
      const watched = await watchedPage(context, open.url);
      await watched.page.goto(`${open.url}/`);
      await expect.poll(() => watched.page.getByTestId('total').textContent()).toBe('0');
      expect(await watched.page.getByLabel('Token of this server').count()).toBe(0);
      expect(watched.seen.problems).toEqual([]);
      const guarded = await watchedPage(context, server.url);
      await guarded.page.goto(`${server.url}/`);
      await expect.poll(() => guarded.page.getByLabel('Token of this server').count()).toBe(1);
    } finally {
      await context.close();
      await open.close();
      rmSync(open.dir, { recursive: true, force: true });
    }
  });

  it('broke no rule of the CSP, threw nothing, opened no dialog and asked nothing of anyone but the server', () => {
    expect(seen.problems).toEqual([]);
  });
});
