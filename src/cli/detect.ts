import type { CommandModule } from 'yargs';
import { defaultStorePath } from '../run/sink-choice.js';
import { runDetection, type DetectOptions } from '../searches/detect.js';
import { runEsDetection } from '../searches/es-run.js';
import type { Finding } from '../searches/findings.js';
import { BUNDLED_SEARCHES_DIR } from '../searches/load.js';
import { openLedger } from '../searches/ledger.js';
import { emptyNote, formatFindings } from '../searches/output.js';
import { openSearchStore } from '../searches/run.js';
import { esReadOptions, openEsRead, type EsReadArgs } from './es-read.js';
import { parseInstant } from './time-range.js';
import { queryString, serverOf, serverReadOptions, serverRequest, type ServerReadArgs } from './server-read.js';

interface DetectArgs extends EsReadArgs, ServerReadArgs {
  since: string;
  until?: string;
  rule?: string[];
  location?: string;
  format: 'table' | 'json';
  store?: string;
  'data-dir': string;
  findings?: string;
  record: boolean;
  dir: string;
}

export const detectCommand: CommandModule<object, DetectArgs> = {
  command: 'detect',
  describe: 'Run every detection rule (or those named) over the store and print findings, new or already known',
  builder: (y) =>
    serverReadOptions(esReadOptions(y))
      .option('since', { type: 'string', default: '24h', describe: 'from this time: 24h, 7d or ISO 8601' })
      .option('until', { type: 'string', describe: 'before this time (default: now)' })
      .option('rule', { type: 'string', array: true, describe: 'only these rules (name or id; repeatable)' })
      .option('location', { type: 'string', describe: 'only this location (default: every location)' })
      .option('format', { choices: ['table', 'json'] as const, default: 'table' as const })
      .option('store', { type: 'string', describe: 'DuckDB file (default <data-dir>/auditline.duckdb)' })
      .option('data-dir', { type: 'string', default: 'auditline-data' })
      .option('findings', {
        type: 'string',
        describe: 'file of findings already reported (default <data-dir>/findings.ndjson; with --server, the server keeps its own)',
      })
      .option('record', { type: 'boolean', default: true, describe: 'record new findings so later runs show them as known (--no-record)' })
      .option('dir', { type: 'string', default: BUNDLED_SEARCHES_DIR, describe: 'folder of rules (default: the bundled ones)' }) as never,
  handler: async (args) => {
    const server = serverOf(args);
    if (server) {
      // Detection runs in the server, against its own findings ledger (--findings names a local file).
      const query = queryString({ since: args.since, until: args.until, rule: args.rule, location: args.location, record: args.record, format: args.format });
      process.stdout.write(await (await serverRequest(server, `/api/findings${query}`)).text());
      return;
    }
    const now = Date.now();
    const sinceMs = parseInstant(args.since, '--since', now);
    const untilMs = args.until === undefined ? now : parseInstant(args.until, '--until', now);
    const findings = await detectOn(args, { dir: args.dir, rules: args.rule, location: args.location, sinceMs, untilMs });
    const ledger = args.record ? openLedger(args.findings ?? `${args['data-dir']}/findings.ndjson`) : undefined;
    const statuses = ledger ? ledger.record(findings) : findings.map(() => 'new' as const);
    const shown = findings.map((f, i) => ({ ...f, status: statuses[i]! }));
    const meta = { since: new Date(sinceMs).toISOString(), until: new Date(untilMs).toISOString(), new: statuses.filter((s) => s === 'new').length };
    process.stdout.write(shown.length === 0 && args.format === 'table' ? emptyNote('findings') : formatFindings(shown, args.format, meta));
  },
};

/** Detection on Elasticsearch when the flags name clusters, else on the store. */
async function detectOn(args: DetectArgs, opts: DetectOptions): Promise<Finding[]> {
  const es = await openEsRead(args);
  if (es) {
    try {
      return await runEsDetection(es, opts);
    } finally {
      await es.close();
    }
  }
  const store = await openSearchStore(args.store ?? defaultStorePath(args['data-dir']));
  try {
    return await runDetection(store, opts);
  } finally {
    store.close();
  }
}
