import { existsSync } from 'node:fs';
import type { Argv, CommandModule } from 'yargs';
import { AuditlineError } from '../errors.js';
import { defaultStorePath } from '../run/sink-choice.js';
import { exportSearch, EXPORT_TARGETS, type ExportTarget } from '../searches/export.js';
import { findSearch, formatIssue, lintFolder, planOf } from '../searches/lint.js';
import { BUNDLED_SEARCHES_DIR, loadSearchFolder } from '../searches/load.js';
import { emptyNote, formatEvents, formatFindings, table, type OutputFormat } from '../searches/output.js';
import { parseParamArgs, resolveParams } from '../searches/params.js';
import { runPlanOnEs } from '../searches/es-run.js';
import type { Plan } from '../searches/plan.js';
import { openSearchStore, runPlan, type RunRange, type RunResult } from '../searches/run.js';
import { esReadOptions, openEsRead, type EsReadArgs } from './es-read.js';
import { parseInstant } from './time-range.js';
import { serverOf, serverReadOptions, serverRequest, type ServerReadArgs } from './server-read.js';

interface SearchArgs extends EsReadArgs, ServerReadArgs {
  action: 'list' | 'lint' | 'run' | 'export';
  name?: string;
  param: string[];
  since?: string;
  until?: string;
  location?: string;
  limit: number;
  format: OutputFormat;
  to?: ExportTarget;
  store?: string;
  'data-dir': string;
  dir: string;
}

/** Most events a search prints unless told otherwise: enough for an investigation, bounded for a terminal. */
const DEFAULT_LIMIT = 10_000;

export const searchCommand: CommandModule<object, SearchArgs> = {
  command: 'search <action> [name]',
  describe: 'Saved searches and detection rules: list, lint, run <name>, export <name> --to kibana|esql|sql|dsl',
  builder: (y: Argv) =>
    serverReadOptions(esReadOptions(y))
      .positional('action', { choices: ['list', 'lint', 'run', 'export'] as const, demandOption: true })
      .positional('name', { type: 'string', describe: 'search name (file slug or id) or a path to a YAML file' })
      .option('param', { type: 'string', array: true, default: [], describe: 'parameter as name=value (repeatable)' })
      .option('since', { type: 'string', describe: 'from this time: 24h, 7d or ISO 8601 (default: all time for searches, 24h for rules)' })
      .option('until', { type: 'string', describe: 'before this time: 1h or ISO 8601 (default: now)' })
      .option('location', { type: 'string', describe: 'only this location (default: every location)' })
      .option('limit', { type: 'number', default: DEFAULT_LIMIT, describe: 'most events a search returns' })
      .option('format', { choices: ['table', 'json', 'csv', 'ndjson'] as const, default: 'table' as const })
      .option('to', { choices: EXPORT_TARGETS, describe: 'export: kibana (saved-objects NDJSON), esql, sql or dsl' })
      .option('store', { type: 'string', describe: 'DuckDB file (default <data-dir>/auditline.duckdb)' })
      .option('data-dir', { type: 'string', default: 'auditline-data' })
      .option('dir', { type: 'string', default: BUNDLED_SEARCHES_DIR, describe: 'folder of searches (default: the bundled ones)' }) as never,
  handler: async (args) => {
    switch (args.action) {
      case 'list':
        return list(args.dir);
      case 'lint':
        return lint(args.name ?? args.dir);
      case 'run':
        return run(args);
      case 'export':
        return exportOne(args);
    }
  },
};

function list(dir: string): void {
  const rows = loadSearchFolder(dir).map((s) => {
    const d = s.definition;
    const params = Object.keys(d?.parameters ?? {}).join(',');
    return [s.name, d?.type ?? '(invalid)', d?.severity ?? '', params, d?.title ?? s.issues[0]?.message ?? ''];
  });
  process.stdout.write(table(['name', 'type', 'severity', 'parameters', 'title'], rows));
}

