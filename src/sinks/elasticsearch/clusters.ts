import { readFileSync } from 'node:fs';
import { Client } from '@elastic/elasticsearch';
import PQueue from 'p-queue';
import { AuditlineError } from '../../errors.js';
import { ANY_LOCATION, type ClusterConfig, type ElasticsearchConfig } from './config.js';

/** The package exports this type only from its CommonJS typings. */
type ClientOptions = ConstructorParameters<typeof Client>[0];

/**
 * Data residency: which cluster holds a location. A location listed by a cluster goes there and
 * nowhere else; `*` takes the locations no cluster lists; a location neither covers has no cluster
 * (its events are dead-lettered, never sent to another location's cluster).
 */
export function clusterFor<C extends Pick<ClusterConfig, 'locations'>>(clusters: readonly C[], location: string): C | undefined {
  return clusters.find((c) => c.locations !== ANY_LOCATION && c.locations.includes(location)) ?? clusters.find((c) => c.locations === ANY_LOCATION);
}

/** One cluster, ready to use: its client and the bound on its bulk requests in flight. */
export interface Cluster {
  readonly config: ClusterConfig;
  readonly name: string;
  readonly locations: ClusterConfig['locations'];
  readonly client: Client;
  /** Every bulk request and search of a write goes through this queue (`bulk.concurrency` at a time). */
  readonly queue: PQueue;
}

export interface Clusters {
  readonly all: readonly Cluster[];
  of(location: string): Cluster | undefined;
  close(): Promise<void>;
}

/**
 * The client never retries by itself (`maxRetries: 0`): the engine's retry policy resends only the
 * events that were not acknowledged, and a client retrying behind it would resend whole requests.
 * Request bodies are gzipped (`compression`): event JSON compresses ~8-10 times.
 */
export function clientOptions(cluster: ClusterConfig, requestTimeoutMs: number): ClientOptions {
  const auth =
    cluster.auth === undefined
      ? undefined
      : 'apiKey' in cluster.auth
        ? { apiKey: cluster.auth.apiKey.reveal() }
        : { username: cluster.auth.username, password: cluster.auth.password.reveal() };
  let ca: Buffer | undefined;
  if (cluster.caFile) {
    try {
      ca = readFileSync(cluster.caFile);
    } catch (cause) {
      throw new AuditlineError(
        'AL_CONFIG_NOT_FOUND',
        `cluster "${cluster.name}": cannot read caFile: ${(cause as Error).message}`,
        { file: cluster.caFile },
        { cause },
      );
    }
  }
  return {
    node: cluster.url,
    ...(auth ? { auth } : {}),
    ...(ca ? { tls: { ca } } : {}),
    maxRetries: 0,
    compression: true,
    requestTimeout: requestTimeoutMs,
    name: `auditline-${cluster.name}`,
  };
}

export function openClusters(config: ElasticsearchConfig): Clusters {
  const all: Cluster[] = config.clusters.map((c) => ({
    config: c,
    name: c.name,
    locations: c.locations,
    client: new Client(clientOptions(c, config.bulk.requestTimeoutMs)),
    queue: new PQueue({ concurrency: config.bulk.concurrency }),
  }));
  const byLocation = new Map<string, Cluster | undefined>();
  return {
    all,
    of(location) {
      if (!byLocation.has(location)) byLocation.set(location, clusterFor(all, location));
      return byLocation.get(location);
    },
    async close() {
      await Promise.all(all.map((c) => c.client.close()));
    },
  };
}
