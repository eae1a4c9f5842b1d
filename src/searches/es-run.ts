import { AuditlineError } from '../errors.js';
import type { EventSearch } from '../sinks/elasticsearch/search.js';
import { compileDsl } from './compile-dsl.js';
import type { DetectOptions } from './detect.js';
import { resultOfAnswers } from './es-results.js';
import type { Finding } from './findings.js';
import { planOf } from './lint.js';
import { loadSearchFolder } from './load.js';
import type { Plan } from './plan.js';
import type { RunRange, RunResult } from './run.js';

/**
 * Searches and detection on Elasticsearch: the plan's DSL through the loader's search entry point
 * (each location on its own cluster), the answers read into the results the DuckDB backend gives.
 */

export async function runPlanOnEs(search: EventSearch, plan: Plan, range: RunRange): Promise<RunResult> {
  const { body } = compileDsl(plan, { location: range.location, sinceMs: range.sinceMs, untilMs: range.untilMs, limit: range.limit });
  const answers = await search.search({ location: range.location, body });
  return resultOfAnswers(plan, answers, { sinceMs: range.sinceMs, limit: range.limit });
}

const SEVERITY_ORDER = ['critical', 'high', 'medium', 'low', 'informational'];

/** Every detection rule of a folder over one time range on Elasticsearch, in the order `runDetection` gives. */
export async function runEsDetection(search: EventSearch, opts: DetectOptions): Promise<Finding[]> {
  const rules = loadSearchFolder(opts.dir).filter((s) => s.definition?.type === 'rule' || s.issues.length > 0);
  const wanted = opts.rules ? rules.filter((r) => opts.rules!.includes(r.name) || opts.rules!.includes(r.definition?.id ?? '')) : rules;
  for (const name of opts.rules ?? []) {
    if (!wanted.some((r) => r.name === name || r.definition?.id === name)) throw new AuditlineError('AL_SEARCH_NOT_FOUND', `no detection rule named "${name}" in ${opts.dir}`);
  }
  // Every rule is checked before any runs, as on DuckDB.
  const plans = wanted.map((r) => planOf(r, {}));
  const findings: Finding[] = [];
  for (const plan of plans) {
    const result = await runPlanOnEs(search, plan, { location: opts.location, sinceMs: opts.sinceMs, untilMs: opts.untilMs });
    if (result.kind === 'findings') findings.push(...result.findings);
  }
  return findings.sort((a, b) => SEVERITY_ORDER.indexOf(a.severity) - SEVERITY_ORDER.indexOf(b.severity) || (a.firstSeen < b.firstSeen ? -1 : a.firstSeen > b.firstSeen ? 1 : 0) || (a.name < b.name ? -1 : 1));
}
