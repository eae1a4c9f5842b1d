import { AuditlineError } from '../errors.js';
import type { Finding } from './findings.js';
import { planOf } from './lint.js';
import { loadSearchFolder } from './load.js';
import type { Plan } from './plan.js';
import { runPlan, type RunRange, type RunResult, type SearchStore } from './run.js';

export interface DetectOptions {
  dir: string;
  /** Only these rules (name or id); default every rule of the folder */
  rules?: readonly string[];
  location?: string;
  sinceMs: number;
  untilMs: number;
}

const SEVERITY_ORDER = ['critical', 'high', 'medium', 'low', 'informational'];

/** Runs one plan over a time range on some backend (DuckDB, Elasticsearch). */
export type PlanRunner = (plan: Plan, range: RunRange) => Promise<RunResult>;

/** Every detection rule of a folder over one time range on the embedded store. */
export function runDetection(store: SearchStore, opts: DetectOptions): Promise<Finding[]> {
  return detectWith((plan, range) => runPlan(store, plan, range), opts);
}

/** Every detection rule of a folder over one time range, on any backend; findings most severe first, then by time. */
export async function detectWith(run: PlanRunner, opts: DetectOptions): Promise<Finding[]> {
  const rules = loadSearchFolder(opts.dir).filter((s) => s.definition?.type === 'rule' || s.issues.length > 0);
  const wanted = opts.rules ? rules.filter((r) => opts.rules!.includes(r.name) || opts.rules!.includes(r.definition?.id ?? '')) : rules;
  for (const name of opts.rules ?? []) {
    if (!wanted.some((r) => r.name === name || r.definition?.id === name))
      throw new AuditlineError('AL_SEARCH_NOT_FOUND', `no detection rule named "${name}" in ${opts.dir}`);
  }
  // Every rule is checked before any runs: a broken file stops detection instead of silently missing.
  const plans = wanted.map((r) => planOf(r, {}));
  const findings: Finding[] = [];
  for (const plan of plans) {
    const result = await run(plan, { location: opts.location, sinceMs: opts.sinceMs, untilMs: opts.untilMs });
    if (result.kind === 'findings') findings.push(...result.findings);
  }
  return findings.sort(
    (a, b) =>
      SEVERITY_ORDER.indexOf(a.severity) - SEVERITY_ORDER.indexOf(b.severity) ||
      (a.firstSeen < b.firstSeen ? -1 : a.firstSeen > b.firstSeen ? 1 : 0) ||
      (a.name < b.name ? -1 : 1),
  );
}
