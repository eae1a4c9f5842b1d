import { createHash } from 'node:crypto';
import { DOCUMENT_FIELDS, STORED_FIELDS, type EsType } from '../../model/fields.js';
import type { IlmOptions } from './config.js';

/**
 * What `es setup` installs, derived from the field table (model/fields.ts): an ILM policy, two
 * component templates (mappings, settings), one index template that makes every
 * `logs-auditline.events-<location>` a data stream. The same bodies are committed under
 * `mappings/elasticsearch/` (a test keeps them equal).
 */

/** The data stream naming scheme's dataset: `{type}-{dataset}-{namespace}`; a dataset must not contain `-`. */
export const DATASET = 'auditline.events';
export const INDEX_PATTERN = `logs-${DATASET}-*`;
export const ILM_POLICY = 'auditline-events';
export const MAPPINGS_TEMPLATE = 'auditline-events@mappings';
export const SETTINGS_TEMPLATE = 'auditline-events@settings';
export const INDEX_TEMPLATE = 'auditline-events';

/**
 * A location's data stream. The location is the scheme's namespace, which must not contain `-`
 * either: `us-south` becomes `us_south` (as in DuckDB's table names). Locations are `[a-z0-9-]+`
 * (sinks/sink.ts `safeLocation`), so no two locations share a namespace.
 */
export function streamName(location: string): string {
  if (!/^[a-z0-9-]+$/.test(location)) throw new Error(`unsafe location name "${location}"`);
  return `logs-${DATASET}-${location.replace(/-/g, '_')}`;
}

/** The location a data stream of ours holds, or undefined for any other name. */
export function locationOfStream(name: string): string | undefined {
  const prefix = `logs-${DATASET}-`;
  return name.startsWith(prefix) && /^[a-z0-9_]+$/.test(name.slice(prefix.length)) ? name.slice(prefix.length).replace(/_/g, '-') : undefined;
}

/**
 * Priority over Elasticsearch's built-in `logs` template (priority 100, pattern `logs-*-*`); two
 * overlapping templates of equal priority are refused.
 */
const INDEX_TEMPLATE_PRIORITY = 200;

/**
 * A keyword longer than Lucene's 32,766-byte term limit makes the whole document fail. 8,191
 * characters is the longest value that fits whatever its UTF-8 (4 bytes a character); a longer one
 * stays in `_source`, unindexed, instead of sending the event to the dead-letter file.
 */
const KEYWORD_IGNORE_ABOVE = 8191;

export type Mapping = Record<string, unknown>;
interface ObjectMapping {
  properties: Record<string, Mapping>;
}

function leaf(type: EsType, keywordSubField = false): Mapping {
  if (type === 'keyword' || type === 'flattened') return { type, ignore_above: KEYWORD_IGNORE_ABOVE };
  if (type === 'text' && keywordSubField) return { type, fields: { keyword: { type: 'keyword', ignore_above: KEYWORD_IGNORE_ABOVE } } };
  return { type };
}

function put(root: ObjectMapping, path: string, mapping: Mapping): void {
  const segments = path.split('.');
  let node = root;
  segments.forEach((segment, i) => {
    const existing = node.properties[segment];
    if (i === segments.length - 1) {
      if (existing) throw new Error(`field table maps "${path}" twice`);
      node.properties[segment] = mapping;
      return;
    }
    if (existing && !('properties' in existing))
      throw new Error(`field table maps "${segments.slice(0, i + 1).join('.')}" as a value and "${path}" beneath it`);
    node = (existing ?? (node.properties[segment] = { properties: {} })) as unknown as ObjectMapping;
  });
}

/**
 * The document mapping. `dynamic: false`: a field the table does not list is kept in `_source` but
 * not indexed, so a service adding fields can neither grow the mapping nor make events fail on a
 * type conflict. ECS names are aliases of the fields they name (Kibana and Elastic Security read them).
 */
