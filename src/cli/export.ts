import type { CommandModule } from 'yargs';
import { defaultStorePath } from '../run/ingest.js';
import { openStoreReader } from '../sinks/duckdb/read.js';
import { parseInstant } from './time-range.js';

interface ExportArgs {
  store?: string;
  'data-dir': string;
  location?: string;
  since?: string;
  until?: string;
}

export const exportCommand: CommandModule<object, ExportArgs> = {
  command: 'export',
  describe: 'Write stored events as NDJSON to stdout, ordered by time, filtered by location and time',
  builder: (y) =>
    y
      .option('store', { type: 'string', describe: 'DuckDB file (default <data-dir>/auditline.duckdb)' })
      .option('data-dir', { type: 'string', default: 'auditline-data' })
      .option('location', { type: 'string', describe: 'only this location (e.g. us-south)' })
      .option('since', { type: 'string', describe: 'from this time: 24h, 7d or ISO 8601' })
      .option('until', { type: 'string', describe: 'before this time: 1h or ISO 8601' }) as never,
  handler: async (args) => {
    const reader = await openStoreReader(args.store ?? defaultStorePath(args['data-dir']));
    try {
      const filter = {
        location: args.location,
        sinceMs: args.since === undefined ? undefined : parseInstant(args.since, '--since'),
        untilMs: args.until === undefined ? undefined : parseInstant(args.until, '--until'),
      };
      for await (const rows of reader.events(filter)) {
        if (!process.stdout.write(`${rows.join('\n')}\n`)) await new Promise<void>((r) => process.stdout.once('drain', () => r()));
      }
    } finally {
      reader.close();
    }
  },
};
