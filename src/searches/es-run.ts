import type { EventSearch } from '../sinks/elasticsearch/search.js';
import { compileDsl } from './compile-dsl.js';
import { detectWith, type DetectOptions } from './detect.js';
import { resultOfAnswers } from './es-results.js';
import type { Finding } from './findings.js';
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

/** Every detection rule of a folder over one time range on Elasticsearch, in the order `runDetection` gives. */
export function runEsDetection(search: EventSearch, opts: DetectOptions): Promise<Finding[]> {
  return detectWith((plan, range) => runPlanOnEs(search, plan, range), opts);
}