export function documentMapping(): Mapping {
  const root: ObjectMapping = { properties: {} };
  const aliases: [string, string][] = [];
  for (const f of STORED_FIELDS) {
    if (!('esType' in f) || f.esType === undefined) continue;
    put(root, f.path, leaf(f.esType));
    if ('ecs' in f && f.ecs) aliases.push([f.ecs, f.path]);
  }
  for (const f of DOCUMENT_FIELDS) {
    put(root, f.path, leaf(f.esType, f.keywordSubField));
    if (f.ecs) aliases.push([f.ecs, f.path]);
  }
  for (const [ecs, path] of aliases) put(root, ecs, { type: 'alias', path });
  return { dynamic: false, properties: root.properties };
}

/** A short digest of a body, kept in its `_meta` so setup can tell an installed resource is ours and current. */
export function fingerprint(body: unknown): string {
  return createHash('sha256').update(JSON.stringify(body)).digest('hex').slice(0, 16);
}

/** `dependsOn`: what else the digest covers, beyond the body itself. */
function withMeta<T extends Record<string, unknown>>(body: T, dependsOn: unknown[] = []): T & { _meta: { managed_by: string; fingerprint: string } } {
  return { ...body, _meta: { managed_by: 'auditline', fingerprint: fingerprint([body, ...dependsOn]) } };
}

export interface ResourceBodies {
  ilmPolicy: { policy: Record<string, unknown> };
  componentTemplates: Record<string, Record<string, unknown>>;
  indexTemplate: Record<string, unknown>;
}

export function ilmPolicyBody(ilm: IlmOptions): ResourceBodies['ilmPolicy'] {
  const phases: Record<string, unknown> = {
    hot: { actions: { rollover: { max_primary_shard_size: ilm.maxPrimaryShardSize, max_age: ilm.maxAge } } },
  };
  if (ilm.deleteAfter) phases.delete = { min_age: ilm.deleteAfter, actions: { delete: {} } };
  return { policy: withMeta({ phases }) };
}

export function mappingsTemplateBody(): Record<string, unknown> {
  return withMeta({ template: { mappings: documentMapping() } });
}

/**
 * `index.mode: standard`: Elasticsearch 9 makes `logs-*-*` streams `logsdb` by default, whose
 * synthetic `_source` rebuilds documents from the index; an audit store must give back the event it
 * was given, byte for byte. `best_compression`: events are written once and read rarely.
 */
export function settingsTemplateBody(): Record<string, unknown> {
  return withMeta({ template: { settings: { index: { lifecycle: { name: ILM_POLICY }, mode: 'standard', codec: 'best_compression' } } } });
}

/**
 * The index template's digest also covers the component templates', so that checking the index
 * template alone tells whether the mappings and settings installed are the ones this code makes.
 */
export function indexTemplateBody(): Record<string, unknown> {
  const components = [mappingsTemplateBody(), settingsTemplateBody()].map(fingerprintOf);
  return withMeta(
    {
      index_patterns: [INDEX_PATTERN],
      data_stream: {},
      composed_of: [MAPPINGS_TEMPLATE, SETTINGS_TEMPLATE],
      priority: INDEX_TEMPLATE_PRIORITY,
      // Streams of locations setup did not name are created by their first event.
      allow_auto_create: true,
    },
    components,
  );
}

/** Every body setup puts, for one ILM configuration. */
export function resourceBodies(ilm: IlmOptions): ResourceBodies {
  return {
    ilmPolicy: ilmPolicyBody(ilm),
    componentTemplates: { [MAPPINGS_TEMPLATE]: mappingsTemplateBody(), [SETTINGS_TEMPLATE]: settingsTemplateBody() },
    indexTemplate: indexTemplateBody(),
  };
}

/** The `_meta.fingerprint` of a body we built. */
export function fingerprintOf(body: Record<string, unknown>): string {
  return (body._meta as { fingerprint: string }).fingerprint;
}
