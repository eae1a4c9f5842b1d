import { existsSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { runDetection } from '../searches/detect.js';
import type { Finding } from '../searches/findings.js';
import { openLedger } from '../searches/ledger.js';
import { openSearchStore } from '../searches/run.js';
import type { AppContext } from './context.js';
import type { DetectScheduleOptions } from './options.js';
import { serially } from './routes/findings.js';
import { openReadConnection } from './routes/query-store.js';

/** A webhook that has not answered by then counts as failed; the next finding is tried all the same. */
export const WEBHOOK_TIMEOUT_MS = 10_000;
/** Tries of one finding within a run: the first and two retries, after 250 then 500 ms (with jitter). */
export const WEBHOOK_ATTEMPTS = 3;
const WEBHOOK_FIRST_BACKOFF_MS = 250;
/** Runs a finding is tried in before it is given up (logged); at the default five minutes, about a day. */
export const WEBHOOK_MAX_RUNS = 288;
/** Findings not yet delivered, beside the ledger: tried again on the next run, first. */
export const UNDELIVERED_FILE = 'webhook-undelivered.ndjson';

interface Undelivered {
  finding: Finding;
  /** Runs it was tried in and failed */
  runs: number;
}

export interface DetectCycle {
  sinceMs: number;
  untilMs: number;
  /** Every finding of the run, new or known */
  findings: number;
  /** Raised for the first time (recorded in the ledger, posted to the webhook) */
  newFindings: Finding[];
  /** Deliveries that got a 2xx in this run: new findings and ones left over from earlier runs */
  delivered: number;
  /** Findings not delivered in this run (kept for the next one unless given up) */
  failed: number;
  /** Findings still waiting for delivery after this run */
  undelivered: number;
}

export interface DetectScheduler {
  /** One run now, outside the timer (tests; an operator's "run now"). Queued behind a run already going. */
  runNow(): Promise<DetectCycle>;
  /** Stops the timer and waits for a run in progress to end. */
  stop(): Promise<void>;
}

export interface SchedulerDeps {
  log: (message: string) => void;
  /** The clock the look-back window is taken from (tests fix it on their fixtures' day). */
  now?: () => number;
}

/**
 * `serve`'s scheduled detection: every `everyMs`, every rule over [now - lookBack, now) on the
 * server's own store (a read connection of its DuckDB instance, as the query routes use), findings
 * recorded in the ledger `/api/findings` and `auditline detect` share, and each new one POSTed to
 * the webhook as JSON, one request per finding. A finding is delivered once the webhook answers 2xx:
 * a network error, a timeout, 408, 429 or 5xx is retried within the run (`WEBHOOK_ATTEMPTS`, with
 * backoff); whatever is still undelivered is kept in `UNDELIVERED_FILE` beside the ledger and tried
 * again, first, on the next run, for at most `WEBHOOK_MAX_RUNS` runs. Once a finding failed every try
 * of a run, the webhook is taken as down and the rest wait for the next run instead of each costing
 * its own tries. A failed run or delivery is logged and counted in `/metrics`; it never reaches the
 * server. The ledger records a finding before it is posted, so a finding is raised (new) once
 * whatever the webhook does, and delivered at most once per 2xx.
 */
export function startDetectScheduler(ctx: AppContext, opts: DetectScheduleOptions, deps: SchedulerDeps): DetectScheduler {
  const now = deps.now ?? Date.now;
  let current: Promise<unknown> = Promise.resolve();

  const cycle = async (): Promise<DetectCycle> => {
    const untilMs = now();
    const sinceMs = untilMs - opts.lookBackMs;
    let found: { findings: number; fresh: Finding[] };
    try {
      found = await serially(ctx.query, async () => {
        const store = await openSearchStore(await openReadConnection(ctx));
        let all: Finding[];
        try {
          all = await runDetection(store, { dir: ctx.query.searchesDir, sinceMs, untilMs });
        } finally {
          store.close();
        }
        const statuses = openLedger(ctx.query.findingsFile).record(all);
        return { findings: all.length, fresh: all.filter((_, i) => statuses[i] === 'new') };
      });
    } catch (e) {
      ctx.metrics.detectionCycle('failed', 0);
      throw e;
    }
    ctx.metrics.detectionCycle('ok', found.fresh.length);
    const delivery = opts.webhook
      ? await deliverAll(opts.webhook, join(dirname(ctx.query.findingsFile), UNDELIVERED_FILE), found.fresh, ctx, deps.log)
      : undefined;
    return {
      sinceMs,
      untilMs,
      findings: found.findings,
      newFindings: found.fresh,
      delivered: delivery?.delivered ?? 0,
      failed: delivery?.failed ?? 0,
      undelivered: delivery?.undelivered ?? 0,
    };
  };

  const runNow = (): Promise<DetectCycle> => {
    const next = current.then(cycle, cycle);
    current = next.catch(() => undefined);
    return next;
  };

  const timer = setInterval(() => {
    runNow().then(
      (c) => {
        if (c.newFindings.length > 0) deps.log(`detection: ${c.newFindings.length} new finding(s) of ${c.findings}`);
      },
      (e: unknown) => deps.log(`detection failed: ${e instanceof Error ? e.message : String(e)}`),
    );
  }, opts.everyMs);
  // Detection never holds the process open: shutdown is the server's to decide.
  timer.unref();

  return {
    runNow,
    async stop() {
      clearInterval(timer);
      await current;
    },
  };
}

/** Posts what earlier runs left undelivered, then the new findings; keeps what is still undelivered. */
async function deliverAll(
  url: URL,
  file: string,
  fresh: readonly Finding[],
  ctx: AppContext,
  log: (message: string) => void,
): Promise<{ delivered: number; failed: number; undelivered: number }> {
  const queue: Undelivered[] = [...readUndelivered(file, log), ...fresh.map((finding) => ({ finding, runs: 0 }))];
  const kept: Undelivered[] = [];
  let delivered = 0;
  let failed = 0;
  let down: string | undefined;
  for (const entry of queue) {
    const what = `finding ${entry.finding.name} (${entry.finding.location}, ${entry.finding.windowStart})`;
    if (down !== undefined) {
      // Not tried: the run does not count against the finding.
      failed++;
      kept.push(entry);
      continue;
    }
    const answer = await deliver(url, entry.finding);
    ctx.metrics.webhookDelivery(answer.ok ? 'delivered' : 'failed');
    if (answer.ok) {
      delivered++;
      continue;
    }
    failed++;
    const problem = answer.problem;
    // A refusal of this finding (a 4xx) says nothing of the next one; an unreachable or failing webhook does.
    if (answer.retriable) down = problem;
    const runs = entry.runs + 1;
    if (runs >= WEBHOOK_MAX_RUNS) log(`webhook: ${what} given up after ${runs} runs: ${problem}`);
    else {
      kept.push({ finding: entry.finding, runs });
      log(`webhook: ${what} not delivered: ${problem}; tried again on the next run`);
    }
  }
  if (down !== undefined && kept.length > 1) log(`webhook: down (${down}); ${kept.length} finding(s) kept for the next run`);
  writeUndelivered(file, kept);
  return { delivered, failed, undelivered: kept.length };
}

function readUndelivered(file: string, log: (message: string) => void): Undelivered[] {
  if (!existsSync(file)) return [];
  const out: Undelivered[] = [];
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (line.trim() === '') continue;
    try {
      out.push(JSON.parse(line) as Undelivered);
    } catch {
      log(`webhook: an unreadable line of ${file} skipped`);
    }
  }
  return out;
}

