import type { Argv } from 'yargs';
import type { EventSearch } from '../sinks/elasticsearch/search.js';

/** The flags that make `export`, `search run` and `detect` read from Elasticsearch instead of the store. */
export interface EsReadArgs {
  es?: string;
  'es-config'?: string;
}

export function esReadOptions<T>(y: Argv<T>): Argv<T & EsReadArgs> {
  return y.option('es', { type: 'string', describe: 'read from this Elasticsearch cluster (every location) instead of the store' }).option('es-config', {
    type: 'string',
    describe: 'read from the clusters of this Elasticsearch configuration file (each location on its own) instead of the store',
  });
}

/** The clusters the flags name, or undefined when they name none (read the store). */
export async function openEsRead(args: EsReadArgs): Promise<EventSearch | undefined> {
  if (args.es === undefined && args['es-config'] === undefined) return undefined;
  // Loaded only when asked for, as for ingest: the client and its HTTP stack are heavy.
  const [{ resolveElasticsearchConfig }, { openEventSearch }] = await Promise.all([
    import('../sinks/elasticsearch/index.js'),
    import('../sinks/elasticsearch/search.js'),
  ]);
  return openEventSearch(resolveElasticsearchConfig({ url: args.es, file: args['es-config'] }));
}
