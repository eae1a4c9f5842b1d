import type { CommandModule } from 'yargs';
import { openClusters } from '../sinks/elasticsearch/clusters.js';
import { resolveElasticsearchConfig, setupCluster, type SetupChange } from '../sinks/elasticsearch/index.js';

interface EsSetupArgs {
  es?: string;
  'es-config'?: string;
  location?: string[];
  json: boolean;
}

/** `es setup`: the ILM policy, templates and data streams on every configured cluster; idempotent. */
const setupCommand: CommandModule<object, EsSetupArgs> = {
  command: 'setup',
  describe: 'Install the ILM policy, component and index templates, and the data streams of known locations; a second run changes nothing',
  builder: (y) =>
    y
      .option('es', { type: 'string', describe: 'Elasticsearch URL holding every location (credentials: user:pass@ in the URL or AUDITLINE_ES_API_KEY)' })
      .option('es-config', { type: 'string', describe: 'YAML file mapping locations to clusters (URL, auth, CA, ILM, bulk settings)' })
      .option('location', { type: 'string', array: true, describe: "also create this location's data stream (others are created by their first event)" })
      .option('json', { type: 'boolean', default: false, describe: 'print the changes as one JSON array' }) as never,
  handler: async (args) => {
    const config = resolveElasticsearchConfig({ url: args.es, file: args['es-config'] });
    const clusters = openClusters(config);
    const changes: SetupChange[] = [];
    try {
      for (const cluster of clusters.all) changes.push(...(await setupCluster(cluster, config.ilm, args.location ?? [])));
    } finally {
      await clusters.close();
    }
    process.stdout.write(args.json ? `${JSON.stringify(changes)}\n` : `${formatChanges(changes)}\n`);
  },
};

export function formatChanges(changes: readonly SetupChange[]): string {
  const rows = changes.map((c) => `${c.status.padEnd(10)} ${c.kind.padEnd(19)} ${c.name}  (cluster ${c.cluster})`);
  const count = (s: SetupChange['status']) => changes.filter((c) => c.status === s).length;
  return [...rows, `${count('created')} created, ${count('updated')} updated, ${count('unchanged')} unchanged`].join('\n');
}

export const esCommand: CommandModule = {
  command: 'es <command>',
  describe: 'Elasticsearch: set a cluster up for auditline',
  builder: (y) => y.command(setupCommand as never).demandCommand(1, 'name an es command'),
  handler: () => undefined,
};
