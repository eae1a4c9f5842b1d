import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { CommandModule } from 'yargs';
import { defaultStorePath } from '../run/sink-choice.js';
import { PAGE_DIR } from '../server/page.js';
import { startReadOnlyServer } from '../server/read-only.js';
import { stopOnSignals } from '../server/shutdown.js';

interface UiArgs {
  store?: string;
  'data-dir': string;
  port: number;
  host: string;
  searches?: string;
}

/** Beside serve's 9200, so both can run on one machine (on different stores). */
const DEFAULT_UI_PORT = 9280;

const log = (m: string) => process.stderr.write(`auditline ui: ${m}\n`);

export const uiCommand: CommandModule<object, UiArgs> = {
  command: 'ui',
  describe: "Open the analysts' page on a store no server holds: read-only, on loopback, with a new token each start",
  builder: (y) =>
    y
      .option('store', { type: 'string', describe: 'DuckDB file (default <data-dir>/auditline.duckdb)' })
      .option('data-dir', { type: 'string', default: 'auditline-data', describe: 'folder of the store and the findings ledger' })
      .option('port', { type: 'number', default: DEFAULT_UI_PORT, describe: 'port to listen on (0 picks one)' })
      .option('host', { type: 'string', default: '127.0.0.1', describe: 'address to listen on' })
      .option('searches', { type: 'string', describe: 'folder of saved searches and rules (default: the bundled ones)' }) as never,
  handler: async (args) => {
    const store = args.store ?? defaultStorePath(args['data-dir']);
    const server = await startReadOnlyServer({ store, host: args.host, port: args.port, searchesDir: args.searches, dataDir: args['data-dir'] });
    stopOnSignals(() => server.close(), log);
    log(`reading ${store} (read-only)`);
    if (!existsSync(join(PAGE_DIR, 'index.html'))) log(`the page is not built (${PAGE_DIR} is missing: npm run build); the query routes answer meanwhile`);
    // The one line on stdout: the address to open, with the token in the fragment (never sent to the server).
    process.stdout.write(`${server.pageUrl}\n`);
  },
};