/** Replaced whole (written aside, then renamed), so a crash leaves the old list or the new one. */
function writeUndelivered(file: string, entries: readonly Undelivered[]): void {
  if (entries.length === 0) {
    rmSync(file, { force: true });
    return;
  }
  const tmp = `${file}.tmp`;
  writeFileSync(tmp, `${entries.map((e) => JSON.stringify(e)).join('\n')}\n`);
  renameSync(tmp, file);
}

/** Posts one finding, retrying what may pass on a second try; the last answer. */
async function deliver(url: URL, finding: Finding): Promise<Answer> {
  for (let attempt = 1; ; attempt++) {
    const answer = await post(url, finding);
    if (answer.ok || !answer.retriable || attempt === WEBHOOK_ATTEMPTS) return answer;
    const backoff = WEBHOOK_FIRST_BACKOFF_MS * 2 ** (attempt - 1);
    await sleep(backoff / 2 + Math.random() * (backoff / 2));
  }
}

type Answer = { ok: true } | { ok: false; problem: string; retriable: boolean };

/** POSTs one finding once. Network errors, timeouts, 408, 429 and 5xx may pass later; other answers will not. */
async function post(url: URL, finding: Finding): Promise<Answer> {
  try {
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(finding),
      signal: AbortSignal.timeout(WEBHOOK_TIMEOUT_MS),
    });
    // The body is read so the connection can be reused; its content does not matter.
    await res.arrayBuffer().catch(() => undefined);
    if (res.ok) return { ok: true };
    return { ok: false, problem: `HTTP ${res.status}`, retriable: res.status === 408 || res.status === 429 || res.status >= 500 };
  } catch (e) {
    const cause = e instanceof Error && e.cause instanceof Error ? `: ${e.cause.message}` : '';
    return { ok: false, problem: `${e instanceof Error ? e.message : String(e)}${cause}`, retriable: true };
  }
}
