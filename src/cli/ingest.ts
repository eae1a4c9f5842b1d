import type { CommandModule } from 'yargs';
import { AuditlineError } from '../errors.js';
import { runFollow } from '../run/follow.js';
import { runIngest, type IngestOptions } from '../run/ingest.js';
import { formatSummaryText } from '../run/summary.js';
import { DEFAULT_MAX_LINE_BYTES } from '../sources/lines.js';
import { createProgress } from './progress.js';

interface IngestArgs {
  paths: string[];
  pipeline?: string[];
  format?: string;
  store?: string;
  out?: string;
  es?: string;
  'es-config'?: string;
  setup: boolean;
  digests: boolean;
  dlq?: string;
  'data-dir': string;
  'key-file'?: string;
  'max-line-bytes': number;
  workers?: number;
  json: boolean;
  progress: boolean;
  follow: boolean;
  'poll-ms'?: number;
  state?: string;
}

export const ingestCommand: CommandModule<object, IngestArgs> = {
  command: 'ingest <paths..>',
  describe: 'Read raw service logs (files, folders, globs, .gz, - for stdin) into validated, redacted events per location',
  builder: (y) =>
    y
      .positional('paths', { type: 'string', array: true, demandOption: true, describe: 'files, folders, globs or - for stdin' })
      .option('pipeline', { type: 'string', array: true, describe: 'bundled pipeline name or YAML path (default: all bundled, chosen by host)' })
      .option('format', { type: 'string', describe: 'skip format detection (service-log, ...)' })
      .option('store', { type: 'string', describe: 'DuckDB file (default <data-dir>/auditline.duckdb)' })
      .option('out', { type: 'string', describe: 'write NDJSON to DIR/<location>/<date>.ndjson instead of the store' })
      .option('es', {
        type: 'string',
        describe: 'load into Elasticsearch at URL, one data stream per location (credentials: user:pass@ or AUDITLINE_ES_API_KEY)',
      })
      .option('es-config', { type: 'string', describe: 'load into Elasticsearch clusters per location, from this YAML file' })
      .option('setup', { type: 'boolean', default: false, describe: 'with --es/--es-config: run `es setup` first instead of refusing a cluster without it' })
      .option('dlq', { type: 'string', describe: 'dead-letter file (default <data-dir>/dead-letter.ndjson)' })
      .option('data-dir', { type: 'string', default: 'auditline-data', describe: 'folder of the store, dead-letter file and HMAC key' })
      .option('key-file', { type: 'string', describe: 'HMAC key file (else AUDITLINE_HMAC_KEY, else <data-dir>/hmac.key)' })
      .option('digests', {
        type: 'boolean',
        default: false,
        describe: 'seal the store: chain a digest of every write (auditline verify); a sealed store stays sealed',
      })
      .option('max-line-bytes', { type: 'number', default: DEFAULT_MAX_LINE_BYTES, describe: 'longer lines are dead-lettered as line_too_long' })
      .option('workers', { type: 'number', describe: 'transform worker threads (0: main thread; default: one per core for inputs over 32 MiB or stdin)' })
      .option('json', { type: 'boolean', default: false, describe: 'print the summary as one JSON object' })
      .option('progress', { type: 'boolean', default: true, describe: 'progress on stderr when it is a terminal (--no-progress)' })
      .option('follow', {
        type: 'boolean',
        default: false,
        describe: 'keep reading the files as they grow, rotate and appear, like tail -F, until SIGINT or SIGTERM',
      })
      .option('poll-ms', { type: 'number', describe: 'with --follow: how often files are looked at (default 1000)' })
      .option('state', { type: 'string', describe: 'with --follow: offsets file (default <data-dir>/follow-state.json)' }) as never,
  handler: async (args) => {
    if (args.follow) return follow(args);
    const progress = args.progress && !args.json ? createProgress() : undefined;
    const summary = await runIngest({
      ...ingestOptionsOf(args),
      onProgress: progress?.update,
    });
    progress?.done();
    process.stdout.write(args.json ? `${JSON.stringify(summary)}\n` : `${formatSummaryText(summary)}\n`);
  },
};

/** The options a batch run and a follower share, from the command line. */
function ingestOptionsOf(args: IngestArgs): IngestOptions {
  return {
    paths: args.paths,
    pipelines: args.pipeline,
    format: args.format,
    store: args.store,
    out: args.out,
    es: args.es,
    esConfig: args['es-config'],
    esSetup: args.setup,
    digests: args.digests,
    dlq: args.dlq,
    dataDir: args['data-dir'],
    keyFile: args['key-file'],
    maxLineBytes: args['max-line-bytes'],
    workers: args.workers,
  };
}

/** A first SIGINT or SIGTERM finishes the lines read and saves the offsets; a second one ends the process at once (Node's default). */
async function follow(args: IngestArgs): Promise<void> {
  if (args.paths.includes('-')) throw new AuditlineError('AL_CLI_USAGE', '--follow reads files, not stdin');
  const stop = new AbortController();
  const onSignal = () => stop.abort();
  process.once('SIGINT', onSignal).once('SIGTERM', onSignal);
  const summary = await runFollow(
    {
      ...ingestOptionsOf(args),
      statePath: args.state,
      pollMs: args['poll-ms'],
      onNotice: (message) => process.stderr.write(`auditline: ${message}\n`),
    },
    stop.signal,
  );
  process.stdout.write(args.json ? `${JSON.stringify(summary)}\n` : `${formatSummaryText(summary)}\n`);
}
