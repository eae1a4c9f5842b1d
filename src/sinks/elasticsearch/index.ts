import { AuditlineError } from '../../errors.js';
import { configForUrl, loadElasticsearchConfig, type ElasticsearchConfig } from './config.js';

export { configForUrl, loadElasticsearchConfig, parseElasticsearchConfig, type ElasticsearchConfig } from './config.js';
export { openElasticsearchSink, type ElasticsearchSink, type ElasticsearchSinkOptions, type ElasticsearchSinkStats } from './sink.js';
export { setupCluster, type SetupChange } from './setup.js';
export { streamName } from './templates.js';

/** The configuration `--es URL` or `--es-config FILE` names (one of them, not both). */
export function resolveElasticsearchConfig(opts: { url?: string; file?: string; env?: NodeJS.ProcessEnv }): ElasticsearchConfig {
  if (opts.url && opts.file) throw new AuditlineError('AL_CLI_USAGE', 'give --es URL or --es-config FILE, not both: the file names every cluster');
  if (opts.file) return loadElasticsearchConfig(opts.file, opts.env);
  if (opts.url) return configForUrl(opts.url, opts.env);
  throw new AuditlineError('AL_CLI_USAGE', 'name a cluster with --es URL or --es-config FILE');
}
