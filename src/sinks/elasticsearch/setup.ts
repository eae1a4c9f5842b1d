import { errors } from '@elastic/elasticsearch';
import { AuditlineError } from '../../errors.js';
import type { Cluster } from './clusters.js';
import { ANY_LOCATION, type IlmOptions } from './config.js';
import { fingerprintOf, ILM_POLICY, INDEX_TEMPLATE, indexTemplateBody, resourceBodies, streamName } from './templates.js';

/**
 * `es setup`: puts the ILM policy, the component templates and the index template, then creates
 * the data streams of the locations it knows. Each resource is compared by the digest in its
 * `_meta` (Elasticsearch normalises what it stores, so the bodies themselves cannot be compared),
 * and only what is missing or different is put: a second run changes nothing.
 */

export type ResourceKind = 'ilm_policy' | 'component_template' | 'index_template' | 'data_stream';
export type SetupStatus = 'created' | 'updated' | 'unchanged';

export interface SetupChange {
  cluster: string;
  kind: ResourceKind;
  name: string;
  status: SetupStatus;
}

/** What a resource's `_meta.fingerprint` is on the cluster: undefined when it does not exist. */
type Installed = { fingerprint: string | undefined } | undefined;

function statusOf(installed: Installed, wanted: string): SetupStatus {
  if (!installed) return 'created';
  return installed.fingerprint === wanted ? 'unchanged' : 'updated';
}

function isNotFound(e: unknown): boolean {
  return e instanceof errors.ResponseError && e.statusCode === 404;
}

/** Turns a client failure into our error, naming the cluster and the request; the message carries no credentials. */
export function requestError(cluster: Cluster, what: string, e: unknown): AuditlineError {
  const status = e instanceof errors.ResponseError ? ` (HTTP ${e.statusCode ?? '?'})` : '';
  return new AuditlineError(
    'AL_ES_REQUEST',
    `cluster "${cluster.name}" (${cluster.config.url}): ${what} failed${status}: ${(e as Error).message}`,
    { cluster: cluster.name },
    { cause: e },
  );
}

async function attempt<T>(cluster: Cluster, what: string, run: () => Promise<T>): Promise<T | undefined> {
  try {
    return await run();
  } catch (e) {
    if (isNotFound(e)) return undefined;
    throw requestError(cluster, what, e);
  }
}

const metaOf = (body: unknown): Installed => ({ fingerprint: (body as { _meta?: { fingerprint?: string } } | undefined)?._meta?.fingerprint });

async function installedIlm(cluster: Cluster): Promise<Installed> {
  const got = await attempt(cluster, `GET _ilm/policy/${ILM_POLICY}`, () => cluster.client.ilm.getLifecycle({ name: ILM_POLICY }));
  return got?.[ILM_POLICY] ? metaOf(got[ILM_POLICY].policy) : undefined;
}

async function installedComponent(cluster: Cluster, name: string): Promise<Installed> {
  const got = await attempt(cluster, `GET _component_template/${name}`, () => cluster.client.cluster.getComponentTemplate({ name }));
  const found = got?.component_templates.find((t) => t.name === name);
  return found ? metaOf(found.component_template) : undefined;
}

async function installedIndexTemplate(cluster: Cluster): Promise<Installed> {
  const got = await attempt(cluster, `GET _index_template/${INDEX_TEMPLATE}`, () => cluster.client.indices.getIndexTemplate({ name: INDEX_TEMPLATE }));
  const found = got?.index_templates.find((t) => t.name === INDEX_TEMPLATE);
  return found ? metaOf(found.index_template) : undefined;
}

/** Sets one cluster up; `locations` are the streams to create besides those its configuration lists. */
export async function setupCluster(cluster: Cluster, ilm: IlmOptions, locations: readonly string[] = []): Promise<SetupChange[]> {
  const bodies = resourceBodies(ilm);
  const changes: SetupChange[] = [];
  const note = (kind: ResourceKind, name: string, status: SetupStatus) => changes.push({ cluster: cluster.name, kind, name, status });

  const ilmStatus = statusOf(await installedIlm(cluster), fingerprintOf(bodies.ilmPolicy.policy));
  if (ilmStatus !== 'unchanged') {
    await attempt(cluster, `PUT _ilm/policy/${ILM_POLICY}`, () =>
      cluster.client.ilm.putLifecycle({ name: ILM_POLICY, policy: bodies.ilmPolicy.policy as never }),
    );
  }
  note('ilm_policy', ILM_POLICY, ilmStatus);

  for (const [name, body] of Object.entries(bodies.componentTemplates)) {
    const status = statusOf(await installedComponent(cluster, name), fingerprintOf(body));
    if (status !== 'unchanged')
      await attempt(cluster, `PUT _component_template/${name}`, () => cluster.client.cluster.putComponentTemplate({ name, ...(body as object) } as never));
    note('component_template', name, status);
  }

  const templateStatus = statusOf(await installedIndexTemplate(cluster), fingerprintOf(bodies.indexTemplate));
  if (templateStatus !== 'unchanged') {
    await attempt(cluster, `PUT _index_template/${INDEX_TEMPLATE}`, () =>
      cluster.client.indices.putIndexTemplate({ name: INDEX_TEMPLATE, ...(bodies.indexTemplate as object) } as never),
    );
  }
  note('index_template', INDEX_TEMPLATE, templateStatus);

  const wanted = new Set([...(cluster.locations === ANY_LOCATION ? [] : cluster.locations), ...locations]);
  for (const location of [...wanted].sort()) {
    const name = streamName(location);
    const exists = await attempt(cluster, `GET _data_stream/${name}`, () => cluster.client.indices.getDataStream({ name }));
    if (!exists || exists.data_streams.length === 0) {
      await attempt(cluster, `PUT _data_stream/${name}`, () => cluster.client.indices.createDataStream({ name }));
      note('data_stream', name, 'created');
    } else if (templateStatus === 'updated') {
      // A stream's backing index keeps the mapping it was created with: the new one applies from its next write on.
      await attempt(cluster, `POST ${name}/_rollover?lazy`, () => cluster.client.indices.rollover({ alias: name, lazy: true }));
      note('data_stream', name, 'updated');
    } else note('data_stream', name, 'unchanged');
  }
  return changes;
}

/**
 * Whether a cluster is ready for `ingest --es`: the index template this code makes (its digest
 * covers the component templates) and an ILM policy (whatever its rollover and retention). The
 * refusal says what to run.
 */
export async function checkCluster(cluster: Cluster): Promise<void> {
  const wanted = fingerprintOf(indexTemplateBody());
  const template = await installedIndexTemplate(cluster);
  const ilm = await installedIlm(cluster);
  const fix = `run \`auditline es setup\` with the same --es/--es-config (or ingest with --setup)`;
  if (!template || !ilm) {
    const missing = [!template && `index template ${INDEX_TEMPLATE}`, !ilm && `ILM policy ${ILM_POLICY}`].filter(Boolean).join(' and ');
    throw new AuditlineError('AL_ES_NOT_SET_UP', `cluster "${cluster.name}" (${cluster.config.url}) has no ${missing}: ${fix}`, { cluster: cluster.name });
  }
  if (template.fingerprint !== wanted) {
    throw new AuditlineError(
      'AL_ES_NOT_SET_UP',
      `cluster "${cluster.name}" (${cluster.config.url}) has index template ${INDEX_TEMPLATE} from another version of auditline (fingerprint ${template.fingerprint ?? 'none'}, this one ${wanted}): ${fix}`,
      { cluster: cluster.name },
    );
  }
}
