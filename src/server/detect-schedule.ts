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

export interface DetectCycle {
  sinceMs: number;
  untilMs: number;
  /** Every finding of the run, new or known */
  findings: number;
  /** Raised for the first time (recorded in the ledger, posted to the webhook) */
  newFindings: Finding[];
  delivered: number;
  failed: number;
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
 * the webhook as JSON, one request per finding. A failed run or delivery is logged and counted in
 * `/metrics`; it never reaches the server. A finding is recorded before it is posted, so one whose
 * delivery failed is not posted again (it stays listed by `/api/findings`).
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
    let delivered = 0;
    let failed = 0;
    if (opts.webhook) {
      for (const finding of found.fresh) {
        const problem = await post(opts.webhook, finding);
        ctx.metrics.webhookDelivery(problem === undefined ? 'delivered' : 'failed');
        if (problem === undefined) delivered++;
        else {
          failed++;
          deps.log(`webhook: finding ${finding.name} (${finding.location}, ${finding.windowStart}) not delivered: ${problem}`);
        }
      }
    }
    return { sinceMs, untilMs, findings: found.findings, newFindings: found.fresh, delivered, failed };
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

/** POSTs one finding; the problem as text, or undefined when the webhook answered 2xx. */
async function post(url: URL, finding: Finding): Promise<string | undefined> {
  try {
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(finding),
      signal: AbortSignal.timeout(WEBHOOK_TIMEOUT_MS),
    });
    // The body is read so the connection can be reused; its content does not matter.
    await res.arrayBuffer().catch(() => undefined);
    return res.ok ? undefined : `HTTP ${res.status}`;
  } catch (e) {
    const cause = e instanceof Error && e.cause instanceof Error ? `: ${e.cause.message}` : '';
    return `${e instanceof Error ? e.message : String(e)}${cause}`;
  }
}
