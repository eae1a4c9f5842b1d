import type { CommandModule } from 'yargs';
import type { ActivityTrackerEvent } from '../model/event.js';
import { toCadf } from '../profiles/cadf.js';
import { defaultStorePath } from '../run/sink-choice.js';
import { openStoreReader } from '../sinks/duckdb/read.js';
import { esReadOptions, openEsRead, type EsReadArgs } from './es-read.js';
import { parseInstant } from './time-range.js';
import { pipeToStdout, queryString, serverOf, serverReadOptions, serverRequest, type ServerReadArgs } from './server-read.js';

interface ExportArgs extends EsReadArgs, ServerReadArgs {
  profile: 'activity-tracker' | 'cadf';
  store?: string;
  'data-dir': string;
  location?: string;
  since?: string;
  until?: string;
}

/** What an export reads: the DuckDB store or Elasticsearch, with the same filters and the same order. */
interface EventReader {
  events(filter: { location?: string; sinceMs?: number; untilMs?: number }): AsyncGenerator<string[]>;
  close(): void | Promise<void>;
}

async function openReader(args: ExportArgs): Promise<EventReader> {
  return (await openEsRead(args)) ?? openStoreReader(args.store ?? defaultStorePath(args['data-dir']));
}

export const exportCommand: CommandModule<object, ExportArgs> = {
  command: 'export',
  describe: 'Write stored events as NDJSON to stdout, ordered by time, filtered by location and time',
  builder: (y) =>
    serverReadOptions(esReadOptions(y))
      .option('store', { type: 'string', describe: 'DuckDB file (default <data-dir>/auditline.duckdb)' })
      .option('data-dir', { type: 'string', default: 'auditline-data' })
      .option('location', { type: 'string', describe: 'only this location (e.g. us-south)' })
      .option('since', { type: 'string', describe: 'from this time: 24h, 7d or ISO 8601' })
      .option('until', { type: 'string', describe: 'before this time: 1h or ISO 8601' })
      // The strict DSP0262 view (src/profiles/cadf.ts)
      .option('profile', {
        choices: ['activity-tracker', 'cadf'] as const,
        default: 'activity-tracker' as const,
        describe: 'activity-tracker: events as stored; cadf: strict DMTF CADF events that pycadf validates',
      }) as never,
  handler: async (args) => {
    const server = serverOf(args);
    if (server) {
      // The server applies the same filters and profile; relative times are resolved by it, as here.
      const query = queryString({ location: args.location, since: args.since, until: args.until, profile: args.profile });
      return pipeToStdout(await serverRequest(server, `/api/events${query}`));
    }
    const reader = await openReader(args);
    try {
      const filter = {
        location: args.location,
        sinceMs: args.since === undefined ? undefined : parseInstant(args.since, '--since'),
        untilMs: args.until === undefined ? undefined : parseInstant(args.until, '--until'),
      };
      const encode = args.profile === 'cadf' ? (row: string) => JSON.stringify(toCadf(JSON.parse(row) as ActivityTrackerEvent)) : (row: string) => row;
      for await (const rows of reader.events(filter)) {
        if (!process.stdout.write(`${rows.map(encode).join('\n')}\n`)) await new Promise<void>((r) => process.stdout.once('drain', () => r()));
      }
    } finally {
      await reader.close();
    }
  },
};
