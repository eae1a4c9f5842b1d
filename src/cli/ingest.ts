import type { CommandModule } from 'yargs';
import { runIngest } from '../run/ingest.js';
import { formatSummaryText } from '../run/summary.js';
import { DEFAULT_MAX_LINE_BYTES } from '../sources/lines.js';
import { createProgress } from './progress.js';

interface IngestArgs {
  paths: string[];
  pipeline?: string[];
  format?: string;
  store?: string;
  out?: string;
  dlq?: string;
  'data-dir': string;
  'key-file'?: string;
  'max-line-bytes': number;
  workers?: number;
  json: boolean;
  progress: boolean;
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
      .option('dlq', { type: 'string', describe: 'dead-letter file (default <data-dir>/dead-letter.ndjson)' })
      .option('data-dir', { type: 'string', default: 'auditline-data', describe: 'folder of the store, dead-letter file and HMAC key' })
      .option('key-file', { type: 'string', describe: 'HMAC key file (else AUDITLINE_HMAC_KEY, else <data-dir>/hmac.key)' })
      .option('max-line-bytes', { type: 'number', default: DEFAULT_MAX_LINE_BYTES, describe: 'longer lines are dead-lettered as line_too_long' })
      .option('workers', { type: 'number', describe: 'transform worker threads (0: main thread; default: one per core for inputs over 32 MiB or stdin)' })
      .option('json', { type: 'boolean', default: false, describe: 'print the summary as one JSON object' })
      .option('progress', { type: 'boolean', default: true, describe: 'progress on stderr when it is a terminal (--no-progress)' }) as never,
  handler: async (args) => {
    const progress = args.progress && !args.json ? createProgress() : undefined;
    const summary = await runIngest({
      paths: args.paths,
      pipelines: args.pipeline,
      format: args.format,
      store: args.store,
      out: args.out,
      dlq: args.dlq,
      dataDir: args['data-dir'],
      keyFile: args['key-file'],
      maxLineBytes: args['max-line-bytes'],
      workers: args.workers,
      onProgress: progress?.update,
    });
    progress?.done();
    process.stdout.write(args.json ? `${JSON.stringify(summary)}\n` : `${formatSummaryText(summary)}\n`);
  },
};
