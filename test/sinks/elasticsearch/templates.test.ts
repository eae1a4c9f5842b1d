import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DOCUMENT_FIELDS, STORED_FIELDS } from '../../../src/model/fields.js';
import { DEFAULT_ILM } from '../../../src/sinks/elasticsearch/config.js';
import { documentMapping, ILM_POLICY, INDEX_TEMPLATE, locationOfStream, resourceBodies, streamName } from '../../../src/sinks/elasticsearch/templates.js';

const MAPPINGS = join(import.meta.dirname, '../../../mappings/elasticsearch');
const EXPECTED = join(import.meta.dirname, '../../../fixtures/expected');
const UPDATE = process.env.AUDITLINE_UPDATE_GOLDEN === '1';

/** The committed files: what `es setup` puts, one file per resource, pretty-printed so a diff shows the field. */
function generated(): Record<string, unknown> {
  const bodies = resourceBodies(DEFAULT_ILM);
  return {
    [`ilm_policy/${ILM_POLICY}.json`]: bodies.ilmPolicy,
    ...Object.fromEntries(Object.entries(bodies.componentTemplates).map(([name, body]) => [`component_template/${name}.json`, body])),
    [`index_template/${INDEX_TEMPLATE}.json`]: bodies.indexTemplate,
  };
}

type Props = Record<string, { type?: string; path?: string; properties?: Props; fields?: Props }>;

function lookup(props: Props, path: string): { type?: string; path?: string; fields?: Props } | undefined {
  const [head, ...rest] = path.split('.');
  const node = props[head!];
  if (!node || rest.length === 0) return node;
  return node.type === 'flattened' ? node : node.properties && lookup(node.properties, rest.join('.'));
}

describe('Elasticsearch templates from the field table', () => {
  it('equal the files committed under mappings/elasticsearch (AUDITLINE_UPDATE_GOLDEN=1 rewrites them)', () => {
    for (const [file, body] of Object.entries(generated())) {
      const path = join(MAPPINGS, file);
      const text = `${JSON.stringify(body, null, 2)}\n`;
      if (UPDATE || !existsSync(path)) {
        if (!UPDATE) throw new Error(`${path} is missing: run npm run mappings:update`);
        mkdirSync(join(path, '..'), { recursive: true });
        writeFileSync(path, text);
      }
      expect(readFileSync(path, 'utf8'), file).toBe(text);
    }
    const committed = readdirSync(MAPPINGS, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.json'));
    expect(committed.sort()).toEqual(Object.keys(generated()).sort());
  });

  it('maps every field of the table with its type, identifiers as keyword and @timestamp as date', () => {
    const props = documentMapping().properties as Props;
    for (const f of STORED_FIELDS) if ('esType' in f && f.esType) expect(lookup(props, f.path)?.type, f.path).toBe(f.esType);
    for (const f of DOCUMENT_FIELDS) expect(lookup(props, f.path)?.type, f.path).toBe(f.esType);
    expect(lookup(props, '@timestamp')?.type).toBe('date');
    expect(lookup(props, 'message')?.fields?.keyword?.type).toBe('keyword');
    expect(documentMapping().dynamic).toBe(false);
  });

  it('names the ECS fields as aliases of the fields they stand for', () => {
    const props = documentMapping().properties as Props;
    const aliases = {
      'event.action': 'action',
      'event.outcome': 'outcome',
      'event.id': 'id',
      'user.id': 'initiator.id',
      'user.name': 'initiator.name',
      'source.ip': 'initiator.host.address',
      'cloud.region': 'location',
      'trace.id': 'correlationId',
    };
    for (const [ecs, path] of Object.entries(aliases)) expect(lookup(props, ecs), ecs).toEqual({ type: 'alias', path });
  });

  it('indexes every field of the golden events, or keeps it under a flattened object', () => {
    const props = documentMapping().properties as Props;
    const leaves = (value: unknown, prefix: string): string[] =>
      value !== null && typeof value === 'object' && !Array.isArray(value)
        ? Object.entries(value).flatMap(([k, v]) => leaves(v, prefix ? `${prefix}.${k}` : k))
        : [prefix];
    const unmapped = new Set<string>();
    for (const file of readdirSync(EXPECTED)) {
      for (const line of readFileSync(join(EXPECTED, file), 'utf8').split('\n').filter(Boolean)) {
        const { event } = JSON.parse(line) as { event?: unknown };
        if (event) for (const path of leaves(event, '')) if (!lookup(props, path)) unmapped.add(path);
      }
    }
    expect([...unmapped]).toEqual([]);
  });

  it('names a data stream per location by the naming scheme: no "-" in the namespace, and back', () => {
    expect(streamName('us-south')).toBe('logs-auditline.events-us_south');
    expect(locationOfStream(streamName('eu-de'))).toBe('eu-de');
    expect(locationOfStream('logs-other-us_south')).toBeUndefined();
    expect(() => streamName('US South')).toThrow();
  });

  it('keeps ILM out of the index template digest: retention is a deployment choice, not a version of the mapping', () => {
    const a = resourceBodies(DEFAULT_ILM);
    const b = resourceBodies({ ...DEFAULT_ILM, deleteAfter: '400d' });
    expect(b.ilmPolicy).not.toEqual(a.ilmPolicy);
    expect(b.indexTemplate).toEqual(a.indexTemplate);
  });
});