function lint(dir: string): void {
  const issues = lintFolder(dir);
  for (const i of issues) process.stderr.write(`${formatIssue(i)}\n`);
  if (issues.length > 0) {
    const first = issues[0]!;
    throw new AuditlineError('AL_SEARCH_INVALID', `${issues.length} problem${issues.length === 1 ? '' : 's'} in ${dir}`, {
      file: first.file,
      line: first.line,
    });
  }
  process.stdout.write(`${dir}: no problems\n`);
}

function needName(args: SearchArgs): string {
  if (!args.name) throw new AuditlineError('AL_CLI_USAGE', `search ${args.action} needs the name of a search`);
  return args.name;
}

async function run(args: SearchArgs): Promise<void> {
  const server = serverOf(args);
  if (server) {
    // The server's searches folder and store; it formats with the same code, so the output is the same.
    const body = { params: parseParamArgs(args.param), since: args.since, until: args.until, location: args.location, limit: args.limit, format: args.format };
    const res = await serverRequest(server, `/api/searches/${encodeURIComponent(needName(args))}/run`, { method: 'POST', body });
    process.stdout.write(await res.text());
    return;
  }
  const search = findSearch(needName(args), args.dir);
  const def = planOf(search, undefined).definition;
  const plan = planOf(search, resolveParams(search.name, def, parseParamArgs(args.param)));
  const now = Date.now();
  const rule = def.type === 'rule';
  const sinceMs = args.since !== undefined ? parseInstant(args.since, '--since', now) : rule ? parseInstant('24h', '--since', now) : undefined;
  const untilMs = args.until !== undefined ? parseInstant(args.until, '--until', now) : rule ? now : undefined;
  const result = await runOn(args, plan, { location: args.location, sinceMs, untilMs, limit: rule ? undefined : args.limit });
  if (result.kind === 'events') {
    const empty = result.events.length === 0 && args.format === 'table';
    process.stdout.write(empty ? emptyNote('events') : formatEvents(result.events, def, args.format));
  } else {
    const empty = result.findings.length === 0 && args.format === 'table';
    process.stdout.write(empty ? emptyNote('findings') : formatFindings(result.findings, args.format, { rule: def.id }));
  }
}

/** A plan run on Elasticsearch when the flags name clusters, else on the store. */
async function runOn(args: SearchArgs, plan: Plan, range: RunRange): Promise<RunResult> {
  const es = await openEsRead(args);
  if (es) {
    try {
      return await runPlanOnEs(es, plan, range);
    } finally {
      await es.close();
    }
  }
  const store = await openSearchStore(args.store ?? defaultStorePath(args['data-dir']));
  try {
    return await runPlan(store, plan, range);
  } finally {
    store.close();
  }
}

async function exportOne(args: SearchArgs): Promise<void> {
  if (!args.to) throw new AuditlineError('AL_CLI_USAGE', `search export needs --to ${EXPORT_TARGETS.join('|')}`);
  const search = findSearch(needName(args), args.dir);
  const def = planOf(search, undefined).definition;
  const plan = planOf(search, resolveParams(search.name, def, parseParamArgs(args.param), { partial: true }));
  const now = Date.now();
  const range = {
    location: args.location,
    sinceMs: args.since === undefined ? undefined : parseInstant(args.since, '--since', now),
    untilMs: args.until === undefined ? undefined : parseInstant(args.until, '--until', now),
    locations: args.to === 'sql' && args.location === undefined ? await storeLocations(args) : undefined,
  };
  process.stdout.write(exportSearch(plan, args.to, range));
}

/** The locations of the store, for SQL over all of them; none when there is no store. */
async function storeLocations(args: SearchArgs): Promise<string[]> {
  const path = args.store ?? defaultStorePath(args['data-dir']);
  if (!existsSync(path)) return [];
  const store = await openSearchStore(path);
  try {
    return await store.locations();
  } finally {
    store.close();
  }
}
